"""The auditor operator's pages, as pure functions returning whole documents (`layout.page`).

Every function takes the signed-in operator's name (`user`) and the session's CSRF token (`csrf`,
put in every form) plus the data to show. No script, no inline style; everything that came from a
person or an agent is escaped. Only audit ids appear in links.

Forms (all POST, all with hidden `csrf_token`):
  /audits/new               fields account, period_start, period_end (dates), purpose, consent_days
  /audits/{id}/retry        (failed audits)
  /audits/{id}/fetch        (done audits: fetch again under the consent)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from controllers.auditor.record import AuditRecord, AuditState, PeriodStep
from controllers.web import layout
from controllers.web.layout import Html, h, notice, post_button, table
from controllers.web.invitation import invitation_block

__all__ = ["APP_NAME", "NAV", "audits", "new_audit", "invitation", "audit"]

APP_NAME = "Auditor"
NAV: tuple[tuple[str, str], ...] = (("/audits", "Audits"), ("/audits/new", "New audit"))
_BAD = {AuditState.FAILED, AuditState.DECLINED, AuditState.REVOKED, AuditState.EXPIRED}
_REFRESH = 3  # seconds: pages waiting for an agent reload themselves


def _page(title: str, body: str, user: str, csrf: str, *, refresh: bool = False) -> str:
    return layout.page(title, body, app_name=APP_NAME, nav=NAV, signed_in=user, csrf_token=csrf or None,
                       refresh=_REFRESH if refresh else None)


def _link(audit_id: str) -> str:
    return f"/audits/{quote(audit_id, safe='')}"


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _badge(state: AuditState) -> str:
    kind = "good" if state == AuditState.DONE else "bad" if state in _BAD else "pending"
    return f'<span class="badge {kind}">{h(str(state))}</span>'


def _stored(audit: AuditRecord) -> str:
    periods = audit.periods
    stored = sum(p["step"] == PeriodStep.STORED for p in periods)
    return f"{stored} of {len(periods)} credentials stored" if periods else ""


def audits(user: str, csrf: str, records: Sequence[AuditRecord]) -> str:
    """Every audit, latest change first: its state (and why it failed), how many of its billing
    periods' credentials the wallet stored, and a Retry button for a failed one."""
    rows = []
    for audit in sorted(records, key=lambda a: a.updated, reverse=True):
        reason = f'<p class="meta">{h(audit.reason)}</p>' if audit.reason else ""
        retry = (post_button(f"{_link(audit.audit_id)}/retry", "Retry", csrf)
                 if audit.state == AuditState.FAILED else "")
        rows.append((Html(f'<a href="{h(_link(audit.audit_id))}"><code>{h(audit.audit_id[:8])}</code></a>'),
                     Html(_badge(audit.state) + reason), _stored(audit), _when(audit.updated), Html(retry)))
    if not rows:
        body = ('<div class="card"><p>No audits yet.</p>'
                '<p><a class="button" href="/audits/new">Start an audit</a></p></div>')
    else:
        body = (table(("Audit", "State", "Billing periods", "Updated (UTC)", "Actions"), rows, row_headers=True)
                + '<div class="actions"><a class="button" href="/audits/new">New audit</a>'
                  '<a class="button secondary" href="/audits">Refresh</a></div>')
    return _page("Audits", body, user, csrf)


def new_audit(user: str, csrf: str, *, values: Mapping[str, Any] | None = None, error: str | None = None) -> str:
    """The form that starts an audit: POST /audits/new. `values` and `error` put a refused form back."""
    v = {"account": "", "period_start": "", "period_end": "", "purpose": "", "consent_days": "30", **(values or {})}
    field = ('<div class="field"><label for="{id}">{label}</label>{hint}'
             '<input id="{id}" name="{id}" type="{type}" value="{value}"{extra}></div>')

    def one(id_: str, label: str, type_: str, *, hint: str = "", extra: str = "") -> str:
        hint_html = f'<p class="hint" id="{id_}-hint">{h(hint)}</p>' if hint else ""
        described = f' aria-describedby="{id_}-hint"' if hint else ""
        return field.format(id=id_, label=h(label), hint=hint_html, type=type_, value=h(v.get(id_, "")),
                            extra=extra + described)

    body = (
        (notice(error, kind="error") if error else "")
        + '<p>An audit starts with an invitation for the customer: they accept it in their wallet, prove '
          'their utility account, and consent to the auditor reading their bills for the period.</p>'
          '<form class="card form-card" method="post" action="/audits/new">'
          f'<input type="hidden" name="csrf_token" value="{h(csrf)}">'
        + one("account", "Account number (optional)", "text", extra=' maxlength="100" autocomplete="off"',
              hint="The utility account to audit. Without one, the customer's wallet chooses which account to prove.")
        + one("period_start", "Period start", "date", extra=" required")
        + one("period_end", "Period end", "date", extra=" required")
        + one("purpose", "Purpose", "text", extra=' required maxlength="300" autocomplete="off"',
              hint="Shown to the customer when they are asked to consent, e.g. “Scope 2 audit 2024”.")
        # type=text with a numeric keyboard: the stylesheet styles text inputs, not number ones.
        + one("consent_days", "Consent lasts (days)", "text",
              extra=' required inputmode="numeric" pattern="[0-9]{1,4}" maxlength="4" autocomplete="off"')
        + '<div class="actions"><button type="submit" class="button primary">Start the audit</button></div></form>'
    )
    return _page("New audit", body, user, csrf)


def invitation(user: str, csrf: str, audit_id: str, url: str) -> str:
    """The page after starting an audit: the invitation and where to follow the audit."""
    body = (notice("The audit is started. It waits for the customer to accept the invitation.", kind="success")
            + invitation_block(url)
            + f'<p>Follow the audit on <a href="{h(_link(audit_id))}">its page (audit <code>{h(audit_id[:8])}</code>)'
              "</a>.</p>")
    return _page("Audit started", body, user, csrf)


def audit(user: str, csrf: str, record: AuditRecord) -> str:
    """One audit: its state and reason, what was asked, each billing period and its step."""
    request = record.request
    facts = [
        ("Audit", Html(f"<code>{h(record.audit_id)}</code>")),
        ("State", Html(_badge(record.state))),
        *([("Reason", record.reason)] if record.reason else []),
        ("Period", f"{request.get('period_start', '?')} to {request.get('period_end', '?')}"),
        ("Purpose", request.get("purpose", "")),
        ("Consent lasts", f"{request.get('consent_days', '?')} days"),
        ("Updated (UTC)", _when(record.updated)),
    ]
    body = '<div class="card"><dl class="facts">' + "".join(
        f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in facts) + "</dl></div>"
    periods = record.periods
    if periods:
        rows = [(f"{str(p.get('start', ''))[:10]} to {str(p.get('end', ''))[:10]}",
                 f"{p['gas']} {p['unit']} gas" if "gas" in p else f"{p.get('kwh', '')} kWh",
                 str(p.get("step", "")),
                 Html(f"<code>{h(((p.get('anchored') or {}).get('anchor') or {}).get('record_id') or '')}</code>"))
                for p in periods]
        body += "<h2>Billing periods</h2>" + table(("Billing period", "Usage", "Step", "Ledger record"), rows,
                                                    row_headers=True, numeric=(1,))
        body += f'<p class="meta">{h(_stored(record))}</p>'
    actions = []
    if record.state == AuditState.FAILED:
        actions.append(post_button(f"{_link(record.audit_id)}/retry", "Retry", csrf))
    if record.state == AuditState.DONE:
        actions.append(post_button(f"{_link(record.audit_id)}/fetch", "Fetch bills again", csrf, secondary=True))
    actions.append(f'<a class="button secondary" href="{h(_link(record.audit_id))}">Refresh</a>')
    body += f'<div class="actions">{"".join(actions)}</div>'
    return _page(f"Audit {record.audit_id[:8]}", body, user, csrf, refresh=not record.state.final)
