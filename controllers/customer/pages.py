"""The wallet's HTML pages, as pure functions returning whole documents (`layout.page`).

Every function takes the signed-in person's name (`user`) and the session's CSRF token (`csrf`,
put in every form) plus the data to show, and does no I/O. The data is shaped by
`controllers.customer.views`; everything that came from a person or an agent is escaped here.
No script, no inline style: the shared stylesheet does the look.

Forms (all POST, all with hidden `csrf_token`):
  /connect                                  fields `invitation` (text) and `label` (optional)
  /consents/{id}/approve | decline | revoke
  /credentials/{id}/bill/check
  /presentation-requests/{id}/approve | decline
  /signout (in the header)
Links: /credentials/{id} and GET /credentials/{id}/bill; ids percent-encoded as one path segment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from controllers.customer import views
from controllers.customer.chart import monthly_chart
from controllers.customer.emissions import SharingRequest
from controllers.customer.store import ConsentRecord
from controllers.customer.views import AccountRow, AccountYear, ConsentView, EmissionsRow, number
from controllers.web import layout
from controllers.web.layout import Html, h, notice, post_button, table
from controllers.web.qr import qr_svg

__all__ = [
    "APP_NAME",
    "NAV",
    "home",
    "connect",
    "consents",
    "consent",
    "credentials",
    "credential",
    "sharing_requests",
    "sharing_request",
    "error",
]

APP_NAME = "Your energy wallet"
NAV: tuple[tuple[str, str], ...] = (
    ("/", "Home"),
    ("/connect", "Connect"),
    ("/consents", "Consents"),
    ("/credentials", "Credentials"),
    ("/presentation-requests", "Share"),
)


def _page(title: str, body: str, user: str, csrf: str) -> str:
    return layout.page(title, body, app_name=APP_NAME, nav=NAV, signed_in=user, csrf_token=csrf)


def error(status: int, sentence: str) -> str:
    """The wallet's error page (no navigation: the person may not be signed in)."""
    return layout.error_page(status, sentence, app_name=APP_NAME)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _stat(value: str, unit: str, label: str) -> str:
    return (f'<div class="card"><p class="stat-label">{h(label)}</p>'
            f'<p class="stat">{h(value)} <span class="stat-unit">{h(unit)}</span></p></div>')


def _facts(items: Sequence[tuple[str, str]]) -> str:
    """A definition list; values are HTML the caller escaped."""
    return '<dl class="facts">' + "".join(f"<dt>{h(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _utility(utility: str, name: str | None = None) -> str:
    return f"{name} (EIA {utility})" if name else f"utility EIA {utility}"


def _and_fuel(group: AccountYear) -> str:
    return " and ".join(views.fuel_words(f) for f in group.fuels) or "fuel"


def _fuel_used(group: AccountYear) -> str:
    """"600 therm (60.0 mmBtu)"; bills in several units are listed unit by unit, the mmBtu summed."""
    quantities = ", ".join(f"{number(total)} {unit}" for unit, total in group.fuel_used)
    return f"{quantities} ({number(group.total_mmbtu)} mmBtu)"


# ---------------------------------------------------------------- home

def home(user: str, csrf: str, *, pending_consents: int, pending_shares: int, audits_in_progress: Sequence[str],
         groups: Sequence[AccountYear], notice_text: str | None = None) -> str:
    """The dashboard: what waits for the person (consent requests, requests to share), audits in
    progress (one sentence each, shown as given, escaped), the latest year's totals per account,
    and links onward. `notice_text`: an optional sentence shown on top (e.g. after signing in)."""
    parts = [notice(notice_text, kind="success")] if notice_text else []

    waiting = []
    if pending_consents:
        waiting.append(
            f'<div class="card attention"><p class="stat-label">Consent requests</p>'
            f'<p class="stat">{pending_consents}</p>'
            f'<p>{h(_plural(pending_consents, "auditor request"))} to read your utility data '
            f'{"waits" if pending_consents == 1 else "wait"} for your answer.</p>'
            f'<p><a class="button" href="/consents">Review consent requests</a></p></div>')
    if pending_shares:
        waiting.append(
            f'<div class="card attention"><p class="stat-label">Requests to share</p>'
            f'<p class="stat">{pending_shares}</p>'
            f'<p>{h(_plural(pending_shares, "request"))} to see your emissions credentials '
            f'{"waits" if pending_shares == 1 else "wait"} for your answer.</p>'
            f'<p><a class="button" href="/presentation-requests">Review requests to share</a></p></div>')
    parts.append('<section aria-labelledby="waiting"><h2 id="waiting">Waiting for you</h2>')
    parts.append(f'<div class="cards">{"".join(waiting)}</div>' if waiting
                 else '<p class="card">Nothing waits for you right now.</p>')
    parts.append("</section>")

    if audits_in_progress:
        items = "".join(f"<li>{h(line)}</li>" for line in audits_in_progress)
        parts.append(f'<section aria-labelledby="audits"><h2 id="audits">Audits in progress</h2>'
                     f'<div class="card"><ul class="list-plain">{items}</ul></div></section>')

    parts.append('<section aria-labelledby="latest"><h2 id="latest">Your latest emissions</h2>')
    latest: dict[tuple[str, str, int], AccountYear] = {}
    for group in groups:  # newest year first
        latest.setdefault((group.utility, group.account, group.scope), group)
    if latest:
        cards = []
        for group in latest.values():
            if group.scope == 1:
                figures = (f'<p class="stat">{h(number(group.total_scope1))} <span class="stat-unit">tCO2e</span></p>'
                           f'<p class="stat-label">Scope 1, {h(_and_fuel(group))} burned on site: '
                           f'{h(_fuel_used(group))}.</p>')
            else:
                figures = (f'<p class="stat">{h(number(group.total_location))} <span class="stat-unit">tCO2e</span></p>'
                           f'<p class="stat-label">Location-based. Market-based: {h(number(group.total_market))} tCO2e. '
                           f'Electricity used: {h(number(group.total_kwh))} kWh.</p>')
            cards.append(
                f'<div class="card"><h3>{h(group.title)}</h3>'
                f'<p class="meta">{h(_utility(group.utility))} · {h(_plural(group.months, "month"))}</p>'
                f'{figures}<p><a href="/credentials#{h(group.key)}">See the months</a></p></div>')
        parts.append(f'<div class="cards">{"".join(cards)}</div>')
    else:
        parts.append('<div class="card"><p>You hold no emissions credentials yet. Connect to your utility and '
                     'to an auditor; once the auditor has checked your bills, its credentials appear here.</p>'
                     '<p><a class="button" href="/connect">Connect</a></p></div>')
    parts.append("</section>")

    parts.append('<section aria-labelledby="more"><h2 id="more">More</h2><ul>'
                 '<li><a href="/credentials">All your credentials, month by month</a></li>'
                 '<li><a href="/consents">Consents you have given or been asked for</a></li>'
                 '<li><a href="/connect">Connect to a utility, auditor or verifier</a></li>'
                 "</ul></section>")
    return _page("Home", "".join(parts), user, csrf)


# ---------------------------------------------------------------- connect

def connect(user: str, csrf: str, *, error: str | None = None, connected: str | None = None,
            invitation: str = "", label: str = "") -> str:
    """The form to accept an invitation: POST /connect with `invitation` (the link or its text)
    and an optional `label` (the name the person gives the connection). `connected`: the name of
    a connection just made (a success sentence); `error`: why the last attempt failed (with the
    person's `invitation` and `label` put back in the form)."""
    parts = []
    if connected:
        parts.append(notice(f"Connected to {connected}. What they ask of you will appear on the Home page.",
                            kind="success"))
    if error:
        parts.append(notice(error, kind="error"))
    parts.append(
        '<p>Your utility, auditor or a verifier gives you an invitation, as a link or a block of text. '
        'Paste it here to connect your wallet to them. Connecting shares nothing yet: each request they '
        'send later waits for your answer.</p>'
        '<form class="card form-card" method="post" action="/connect">'
        f'<input type="hidden" name="csrf_token" value="{h(csrf)}">'
        '<div class="field"><label for="invitation">Invitation</label>'
        '<p class="hint" id="invitation-hint">Paste the invitation link or its text from your utility, auditor '
        'or verifier</p>'
        '<textarea id="invitation" name="invitation" rows="6" required spellcheck="false" autocomplete="off" '
        f'aria-describedby="invitation-hint">{h(invitation)}</textarea></div>'
        '<div class="field"><label for="label">Name for this connection (optional)</label>'
        '<p class="hint" id="label-hint">For example “My utility”. Without one, the name they sent is used.</p>'
        f'<input type="text" id="label" name="label" maxlength="100" value="{h(label)}" autocomplete="off" '
        'aria-describedby="label-hint"></div>'
        '<div class="actions"><button type="submit" class="button primary">Connect</button></div>'
        "</form>"
    )
    return _page("Connect", "".join(parts), user, csrf)


# ---------------------------------------------------------------- consents

def _who(view: ConsentView, auditor_names: Mapping[str, str] | None) -> str:
    name = (auditor_names or {}).get(view.auditor_did)
    return name if name else f"An auditor not in the ledger's auditor registry ({view.auditor_did})"


def _consent_sentence(view: ConsentView, who: str) -> str:
    return (f"{who} asks to read {view.data_phrase} of account {view.account} for {view.months}, "
            f"for the purpose “{view.purpose}”, until {view.until}.")


def _badge(view: ConsentView) -> str:
    tone = {"pending": "pending", "issued": "good", "approved": "good", "failed": "bad"}.get(view.state, "")
    return f'<span class="badge {tone}">{h(view.state_words)}</span>'


def consents(user: str, csrf: str, records: Sequence[ConsentRecord], *,
             auditor_names: Mapping[str, str] | None = None) -> str:
    """Every consent request, those waiting for an answer first, each as one plain sentence with
    a link to its page. `auditor_names`: auditor DID -> name from the ledger's registry (a DID not
    in it is described as such)."""
    shown = [views.consent_view(r) for r in records]
    pending = [v for v in reversed(shown) if v.pending]
    others = [v for v in reversed(shown) if not v.pending]

    def items(group: list[ConsentView]) -> str:
        return "".join(
            f"<li><p class=\"request-line\">{h(_consent_sentence(v, _who(v, auditor_names)))}</p>"
            f'<p class="meta">{_badge(v)} · <a href="{h(v.path)}">'
            f'{"Review and answer" if v.pending else "Details"}'
            f'<span class="visually-hidden"> ({h(v.months)}, account {h(v.account)})</span></a></p></li>'
            for v in group)

    parts = ['<p>An auditor asks for your consent before it may read your data from your utility. '
             'You decide on each request; a consent you granted can be revoked.</p>']
    parts.append('<section aria-labelledby="pending"><h2 id="pending">Waiting for your answer</h2>')
    parts.append(f'<div class="card"><ul class="list-plain">{items(pending)}</ul></div>' if pending
                 else '<p class="card">No consent request waits for your answer.</p>')
    parts.append("</section>")
    if others:
        parts.append('<section aria-labelledby="earlier"><h2 id="earlier">Earlier requests</h2>'
                     f'<div class="card"><ul class="list-plain">{items(others)}</ul></div></section>')
    return _page("Consents", "".join(parts), user, csrf)


def consent(user: str, csrf: str, record: ConsentRecord, *, auditor_name: str | None,
            utility_name: str | None) -> str:
    """One consent request in plain words, with Approve and Decline while it is pending and Revoke
    once granted. `auditor_name` None: the auditor's DID is not in the ledger's auditor registry,
    shown as a warning; `utility_name` None: the utility is named by its EIA number."""
    view = views.consent_view(record)
    who = auditor_name or f"an auditor not in the ledger's auditor registry ({view.auditor_did})"
    parts = []
    if auditor_name is None:
        parts.append(notice(f"Careful: this request comes from an auditor not in the ledger's auditor registry "
                            f"({view.auditor_did}). Approve it only if you know who this is and why they ask.",
                            kind="warning"))
    if view.reason:
        parts.append(notice(view.reason, kind="error" if view.state == "failed" else "info"))
    sentence = f"{who[0].upper()}{who[1:]}"
    parts.append(f'<p class="request-line">{h(_consent_sentence(view, sentence))}</p>')
    data = "<ul>" + "".join(f"<li>{h(d)}</li>" for d in view.data) + "</ul>" if view.data else "Not stated"
    who_html = (f"{h(auditor_name)}<br><code>{h(view.auditor_did)}</code>" if auditor_name
                else f"<strong>Not in the ledger's auditor registry</strong><br><code>{h(view.auditor_did)}</code>")
    parts.append('<div class="card">' + _facts([
        ("Who asks", who_html),
        ("Account", f"{h(view.account)} at {h(_utility(view.utility, utility_name))}"),
        ("Months", h(view.months)),
        ("Data", data),
        ("Why", h(view.purpose)),
        ("Until", h(view.until)),
        ("State", _badge(view)),
    ]) + "</div>")
    actions = ""
    if view.pending:
        parts.append('<p class="muted">Approving signs a consent with your wallet\'s key and sends it to this '
                     'auditor. Your utility then lets the auditor read this data, for these months only, until '
                     'the date above or until you revoke the consent.</p>')
        actions = (post_button(f"{view.path}/approve", "Approve", csrf)
                   + post_button(f"{view.path}/decline", "Decline", csrf, secondary=True))
    elif view.revocable:
        parts.append('<p class="muted">Revoking tells your utility to stop giving this auditor your data. '
                     'What it has already read stays with it.</p>')
        actions = post_button(f"{view.path}/revoke", "Revoke this consent", csrf, danger=True)
    if actions:
        parts.append(f'<div class="actions">{actions}</div>')
    parts.append('<p><a href="/consents">Back to all consent requests</a></p>')
    return _page("Consent request", "".join(parts), user, csrf)


# ---------------------------------------------------------------- credentials

def _fuel_section(group: AccountYear) -> str:
    """A Scope 1 account-year: fuel as billed, its energy and tCO2e per period; no chart (the chart
    draws electricity)."""
    many_points = len(group.service_points) > 1
    rows = []
    for row in group.rows:
        cells = [Html(f'<a href="{h(row.path)}">{h(row.period_label)}</a>')]
        if many_points:
            cells.append(row.service_point)
        cells += [f"{number(row.fuel_quantity)} {row.fuel_unit}", number(row.fuel_mmbtu), number(row.tco2e_scope1)]
        rows.append(cells)
    headers = ["Period"] + (["Service point"] if many_points else []) + \
              ["Fuel used (as billed)", "mmBtu", "tCO2e Scope 1"]
    first_num = 2 if many_points else 1
    single_unit = len(group.fuel_used) == 1
    footer = [f"Total {group.year}"] + ([""] if many_points else []) + \
             [f"{number(group.fuel_used[0][1])} {group.fuel_used[0][0]}" if single_unit else "",
              number(group.total_mmbtu), number(group.total_scope1)]
    fuels = _and_fuel(group)
    parts = [
        *_section_head(group, group.title, [
            _stat(number(group.total_scope1), "tCO2e", f"Scope 1, {fuels} burned on site, {group.year}"),
            _stat(number(group.total_mmbtu), "mmBtu", f"Energy of the {fuels} used, {group.year}")]),
        table(headers, rows, row_headers=True, numeric=range(first_num, first_num + 3), footer=footer,
              caption=f"Account {group.account}, {fuels}, {group.year}, newest month first"),
    ]
    return "".join(parts) + _section_end(group)


def _section_head(group: AccountYear, title: str, cards: list[str]) -> list[str]:
    """An account-year section's opening: its heading, utility and months, and its stat cards."""
    return [
        f'<section class="account-year" id="{h(group.key)}" aria-labelledby="{h(group.key)}-h">',
        f'<div class="section-head"><h2 id="{h(group.key)}-h">{h(title)}</h2>'
        f'<p class="meta">{h(_utility(group.utility))} · {h(_plural(group.months, "month"))}</p></div>',
        '<div class="cards">', *cards, "</div>",
    ]


def _section_end(group: AccountYear) -> str:
    """The note on superseded credentials, if any, and the end of the section."""
    end = ""
    if group.superseded:
        replaced = "credential was" if group.superseded == 1 else "credentials were"
        end = notice(
            f"{group.superseded} older {replaced} replaced by a newer issue for the same period; only the "
            f"newest issue of each period is shown and counted.", kind="info")
    return end + "</section>"


def _group_section(group: AccountYear) -> str:
    if group.scope == 1:
        return _fuel_section(group)
    many_points = len(group.service_points) > 1
    notes: list[str] = []  # distinct reasons, numbered in order of first use

    def note_mark(reason: str) -> str:
        if reason not in notes:
            notes.append(reason)
        number_ = notes.index(reason) + 1
        return (f'<sup class="note-mark"><a href="#{h(group.key)}-note-{number_}" '
                f'aria-label="Note {number_}: why the figures are equal">{number_}</a></sup>')

    rows = []
    for row in group.rows:
        market = h(number(row.tco2e_market))
        if row.equal_reason:
            market += note_mark(row.equal_reason)
        cells = [Html(f'<a href="{h(row.path)}">{h(row.period_label)}</a>')]
        if many_points:
            cells.append(row.service_point)
        cells += [number(row.kwh), number(row.tco2e_location), Html(market)]
        rows.append(cells)
    headers = ["Period"] + (["Service point"] if many_points else []) + \
              ["kWh", "tCO2e location-based", "tCO2e market-based"]
    first_num = 2 if many_points else 1
    footer = [f"Total {group.year}"] + ([""] if many_points else []) + \
             [number(group.total_kwh), number(group.total_location), number(group.total_market)]
    numeric = range(first_num, first_num + 3)
    table_html = table(headers, rows, row_headers=True, numeric=numeric, footer=footer,
                       caption=f"Account {group.account}, {group.year}, newest month first")

    title = group.title
    parts = [
        *_section_head(group, title, [
            _stat(number(group.total_location), "tCO2e", f"Location-based, {group.year}"),
            _stat(number(group.total_market), "tCO2e", f"Market-based, {group.year}"),
            _stat(number(group.total_kwh), "kWh", f"Electricity used, {group.year}")]),
        '<figure class="card chart-figure">',
        monthly_chart(group.points, title=f"Emissions and electricity use by month, {title}", key=group.key),
        "<figcaption>Bars: tCO2e per month, location-based and market-based (left axis). "
        "Line: kWh per month (right axis).</figcaption></figure>",
        table_html,
    ]
    if notes:
        parts.append("<ol class=\"notes\">" + "".join(
            f'<li id="{h(group.key)}-note-{i}">{h(reason)}</li>' for i, reason in enumerate(notes, 1)) + "</ol>")
    return "".join(parts) + _section_end(group)


def credentials(user: str, csrf: str, groups: Sequence[AccountYear], accounts: Sequence[AccountRow], *,
                unreadable: int = 0) -> str:
    """Held credentials: per account and year (as `views.group_rows` gives them) the totals, the
    monthly chart and a table (one row per period, linking to its page; a numbered note where
    market-based equals location-based; the year's totals); then the account credentials
    (`views.accounts`). `unreadable`: emissions credentials that could not be read (`views.unreadable`)."""
    parts = []
    if unreadable:
        verb = "is" if unreadable == 1 else "are"
        parts.append(notice(f"{_plural(unreadable, 'emissions credential')} in your wallet could not be read "
                            f"and {verb} not shown.", kind="warning"))
    if groups:
        parts.append("<p>Each emissions credential is an auditor's signed statement of one billing period: "
                     "the electricity you used and its Scope 2 emissions, location-based (the grid average "
                     "where you are) and market-based (your utility's own mix, where one is registered)"
                     + (", or the fuel you burned on site, such as natural gas, and its Scope 1 emissions" if any(g.scope == 1 for g in groups)
                        else "") + ". All emissions are in tonnes of CO2 equivalent (tCO2e).</p>")
        parts.extend(_group_section(group) for group in groups)
    else:
        parts.append('<div class="card"><p>You hold no emissions credentials yet. Once an auditor has checked '
                     'your bills, it sends one for each billing period and they appear here.</p></div>')

    parts.append('<section aria-labelledby="accounts-h"><h2 id="accounts-h">Account credentials</h2>')
    if accounts:
        parts.append("<p>Your utility's statements that these accounts are yours.</p>")
        parts.append(table(["Account", "Utility", "Service point", "Issued by", "Issued"],
                           [[a.account, _utility(a.utility), a.service_point,
                             Html(f"<code>{h(a.issuer)}</code>"), a.issued] for a in accounts],
                           row_headers=True))
    else:
        parts.append('<p class="card">No account credentials yet: your utility sends one when you connect to it.</p>')
    parts.append("</section>")
    return _page("Credentials", "".join(parts), user, csrf)


def credential(user: str, csrf: str, row: EmissionsRow, *, bill_check: str | None = None,
               bill_check_ok: bool | None = None, utility_name: str | None = None) -> str:
    """One emissions credential: its figures, why the two figures are equal when they are, the
    emission factors, the ledger anchor, the bill's content id and hash, the issuer; a button
    POST /credentials/{id}/bill/check and a link GET /credentials/{id}/bill. `bill_check`: the
    sentence saying how the last check went (`bill_check_ok` True/False colours it)."""
    parts = []
    if bill_check:
        kind = "success" if bill_check_ok else "error" if bill_check_ok is False else "info"
        parts.append(notice(bill_check, kind=kind))
    parts.append(f'<p class="meta">Account {h(row.account)} at {h(_utility(row.utility, utility_name))}, '
                 f"service point {h(row.service_point)}</p>")
    if row.scope == 1:
        parts.append(_fuel_figures(row))
    else:
        parts.append(_electricity_figures(row))
    _credential_tail(parts, row, csrf)
    return _page(f"Emissions for {row.period_label}", "".join(parts), user, csrf)


def openid_offer(user: str, csrf: str, row: EmissionsRow, offer: Mapping[str, object]) -> str:
    """The auditor's OpenID4VCI offer of one credential as a QR code and link, and its PIN, shown only
    here: the other wallet asks for the PIN when it takes the offer."""
    uri = str(offer["offer_uri"])
    minutes = max(1, int(float(str(offer.get("expires_in", 600))) // 60))
    body = (notice(f"Scan the code with the other wallet, then enter the PIN {offer['pin']} when it asks. "
                   f"The offer can be taken once, within {minutes} minutes.", kind="info")
            + '<section aria-labelledby="offer-h" class="card"><h2 id="offer-h">The offer</h2>'
            + f'<div class="qr">{qr_svg(uri, title="Credential offer")}</div>'
            + _facts([("PIN", f"<strong>{h(offer['pin'])}</strong>"), ("Link", f'<a href="{h(uri)}">{h(uri[:60])}...</a>')])
            + f'<div class="actions"><a class="button secondary" href="{h(row.path)}">Back to the credential</a></div>'
            + "</section>")
    return _page(f"Add {row.period_label} to another wallet", body, user, csrf)


def _fuel_figures(row: EmissionsRow) -> str:
    factors = row.fuel_factors
    per_mmbtu = ", ".join(f"{h(factors[term])} {unit}" for term, unit in (
        ("co2KgPerMmbtu", "kg CO2"), ("ch4GPerMmbtu", "g CH4"), ("n2oGPerMmbtu", "g N2O")) if term in factors)
    figures = [
        ("Period", f"{h(row.period_label)} <span class=\"muted\">({h(row.period_start.isoformat())} to "
                   f"{h(row.period_end.isoformat())})</span>"),
        ("Scope", f"Scope 1: {h(views.fuel_words(row.fuel))} burned on site"),
        ("Fuel used", f"{h(number(row.fuel_quantity))} {h(row.fuel_unit)} ({h(number(row.fuel_mmbtu))} mmBtu)"),
        ("Emissions", f"{h(number(row.tco2e_scope1))} tCO2e"),
        ("Factor edition", h(row.factor_edition)),
        ("Emission factors", f"{per_mmbtu} per mmBtu" if per_mmbtu else "Not stated"),
        ("Heat content", f"{h(factors['heatContentMmbtuPerScf'])} mmBtu per scf"
         if "heatContentMmbtuPerScf" in factors else "Not stated"),
        ("Global warming potentials", h(row.gwp_set or "Not stated")),
        ("Factor source", h(row.factor_source or "Not stated")),
    ]
    return ('<div class="cards">'
            + _stat(f"{number(row.fuel_quantity)}", row.fuel_unit or "", f"{views.fuel_words(row.fuel).capitalize()} used")
            + _stat(number(row.fuel_mmbtu), "mmBtu", "Energy")
            + _stat(number(row.tco2e_scope1), "tCO2e", "Scope 1 emissions")
            + "</div>"
            + '<section aria-labelledby="figures-h" class="card"><h2 id="figures-h">Figures</h2>'
            + _facts(figures) + "</section>")


def _electricity_figures(row: EmissionsRow) -> str:
    parts = []
    parts.append('<div class="cards">'
                 + _stat(number(row.kwh), "kWh", "Electricity used")
                 + _stat(number(row.tco2e_location), "tCO2e", "Location-based emissions")
                 + _stat(number(row.tco2e_market), "tCO2e", "Market-based emissions")
                 + "</div>")
    if row.equal_reason:
        parts.append(notice(row.equal_reason, kind="info"))

    location_factor = (f"{h(row.location_factor)} kg CO2e per kWh" if row.location_factor else "Not stated") + \
        (f" ({h(row.location_source)})" if row.location_source else "")
    market_factor = (f"{h(row.market_factor)} kg CO2e per kWh" if row.market_factor else "Not stated") + \
        (f" ({h(row.market_method_words)})" if row.market_method_words else "")
    figures = [
        ("Period", f"{h(row.period_label)} <span class=\"muted\">({h(row.period_start.isoformat())} to "
                   f"{h(row.period_end.isoformat())})</span>"),
        ("Electricity used", f"{h(number(row.kwh))} kWh"),
        ("Location-based", f"{h(number(row.tco2e_location))} tCO2e"),
        ("Market-based", f"{h(number(row.tco2e_market))} tCO2e"),
        ("Factor edition", h(row.factor_edition)),
        ("Location-based factor", location_factor),
        ("Market-based factor", market_factor),
    ]
    if row.hourly_intervals:
        figures.append(("Interval readings", h(f"{row.hourly_intervals} included in the credential")))
    parts.append('<section aria-labelledby="figures-h" class="card"><h2 id="figures-h">Figures</h2>'
                 + _facts(figures) + "</section>")
    return "".join(parts)


def _credential_tail(parts: list[str], row: EmissionsRow, csrf: str) -> None:
    """The ledger anchor, the bill and the issuer: the same for both scopes."""
    parts.append('<section aria-labelledby="ledger-h" class="card"><h2 id="ledger-h">Ledger anchor</h2>'
                 "<p class=\"muted\">Where the auditors' ledger recorded these figures; anyone you share the "
                 "credential with can check them there.</p>"
                 + _facts([
                     ("Record id", f"<code>{h(row.record_id)}</code>"),
                     ("Transaction id", f"<code>{h(row.tx_id)}</code>"),
                     ("Block", h(row.block_number)),
                     ("Channel", h(row.channel)),
                 ]) + "</section>")

    bill_path = f"{row.path}/bill"
    parts.append('<section aria-labelledby="bill-h" class="card"><h2 id="bill-h">The bill</h2>'
                 "<p class=\"muted\">The bill these figures come from is stored encrypted to your wallet's key. "
                 "Checking downloads it, opens it and compares it with the fingerprint in the credential.</p>"
                 + _facts([
                     ("Content id", f"<code>{h(row.bill_content_id)}</code>"),
                     ("SHA-256", f"<code>{h(row.bill_sha256)}</code>"),
                 ])
                 + '<div class="actions">'
                 + post_button(f"{bill_path}/check", "Download and check the bill", csrf)
                 + f'<a class="button secondary" href="{h(bill_path)}">Download the bill</a></div></section>')

    parts.append('<section aria-labelledby="openid-h" class="card"><h2 id="openid-h">In another wallet</h2>'
                 "<p class=\"muted\">A wallet app that speaks OpenID for Verifiable Credentials can hold this "
                 "credential too, without your account number unless you choose to show it.</p>"
                 '<div class="actions">' + post_button(f"{row.path}/openid-offer", "Add it to another wallet", csrf,
                                                        secondary=True)
                 + "</div></section>")

    parts.append('<section aria-labelledby="issuer-h" class="card"><h2 id="issuer-h">Issued by</h2>'
                 + _facts([
                     ("Auditor", f"<code>{h(row.issuer)}</code>"),
                     ("Issued", h(row.issued_label)),
                     ("Credential id", f"<code>{h(row.credential_id)}</code>"),
                 ]) + "</section>")
    parts.append(f'<p><a href="/credentials#{h(row.group_key)}">Back to {h(row.year)} for account '
                 f"{h(row.account)}</a></p>")


# ---------------------------------------------------------------- sharing

def _asked(request: SharingRequest) -> str:
    if request.asked_records is None:
        return "any of your emissions credentials"
    return f"{_plural(len(request.asked_records), 'specific emissions credential')}"


def sharing_requests(user: str, csrf: str, requests: Sequence[SharingRequest]) -> str:
    """Pending requests to see emissions credentials: who asks, for what, how many the wallet
    holds that match, each linking to its page."""
    if not requests:
        body = '<p class="card">No one is asking to see your emissions credentials.</p>'
        return _page("Requests to share", body, user, csrf)
    items = "".join(
        f'<li><p class="request-line">{h(r.requester)} asks to see {h(_asked(r))}.</p>'
        f'<p class="meta">{h(_plural(len(r.matches), "matching credential"))} in your wallet · '
        f'<a href="/presentation-requests/{h(_segment(r.pres_ex_id))}">Review and answer'
        f'<span class="visually-hidden"> the request from {h(r.requester)}</span></a></p></li>'
        for r in requests)
    body = ("<p>A verifier, such as a bank or a buyer, can ask to see your emissions credentials. Nothing is "
            "shared until you say so.</p>"
            f'<div class="card"><ul class="list-plain">{items}</ul></div>')
    return _page("Requests to share", body, user, csrf)


def sharing_request(user: str, csrf: str, request: SharingRequest, *,
                    held: Mapping[str, EmissionsRow] | None = None) -> str:
    """One request to share: who asks, what for, and for each matching credential the figures
    that would be shared, with Share and Decline. `held`: the wallet's emissions credentials by
    ledger record id (`views.rows_by_record`), for the figures; a match not in it shows its
    period only."""
    held = held or {}
    base = f"/presentation-requests/{_segment(request.pres_ex_id)}"
    parts = [f'<p class="request-line">{h(request.requester)} asks to see {h(_asked(request))}.</p>']
    if request.comment:
        parts.append(f'<p>Their note: <q>{h(request.comment)}</q></p>')

    rows = []
    hourly = 0
    # Scope and Scope 1 columns only when a fuel credential is among them: most requests are electricity.
    fuel = any(row.scope == 1 for row in (held.get(m.ledger_record) for m in request.matches) if row is not None)

    def optional(*cells: object) -> list[object]:
        return list(cells) if fuel else []

    for match in request.matches:
        row = held.get(match.ledger_record)
        period: object = views.period_words(match.period_start, match.period_end)
        if row is None:
            rows.append([period, *optional("—"), "—", "—", "—", *optional("—"), Html(f"<code>{h(match.issuer)}</code>")])
            continue
        period = Html(f'<a href="{h(row.path)}">{h(row.period_label)}</a>')
        hourly += 1 if row.hourly_intervals else 0
        if row.scope == 1:
            rows.append([period, "Scope 1", f"{number(row.fuel_quantity)} {row.fuel_unit} of "
                         f"{views.fuel_words(row.fuel)}", "—", "—", number(row.tco2e_scope1),
                         Html(f"<code>{h(row.issuer)}</code>")])
        else:
            rows.append([period, *optional("Scope 2"), f"{number(row.kwh)} kWh" if fuel else number(row.kwh),
                         number(row.tco2e_location), number(row.tco2e_market), *optional("—"),
                         Html(f"<code>{h(row.issuer)}</code>")])
    if rows:
        parts.append("<h2>What would be shared</h2>")
        headers = (["Period", "Scope", "Used", "tCO2e location-based (Scope 2)", "tCO2e market-based (Scope 2)",
                    "tCO2e Scope 1", "Issued by"] if fuel else
                   ["Period", "kWh", "tCO2e location-based", "tCO2e market-based", "Issued by"])
        parts.append(table(headers, rows, row_headers=True, numeric=(3, 4, 5) if fuel else (1, 2, 3)))
        hourly_words = (f" and, for {_plural(hourly, 'credential')}, the interval readings" if hourly else "")
        parts.append("<p class=\"muted\">Each credential is shared whole, as the auditor signed it: with the "
                     "figures above it shows your account number and service point, the emission factors, the "
                     f"bill's fingerprint and the ledger anchor{hourly_words}.</p>")
    else:
        parts.append(notice("You hold no credential this request matches. Sharing tells them so; "
                            "declining tells them you said no.", kind="info"))
    if request.asked_records is not None:
        missing = len(set(request.asked_records) - {m.ledger_record for m in request.matches})
        if missing:
            parts.append(notice(f"{_plural(missing, 'credential')} they asked for "
                                f"{'is' if missing == 1 else 'are'} not in your wallet and cannot be shared.",
                                kind="warning"))
    share_label = f"Share {_plural(len(rows), 'credential')}" if rows else "Tell them I have none"
    parts.append('<div class="actions">'
                 + post_button(f"{base}/approve", share_label, csrf)
                 + post_button(f"{base}/decline", "Decline", csrf, secondary=True)
                 + "</div>")
    parts.append('<p><a href="/presentation-requests">Back to all requests</a></p>')
    return _page("Request to share", "".join(parts), user, csrf)
