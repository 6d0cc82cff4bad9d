"""The verifier's plain HTML pages (no script; forms post back): verdicts, and a form to ask a
connection for its emissions credential. Everything shown is escaped."""

from __future__ import annotations

from html import escape

from controllers.verifier.verdict import Verdict

_STYLE = ("body{font-family:sans-serif;max-width:52em;margin:2em auto}td,th{padding:.3em .6em;text-align:left}"
          ".verified{color:#075}.rejected,.error{color:#a00}")


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><nav><a href='/'>Verifier</a></nav><h1>{escape(title)}</h1>"
            f"{body}</body></html>")


def index(requests: list[tuple[str, list[Verdict] | None]]) -> str:
    rows = "".join(
        f"<tr><td><a href='/requests/{escape(rid)}'>{escape(rid[:8])}</a></td>"
        f"<td>{_status(verdicts)}</td></tr>" for rid, verdicts in requests)
    table = f"<table><tr><th>Request</th><th>Verdict</th></tr>{rows}</table>" if rows else "<p>No requests yet.</p>"
    form = ("<h2>Ask for a credential</h2><form method=post action='/requests'>"
            "<label>Connection id <input name=connection_id required></label> "
            "<label>Record id (optional) <input name=record_id></label> <button>Request</button></form>")
    return _page("Verifier", table + form)


def _status(verdicts: list[Verdict] | None) -> str:
    if verdicts is None:
        return "waiting for the holder"
    return ", ".join(f"<span class={escape(v.status)}>{escape(v.status)}</span>" for v in verdicts)


def request(request_id: str, verdicts: list[Verdict] | None) -> str:
    if verdicts is None:
        return _page("Request", "<p>Waiting for the holder's presentation. Reload to check again.</p>")
    parts = []
    for verdict in verdicts:
        summary = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in verdict.summary.items())
        checks = "".join(f"<tr><td>{'✔' if c.ok else '✘'}</td><td>{escape(c.name)}</td><td>{escape(c.detail)}</td></tr>"
                         for c in verdict.checks)
        parts.append(f"<h2 class={escape(verdict.status)}>{escape(verdict.status)}</h2>"
                     f"<table>{summary}</table><h3>Checks</h3><table>{checks}</table>")
    return _page(f"Request {request_id[:8]}", "".join(parts))
