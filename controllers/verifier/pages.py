"""The verifier's pages, as pure functions returning whole documents (`layout.page`).

Every function takes the signed-in operator's name (`user`, None when the verifier runs without
an operator key) and the session's CSRF token (`csrf`) plus the data to show. No script, no inline
style; everything that came from a holder or an agent is escaped. URLs carry request and invitation
ids only, never DIDs or connection ids.

Forms (POST, with hidden `csrf_token`):
  /invitations                         "Invite a wallet"
  /invitations/{id}/requests           field record_ids (optional): ask the connected wallet
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from controllers.verifier.verdict import ERROR, REJECTED, VERIFIED, Check, Verdict
from controllers.web import layout
from controllers.web.layout import Html, h, notice, post_button, table
from controllers.web.invitation import invitation_block

__all__ = ["APP_NAME", "NAV", "index", "invitation", "request", "CHECK_WORDS"]

APP_NAME = "Verifier"
NAV: tuple[tuple[str, str], ...] = (("/", "Requests"),)
_REFRESH = 3  # seconds: pages waiting for an agent reload themselves

# What each check of checks.py / request.py establishes, in plain words.
CHECK_WORDS: dict[str, str] = {
    "presentation": "The wallet answered the request",
    "challenge": "The answer was made for this request, not replayed from another",
    "presentation proof": "The wallet signed what it presented, for this request",
    "credentials": "The answer holds a credential",
    "holder": "It was presented by the customer it is about",
    "credential proof": "The auditor's signature on the credential is intact",
    "format": "It is an emissions credential",
    "consistent": "Its figures agree with the audited record it carries",
    "ledger": "It is anchored on the ledger this verifier reads",
    "issuer": "It was issued by an auditor registered and active on the ledger",
    "record": "The public record on the ledger agrees with it",
    "current": "No newer record has replaced it",
    "transaction": "The ledger transaction that wrote the record is valid",
    "detail hash": "Its audited record matches the fingerprint kept on the ledger",
    "ledger reachable": "The ledger could be asked",
}
_STATUS_WORDS = {
    VERIFIED: ("good", "Verified", "Every check passed."),
    REJECTED: ("bad", "Rejected", "A check failed: do not rely on this credential."),
    ERROR: ("pending", "Could not be checked", "A check could not be made; nothing is claimed either way."),
}
_SUMMARY = (("period_start", "Period start"), ("period_end", "Period end"), ("scope", "GHG Protocol scope"),
            ("kwh", "Electricity (kWh)"),
            ("location_tco2e", "Location-based emissions (tCO2e)"),
            ("market_tco2e", "Market-based emissions (tCO2e)"),
            ("fuel", "Fuel"), ("fuel_quantity", "Fuel used (as billed)"),
            ("scope1_tco2e", "Scope 1 emissions (tCO2e)"), ("utility_id", "Utility (EIA id)"),
            ("issuer", "Issued by"), ("block_number", "Ledger block"))
_SCOPE_WORDS = {1: "Scope 1: fuel burned on site", 2: "Scope 2: purchased electricity"}


def _page(title: str, body: str, user: str | None, csrf: str, *, refresh: bool = False) -> str:
    return layout.page(title, body, app_name=APP_NAME, nav=NAV, signed_in=user, csrf_token=csrf or None,
                       refresh=_REFRESH if refresh else None)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _badge(status: str) -> str:
    kind, word, _ = _STATUS_WORDS.get(status, ("pending", status, ""))
    return f'<span class="badge {kind}">{h(word)}</span>'


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S") if timestamp else ""


def _status(verdicts: list[Verdict] | None) -> str:
    if verdicts is None:
        return '<span class="badge pending">Waiting for the wallet</span>'
    return " ".join(_badge(v.status) for v in verdicts)


def index(user: str | None, csrf: str, requests: Sequence[tuple[str, list[Verdict] | None]],
          invitations: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> str:
    """Every request with its verdicts, the button that invites a wallet, and recent invitations."""
    parts = ['<div class="card"><h2>Check a customer’s emissions credentials</h2>'
             "<p>Invite the customer’s wallet to connect; once it has, ask it for its audited emissions "
             "credentials. Each one is checked against its signature and the auditors’ ledger.</p>"
             f'<div class="actions">{post_button("/invitations", "Invite a wallet", csrf)}</div></div>']
    parts.append("<h2>Requests</h2>")
    rows = [(Html(f'<a href="/requests/{h(_segment(rid))}"><code>{h(rid[:8])}</code></a>'), Html(_status(verdicts)))
            for rid, verdicts in requests]
    parts.append(table(("Request", "Verdict"), rows, row_headers=True) if rows else "<p>No requests yet.</p>")
    if invitations:
        parts.append("<h2>Invitations</h2>")
        parts.append(table(("Invitation", "Wallet", "Created (UTC)"), [
            (Html(f'<a href="/invitations/{h(_segment(iid))}"><code>{h(iid[:8])}</code></a>'),
             "connected" if data.get("connection_id") else "not connected yet", _when(data.get("created")))
            for iid, data in invitations], row_headers=True))
    parts.append('<div class="actions"><a class="button secondary" href="/">Refresh</a></div>')
    return _page("Verifier", "".join(parts), user, csrf)


def invitation(user: str | None, csrf: str, invitation_id: str, url: str, *, connected: bool,
               error: str | None = None, record_ids: str = "") -> str:
    """One invitation: while the wallet has not connected, the invitation (link, text, QR code) and
    a page that refreshes itself; once it has, the form asking it for its emissions credentials."""
    facts = (f'<p class="meta">Invitation <code>{h(invitation_id)}</code></p>')
    if not connected:
        body = (notice("Waiting for the customer’s wallet to accept the invitation. This page refreshes itself.")
                + facts + invitation_block(url, heading="Invitation for the wallet")
                + f'<div class="actions"><a class="button secondary" href="/invitations/{h(_segment(invitation_id))}">'
                  "Refresh</a></div>")
        return _page("Invite a wallet", body, user, csrf, refresh=True)
    action = f"/invitations/{_segment(invitation_id)}/requests"
    body = (notice("The wallet is connected.", kind="success") + facts
            + (notice(error, kind="error") if error else "")
            + f'<form class="card form-card" method="post" action="{h(action)}">'
              f'<input type="hidden" name="csrf_token" value="{h(csrf)}">'
              "<h2>Ask for its emissions credentials</h2>"
              "<p>The customer sees the request in their wallet and chooses whether to share.</p>"
              '<div class="field"><label for="record_ids">Ledger record ids (optional)</label>'
              '<p class="hint" id="record_ids-hint">To ask about particular bills: their ledger record ids '
              "(64 hexadecimal characters each), separated by spaces or new lines. Leave empty to ask for any "
              "emissions credential.</p>"
              '<textarea id="record_ids" name="record_ids" rows="3" spellcheck="false" autocomplete="off" '
              f'aria-describedby="record_ids-hint">{h(record_ids)}</textarea></div>'
              '<div class="actions"><button type="submit" class="button primary">Ask the wallet</button></div>'
              "</form>")
    return _page("Wallet connected", body, user, csrf)


def _check_rows(checks: Sequence[Check]) -> list[tuple[object, ...]]:
    rows = []
    for check in checks:
        outcome = ('<span class="badge good">Passed</span>' if check.ok else '<span class="badge bad">Failed</span>')
        words = CHECK_WORDS.get(check.name, check.name)
        rows.append((Html(f"{h(words)}<p class=\"meta\"><code>{h(check.name)}</code></p>"), Html(outcome),
                     check.detail))
    return rows


def _shown(summary: Mapping[str, Any], key: str) -> Any:
    value = summary[key]
    if key == "scope":
        return _SCOPE_WORDS.get(value, f"Scope {value}")
    if key == "fuel":
        return str(value).replace("_", " ")
    if key == "fuel_quantity" and summary.get("fuel_unit"):
        return f"{value} {summary['fuel_unit']}"
    return value


def _summary(summary: Mapping[str, Any]) -> str:
    items = [(label, _shown(summary, key)) for key, label in _SUMMARY if summary.get(key) not in (None, "")]
    if not items:
        return ""
    return '<dl class="facts">' + "".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in items) + "</dl>"


def request(user: str | None, csrf: str, request_id: str, verdicts: list[Verdict] | None) -> str:
    """One request: waiting (the page refreshes itself), or the verdict on each credential with
    every check, passed or failed, in plain words."""
    refresh = f'<div class="actions"><a class="button secondary" href="/requests/{h(_segment(request_id))}">Refresh</a></div>'
    title = f"Request {request_id[:8]}"
    if verdicts is None:
        body = (notice("Waiting for the customer’s wallet to answer. This page refreshes itself.")
                + f'<p class="meta">Request <code>{h(request_id)}</code></p>' + refresh)
        return _page(title, body, user, csrf, refresh=True)
    parts = [f'<p class="meta">Request <code>{h(request_id)}</code></p>']
    for number, verdict in enumerate(verdicts, 1):
        sentence = _STATUS_WORDS.get(verdict.status, ("", "", ""))[2]
        heading = f"Credential {number}" if len(verdicts) > 1 else "Credential"
        record = (f'<p class="meta">Ledger record <code>{h(verdict.record_id)}</code></p>'
                  if verdict.record_id else "")
        parts.append(
            f'<section class="card"><h2>{h(heading)}: {_badge(verdict.status)}</h2>'
            f"<p>{h(sentence)}</p>{record}{_summary(verdict.summary)}"
            "<h3>Checks</h3>"
            + table(("Check", "Outcome", "Detail"), _check_rows(verdict.checks), row_headers=True)
            + "</section>")
    parts.append(refresh)
    return _page(title, "".join(parts), user, csrf)
