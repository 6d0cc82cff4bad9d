"""The page shell every party's pages share, and its one stylesheet.

Pages carry no script and no inline style (the apps' Content-Security-Policy is
`default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'`):
every rule is in `STYLESHEET`, served at `STYLESHEET_PATH` by `static_routes()`. Forms post back
to the app and carry the session's CSRF token in a hidden `csrf_token` field.

Escaping: `page` escapes `title`, `app_name`, nav labels and the signed-in name, never `body_html`
(that is HTML the caller built, escaping what it took from people or agents with `h`).
`table` escapes every cell unless it is wrapped in `Html` (markup the caller built and vouches for).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from html import escape

from aiohttp import web

__all__ = [
    "STYLESHEET_PATH",
    "STYLESHEET",
    "Html",
    "h",
    "page",
    "error_page",
    "post_button",
    "table",
    "notice",
    "static_routes",
    "ERROR_HEADINGS",
]

STYLESHEET_PATH = "/static/style.css"


class Html(str):
    """Markup the caller built and escaped itself: `table` and `h` pass it through unchanged."""

    __slots__ = ()


def h(text: object) -> str:
    """`text` escaped for HTML text and double- or single-quoted attribute values (None: "").
    `Html` passes through unchanged."""
    if text is None:
        return ""
    if isinstance(text, Html):
        return str(text)
    return escape(str(text), quote=True)


ERROR_HEADINGS: dict[int, str] = {
    400: "Something in the request is wrong",
    401: "Sign in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Cannot do that now",
    413: "Too large",
    415: "Not understood",
    422: "Something in the request is wrong",
    429: "Too many attempts",
    500: "Something went wrong",
    502: "A service did not answer",
    503: "Busy",
    504: "A service did not answer in time",
}


def _title_text(title: str, app_name: str) -> str:
    return f"{title} · {app_name}" if app_name and title != app_name else (title or app_name)


def page(title: str, body_html: str, *, app_name: str = "", nav: Sequence[tuple[str, str]] = (),
         signed_in: str | None = None, csrf_token: str | None = None, refresh: int | None = None) -> str:
    """A whole HTML document: a header (app name linking home, `nav` as (href, label) links, and when
    `signed_in` the person's name and a Sign out button posting to /signout with `csrf_token`),
    then `<main>` with `<h1>title</h1>` and `body_html` as given (not escaped). `refresh`: seconds
    after which the browser reloads a page that is waiting for something (no script needed)."""
    reload = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    links = "".join(f'<li><a href="{h(href)}">{h(label)}</a></li>' for href, label in nav)
    nav_html = f'<nav class="site-nav" aria-label="Main"><ul>{links}</ul></nav>' if nav else ""
    who = ""
    if signed_in is not None:
        sign_out = post_button("/signout", "Sign out", csrf_token, quiet=True) if csrf_token else ""
        who = (f'<div class="who"><span class="who-name" title="Signed in">'
               f'<span class="visually-hidden">Signed in as </span>{h(signed_in)}</span>{sign_out}</div>')
    brand = f'<a class="brand" href="/">{h(app_name)}</a>' if app_name else ""
    return (
        "<!doctype html>\n"
        f'<html lang="en"><head><meta charset="utf-8">{reload}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{h(_title_text(title, app_name))}</title>"
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}">'
        "</head><body>"
        '<a class="skip-link" href="#main">Skip to content</a>'
        f'<header class="site-header"><div class="wrap header-row">{brand}{nav_html}{who}</div></header>'
        f'<main id="main" class="wrap" tabindex="-1"><h1>{h(title)}</h1>\n{body_html}\n</main>'
        f'<footer class="site-footer"><div class="wrap">{h(app_name)}</div></footer>'
        "</body></html>\n"
    )


def error_page(status: int, sentence: str, *, app_name: str = "") -> str:
    """A page for an HTTP error: a heading by status (e.g. 404 "Not found"), the one `sentence`
    (escaped) and a link home."""
    heading = ERROR_HEADINGS.get(status) or ("Something went wrong" if status >= 500 else "Cannot do that")
    body = (f'<div class="card error-card"><p class="status-code">Error {int(status)}</p>'
            f"<p>{h(sentence)}</p>"
            '<p><a class="button secondary" href="/">Back to the start page</a></p></div>')
    return page(heading, body, app_name=app_name)


def post_button(action: str, label: str, csrf_token: str, *, danger: bool = False, secondary: bool = False,
                quiet: bool = False) -> str:
    """A one-button form posting to `action` with the hidden `csrf_token` field. `danger` styles it
    as a destructive action, `secondary` as the lesser of two choices, `quiet` as a low-key one."""
    kind = "danger" if danger else "secondary" if secondary else "quiet" if quiet else "primary"
    return (f'<form class="inline-form" method="post" action="{h(action)}">'
            f'<input type="hidden" name="csrf_token" value="{h(csrf_token)}">'
            f'<button type="submit" class="button {kind}">{h(label)}</button></form>')


def table(headers: Sequence[object], rows: Iterable[Sequence[object]], *, caption: str | None = None,
          row_headers: bool = False, numeric: Iterable[int] = (), footer: Sequence[object] | None = None,
          css_class: str = "") -> str:
    """A table in a horizontally scrolling box: `<th scope="col">` headers; with `row_headers` each
    row's first cell is its `<th scope="row">`; columns in `numeric` are right-aligned; `footer`
    is a last row (in `<tfoot>`, first cell a row header). Cells are escaped unless `Html`."""
    numeric = set(numeric)
    num_attr = ' class="num"'

    def cells(row: Sequence[object], header_first: bool) -> str:
        out = []
        for index, cell in enumerate(row):
            cls = num_attr if index in numeric else ""
            if index == 0 and header_first:
                out.append(f'<th scope="row"{cls}>{h(cell)}</th>')
            else:
                out.append(f"<td{cls}>{h(cell)}</td>")
        return "".join(out)

    head = "".join(f'<th scope="col"{num_attr if i in numeric else ""}>{h(x)}</th>' for i, x in enumerate(headers))
    body = "".join(f"<tr>{cells(row, row_headers)}</tr>" for row in rows)
    foot = f"<tfoot><tr>{cells(footer, True)}</tr></tfoot>" if footer is not None else ""
    cap = f"<caption>{h(caption)}</caption>" if caption else ""
    cls = f' class="{h(css_class)}"' if css_class else ""
    return (f'<div class="table-scroll"><table{cls}>{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody>{foot}</table></div>")


def notice(sentence: str, *, kind: str = "info") -> str:
    """One escaped sentence in a coloured box; `kind` is info, success, warning or error (errors
    are announced as alerts, the rest as status)."""
    kind = kind if kind in {"info", "success", "warning", "error"} else "info"
    role = "alert" if kind == "error" else "status"
    return f'<p class="notice {kind}" role="{role}">{h(sentence)}</p>'


STYLESHEET = """\
/* One stylesheet for every party's pages: no inline styles, no scripts, no web fonts. */
:root {
  --bg: #f5f7f8;
  --surface: #ffffff;
  --text: #1f2a30;
  --muted: #5b6b73;
  --border: #d8e0e4;
  --accent: #0f766e;
  --accent-strong: #115e59;
  --accent-soft: #ccece8;
  --second: #7c8db5;
  --line: #b45309;
  --danger: #b42318;
  --danger-soft: #fde8e6;
  --warning: #8a5a00;
  --warning-soft: #fff4d6;
  --success: #166534;
  --success-soft: #e3f5e8;
  --info-soft: #e7f0f7;
  --radius: 10px;
  --shadow: 0 1px 2px rgba(16, 24, 40, .06), 0 1px 3px rgba(16, 24, 40, .08);
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans",
          "Liberation Sans", sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #11181c;
    --surface: #1a2328;
    --text: #e6edf0;
    --muted: #9fb0b8;
    --border: #2e3b42;
    --accent: #2dd4bf;
    --accent-strong: #5eead4;
    --accent-soft: #134e4a;
    --second: #a5b4fc;
    --line: #f59e0b;
    --danger: #f97066;
    --danger-soft: #3b1714;
    --warning: #fbbf24;
    --warning-soft: #3a2c0b;
    --success: #4ade80;
    --success-soft: #0f2e1b;
    --info-soft: #15293a;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font-family: var(--font); font-size: 1rem; line-height: 1.55;
}
.wrap { max-width: 68rem; margin: 0 auto; padding: 0 1.25rem; }
a { color: var(--accent-strong); text-underline-offset: .15em; }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
code, .mono { font-family: var(--mono); font-size: .9em; overflow-wrap: anywhere; }
h1, h2, h3 { line-height: 1.25; margin: 1.5rem 0 .75rem; }
h1 { font-size: 1.75rem; margin-top: 1.75rem; }
h2 { font-size: 1.3rem; }
h3 { font-size: 1.1rem; }
p { margin: .5rem 0 1rem; }
.muted, .hint { color: var(--muted); }
.hint { font-size: .9rem; margin: .25rem 0 .5rem; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
.skip-link { position: absolute; left: -999px; top: .5rem; background: var(--surface); padding: .5rem 1rem; z-index: 10; }
.skip-link:focus { left: .5rem; }
main:focus { outline: none; }

/* Header and footer */
.site-header { background: var(--surface); border-bottom: 1px solid var(--border); }
.header-row { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; min-height: 3.5rem; padding-top: .4rem; padding-bottom: .4rem; }
.brand { font-weight: 700; font-size: 1.1rem; color: var(--text); text-decoration: none; }
.brand::before { content: ""; display: inline-block; width: .7em; height: .7em; margin-right: .45em; border-radius: 50%; background: var(--accent); vertical-align: .02em; }
.site-nav ul { display: flex; flex-wrap: wrap; gap: .25rem; margin: 0; padding: 0; list-style: none; }
.site-nav a { display: block; padding: .35rem .7rem; border-radius: 6px; color: var(--muted); text-decoration: none; font-weight: 500; }
.site-nav a:hover { background: var(--bg); color: var(--text); }
.who { margin-left: auto; display: flex; align-items: center; gap: .6rem; color: var(--muted); font-size: .95rem; }
.who-name { font-weight: 600; color: var(--text); overflow-wrap: anywhere; }
.site-footer { margin-top: 3rem; padding: 1.25rem 0 2rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--border); }

/* Cards and layout */
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); padding: 1.1rem 1.25rem; margin: 0 0 1.25rem; }
.card > :first-child { margin-top: 0; }
.card > :last-child { margin-bottom: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 14rem), 1fr)); gap: 1rem; margin: 0 0 1.25rem; }
.cards > .card { margin: 0; }
.stat { font-size: 1.9rem; font-weight: 700; line-height: 1.1; margin: .25rem 0; font-variant-numeric: tabular-nums; }
.stat-unit { font-size: .95rem; font-weight: 500; color: var(--muted); white-space: nowrap; }
.stat-label { color: var(--muted); font-size: .9rem; margin: 0; }
.card.attention { border-left: 4px solid var(--accent); }
.section-head { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: .5rem 1rem; }
.section-head h2 { margin-bottom: .25rem; }
.list-plain { list-style: none; margin: 0; padding: 0; }
.list-plain > li { padding: .75rem 0; border-top: 1px solid var(--border); }
.list-plain > li:first-child { border-top: 0; padding-top: 0; }
.list-plain > li:last-child { padding-bottom: 0; }
.request-line { margin: 0 0 1rem; font-size: 1.05rem; }
.list-plain .request-line { margin: 0 0 .35rem; font-size: 1rem; }
.meta { color: var(--muted); font-size: .9rem; margin: 0; }

/* Definition lists as two-column facts */
dl.facts { display: grid; grid-template-columns: minmax(9rem, 14rem) 1fr; gap: .5rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); font-weight: 500; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 36rem) {
  dl.facts { grid-template-columns: 1fr; gap: .1rem; }
  dl.facts dd { margin-bottom: .6rem; }
}

/* Tables */
.table-scroll { overflow-x: auto; margin: 0 0 1rem; border: 1px solid var(--border); border-radius: var(--radius); background: var(--surface); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; padding: .6rem .8rem; font-weight: 600; }
th, td { padding: .55rem .8rem; text-align: left; vertical-align: top; border-bottom: 1px solid var(--border); }
thead th { background: var(--bg); font-size: .85rem; font-weight: 600; color: var(--muted); white-space: nowrap; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover { background: color-mix(in srgb, var(--accent-soft) 30%, transparent); }
tfoot th, tfoot td { font-weight: 700; border-top: 2px solid var(--border); border-bottom: 0; background: var(--bg); }
th[scope="row"] { font-weight: 600; }
tbody th[scope="row"] a { white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
.note-mark { font-size: .75em; margin-left: .15em; }
ol.notes { font-size: .9rem; color: var(--muted); padding-left: 1.4rem; margin: .25rem 0 1rem; }

/* Forms and buttons */
form { margin: 0; }
.form-card { max-width: 40rem; }
.field { margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: .3rem; }
input[type="text"], input[type="password"], input[type="email"], input[type="search"], input[type="url"],
input:not([type]), textarea, select {
  width: 100%; font: inherit; color: var(--text); background: var(--surface);
  border: 1px solid var(--border); border-radius: 8px; padding: .55rem .7rem;
}
textarea { min-height: 8rem; resize: vertical; font-family: var(--mono); font-size: .9rem; }
input:focus, textarea:focus, select:focus { border-color: var(--accent); outline: 3px solid var(--accent-soft); outline-offset: 0; }
.inline-form { display: inline-block; margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin: 1rem 0; }
.card .actions:last-child { margin-bottom: 0; }
.button, button {
  display: inline-flex; align-items: center; justify-content: center; gap: .4rem;
  font: inherit; font-weight: 600; line-height: 1.2; cursor: pointer; text-decoration: none;
  border-radius: 8px; padding: .55rem 1rem; border: 1px solid transparent;
  background: var(--accent); color: #fff;
}
.button:hover, button:hover { background: var(--accent-strong); color: #fff; }
.button.secondary, button.secondary { background: var(--surface); color: var(--accent-strong); border-color: var(--border); }
.button.secondary:hover, button.secondary:hover { background: var(--bg); color: var(--text); }
.button.danger, button.danger { background: var(--surface); color: var(--danger); border-color: var(--danger); }
.button.danger:hover, button.danger:hover { background: var(--danger); color: #fff; }
.button.quiet, button.quiet { background: transparent; color: var(--muted); border-color: var(--border); padding: .3rem .7rem; font-weight: 500; font-size: .9rem; }
.button.quiet:hover, button.quiet:hover { background: var(--bg); color: var(--text); }
@media (prefers-color-scheme: dark) {
  .button, button { color: #06201d; }
  .button:hover, button:hover { color: #06201d; }
}

/* Notices and badges */
.notice { border-radius: 8px; padding: .7rem .9rem; margin: 0 0 1rem; border-left: 4px solid var(--accent); background: var(--info-soft); }
.notice.success { border-color: var(--success); background: var(--success-soft); }
.notice.warning { border-color: var(--warning); background: var(--warning-soft); }
.notice.error { border-color: var(--danger); background: var(--danger-soft); }
.badge { display: inline-block; font-size: .8rem; font-weight: 600; border-radius: 999px; padding: .1rem .6rem; background: var(--bg); color: var(--muted); border: 1px solid var(--border); white-space: nowrap; }
.badge.pending { background: var(--warning-soft); color: var(--warning); border-color: transparent; }
.badge.good { background: var(--success-soft); color: var(--success); border-color: transparent; }
.badge.bad { background: var(--danger-soft); color: var(--danger); border-color: transparent; }
.error-card .status-code { color: var(--muted); font-size: .9rem; margin: 0; }

/* Charts (inline SVG, styled here) */
.chart-figure { margin: 0 0 1rem; overflow-x: auto; }
.chart-figure figcaption { color: var(--muted); font-size: .9rem; margin-top: .35rem; }
svg.chart { display: block; width: 100%; min-width: 34rem; height: auto; max-height: 22rem; font-family: var(--font); }
svg.chart text { fill: var(--muted); font-size: 11px; }
svg.chart .axis-title { font-size: 11px; font-weight: 600; }
svg.chart .grid { stroke: var(--border); stroke-width: 1; }
svg.chart .axis { stroke: var(--muted); stroke-width: 1; }
svg.chart .bar-location { fill: var(--accent); }
svg.chart .bar-market { fill: var(--second); }
svg.chart .line-kwh { fill: none; stroke: var(--line); stroke-width: 2; stroke-linejoin: round; }
svg.chart .dot-kwh { fill: var(--surface); stroke: var(--line); stroke-width: 2; }
svg.chart .legend-location { fill: var(--accent); }
svg.chart .legend-market { fill: var(--second); }
svg.chart .legend-kwh { stroke: var(--line); stroke-width: 2; }
svg.chart .legend text { fill: var(--text); font-size: 12px; }

/* QR codes */
.qr-box { display: inline-block; background: #fff; padding: .75rem; border-radius: var(--radius); border: 1px solid var(--border); }
svg.qr { display: block; width: min(20rem, 78vw); height: auto; aspect-ratio: 1; }
svg.qr .qr-light { fill: #fff; }
svg.qr .qr-dark { stroke: #000; }

@media (max-width: 40rem) {
  h1 { font-size: 1.45rem; }
  .wrap { padding: 0 .9rem; }
  .who { margin-left: 0; }
  .card { padding: .9rem 1rem; }
  .cards { grid-template-columns: repeat(auto-fit, minmax(9.5rem, 1fr)); gap: .75rem; }
  .stat { font-size: 1.45rem; }
}
@media print {
  .site-header, .site-footer, .actions, .inline-form { display: none; }
  body { background: #fff; }
  .card { box-shadow: none; }
}
"""

STYLESHEET_VERSION = hashlib.sha256(STYLESHEET.encode()).hexdigest()[:12]


async def _stylesheet(request: web.Request) -> web.Response:
    etag = f'"{STYLESHEET_VERSION}"'
    headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers=headers)
    return web.Response(text=STYLESHEET, content_type="text/css", charset="utf-8", headers=headers)


def static_routes() -> list[web.RouteDef]:
    """GET /static/style.css: the stylesheet as text/css, revalidated by its ETag (so a new
    stylesheet shows at once and an unchanged one costs a 304)."""
    return [web.get(STYLESHEET_PATH, _stylesheet)]
