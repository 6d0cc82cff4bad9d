"""The auditor operator's page: every audit with its state, reason and billing periods, and a
retry button for the failed ones. Plain HTML, no script; everything shown is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from controllers.auditor.record import AuditRecord, AuditState, PeriodStep

_STYLE = ("body{font-family:sans-serif;max-width:64em;margin:2em auto}td,th{padding:.3em .6em;text-align:left;"
          "vertical-align:top}.failed,.declined,.revoked,.expired{color:#a00}.done{color:#075}")


def audits(records: Sequence[AuditRecord]) -> str:
    rows = "".join(_row(a) for a in sorted(records, key=lambda a: a.updated, reverse=True))
    table = ("<table><tr><th>Audit</th><th>State</th><th>Billing periods</th><th>Updated (UTC)</th><th></th></tr>"
             f"{rows}</table>") if rows else "<p>No audits yet. Start one with POST /api/audits.</p>"
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Audits</title>"
            f"<style>{_STYLE}</style></head><body><h1>Audits</h1>{table}</body></html>")


def _row(audit: AuditRecord) -> str:
    periods = audit.periods
    stored = sum(p["step"] == PeriodStep.STORED for p in periods)
    summary = f"{stored} of {len(periods)} credentials stored" if periods else ""
    reason = f"<br><small>{escape(audit.reason)}</small>" if audit.reason else ""
    retry = (f"<form method=post action='/audits/{escape(audit.audit_id)}/retry'><button>Retry</button></form>"
             if audit.state == AuditState.FAILED else "")
    when = datetime.fromtimestamp(audit.updated, UTC).strftime("%Y-%m-%d %H:%M:%S")
    css = escape(str(audit.state).split()[0])
    return (f"<tr><td><code>{escape(audit.audit_id[:8])}</code></td><td class={css}>{escape(str(audit.state))}{reason}"
            f"</td><td>{escape(summary)}</td><td>{when}</td><td>{retry}</td></tr>")
