"""Plain HTML pages of the wallet (no script, forms post back): consent inbox, one request,
held credentials. Everything shown is escaped; the pages are for the customer's own eyes."""

from __future__ import annotations

from html import escape
from typing import Any

from controllers.customer.emissions import SharingRequest
from controllers.customer.store import ConsentRecord

_STYLE = "body{font-family:sans-serif;max-width:48em;margin:2em auto}td,th{padding:.3em .6em;text-align:left}"


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><nav><a href='/'>Consents</a> · <a href='/presentation-requests'>Requests to share</a>"
        f" · <a href='/credentials'>Credentials</a>"
        f"</nav><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _terms(record: ConsentRecord) -> dict[str, str]:
    subject = record.proposal.get("credentialSubject") or {}
    scope = subject.get("scope")
    return {
        "Auditor": str(subject.get("id", "?")),
        "Account": str(subject.get("accountId", "?")),
        "Period": f"{subject.get('periodStart', '?')} to {subject.get('periodEnd', '?')}",
        "Data": ", ".join(scope) if isinstance(scope, list) else str(scope),
        "Purpose": str(subject.get("purpose", "?")),
        "Valid until": str(subject.get("consentExpires", "?")),
    }


def inbox(records: list[ConsentRecord]) -> str:
    if not records:
        return _page("Consents", "<p>No consent requests.</p>")
    rows = "".join(
        f"<tr><td><a href='/consents/{escape(r.cred_ex_id)}'>{escape(_terms(r)['Purpose'])}</a></td>"
        f"<td>{escape(_terms(r)['Period'])}</td><td>{escape(r.state)}</td></tr>"
        for r in records
    )
    return _page("Consents", f"<table><tr><th>Purpose</th><th>Period</th><th>State</th></tr>{rows}</table>")


def consent(record: ConsentRecord) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in _terms(record).items())
    actions = ""
    base = f"/consents/{escape(record.cred_ex_id)}"
    if record.state == "pending":
        actions = (
            f"<form method=post action='{base}/approve'><button>Approve</button></form>"
            f"<form method=post action='{base}/decline'><button>Decline</button></form>"
        )
    elif record.state == "issued":
        actions = f"<form method=post action='{base}/revoke'><button>Revoke</button></form>"
    reason = f"<p>Reason: {escape(record.reason)}</p>" if record.reason else ""
    return _page("Consent request", f"<table>{rows}</table><p>State: {escape(record.state)}</p>{reason}{actions}")


def credentials(held: list[dict[str, Any]]) -> str:
    if not held:
        return _page("Credentials", "<p>No credentials yet.</p>")
    items = "".join(
        f"<li>{escape(', '.join(t for t in c.get('type', []) if t != 'VerifiableCredential'))} from "
        f"{escape(str(c.get('issuer', '?')))}</li>"
        for c in held
    )
    return _page("Credentials", f"<ul>{items}</ul>")


def sharing_requests(requests: list[SharingRequest]) -> str:
    if not requests:
        return _page("Requests to share", "<p>No one is asking for your emissions credentials.</p>")
    rows = "".join(
        f"<tr><td><a href='/presentation-requests/{escape(r.pres_ex_id)}'>{escape(r.requester)}</a></td>"
        f"<td>{len(r.matches)}</td></tr>"
        for r in requests
    )
    return _page("Requests to share", f"<table><tr><th>Who asks</th><th>Matching credentials</th></tr>{rows}</table>")


def sharing_request(request: SharingRequest) -> str:
    asked = "any emissions credential" if request.asked_records is None else ", ".join(request.asked_records)
    matches = "".join(
        f"<tr><td>{escape(m.period_start)} to {escape(m.period_end)}</td><td>{escape(m.ledger_record)}</td>"
        f"<td>{escape(m.issuer)}</td></tr>"
        for m in request.matches
    ) or "<tr><td colspan=3>None held: approving will tell the requester so.</td></tr>"
    base = f"/presentation-requests/{escape(request.pres_ex_id)}"
    body = (
        f"<p>{escape(request.requester)} asks for {escape(asked)}.</p>"
        + (f"<p>{escape(request.comment)}</p>" if request.comment else "")
        + f"<table><tr><th>Period</th><th>Ledger record</th><th>Issuer</th></tr>{matches}</table>"
        f"<form method=post action='{base}/approve'><button>Share these</button></form>"
        f"<form method=post action='{base}/decline'><button>Decline</button></form>"
    )
    return _page("Request to share", body)
