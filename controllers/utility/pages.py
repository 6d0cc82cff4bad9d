"""The utility operator's pages, as pure functions returning whole documents (`layout.page`).

Every function takes the signed-in operator's name (`user`) and the session's CSRF token (`csrf`)
plus the data to show. No script, no inline style; everything shown is escaped. Links carry only
onboarding ids: account numbers appear in a page's body (the operator entered them), never in a URL.

Forms (POST, with hidden `csrf_token`): /onboardings/new with fields account and service_point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote

from controllers.utility.store import Onboarding
from controllers.web import layout
from controllers.web.layout import Html, h, notice, table
from controllers.web.invitation import invitation_block

__all__ = ["APP_NAME", "NAV", "onboardings", "new_onboarding", "invitation", "onboarding"]

APP_NAME = "Utility"
NAV: tuple[tuple[str, str], ...] = (("/onboardings", "Onboardings"),)
_REFRESH = 3  # seconds: pages waiting for an agent reload themselves
_STATES = {
    "invited": ("pending", "invited: waiting for the customer's wallet"),
    "connected": ("pending", "connected: offering the account credential"),
    "offered": ("pending", "offered: waiting for the wallet to accept"),
    "issued": ("pending", "issued: waiting for the wallet to store it"),
    "done": ("good", "done: the wallet holds the account credential"),
    "failed": ("bad", "failed"),
}
FINAL = frozenset({"done", "failed"})


def _page(title: str, body: str, user: str, csrf: str, *, refresh: bool = False) -> str:
    return layout.page(title, body, app_name=APP_NAME, nav=NAV, signed_in=user, csrf_token=csrf or None,
                       refresh=_REFRESH if refresh else None)


def _link(onboarding_id: str) -> str:
    return f"/onboardings/{quote(onboarding_id, safe='')}"


def _badge(state: str) -> str:
    kind, words = _STATES.get(state, ("pending", state))
    return f'<span class="badge {kind}">{h(words)}</span>'


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S") if timestamp else ""


def onboardings(user: str, csrf: str, listed: Sequence[tuple[Onboarding, float]]) -> str:
    """Every onboarding (with when it last changed), latest first."""
    rows = [(Html(f'<a href="{h(_link(o.onboarding_id))}"><code>{h(o.onboarding_id[:8])}</code></a>'),
             o.account, Html(_badge(o.state) + (f'<p class="meta">{h(o.reason)}</p>' if o.reason else "")),
             _when(updated))
            for o, updated in sorted(listed, key=lambda pair: pair[1], reverse=True)]
    if not rows:
        body = ('<div class="card"><p>No onboardings yet.</p>'
                '<p><a class="button" href="/onboardings/new">Invite a customer</a></p></div>')
    else:
        body = (table(("Onboarding", "Account", "State", "Updated (UTC)"), rows, row_headers=True)
                + '<div class="actions"><a class="button" href="/onboardings/new">New onboarding</a>'
                  '<a class="button secondary" href="/onboardings">Refresh</a></div>')
    return _page("Onboardings", body, user, csrf)


def new_onboarding(user: str, csrf: str, *, values: Mapping[str, str] | None = None, error: str | None = None) -> str:
    """The form inviting a customer: POST /onboardings/new with account and service_point."""
    v = {"account": "", "service_point": "", **(values or {})}
    body = (
        (notice(error, kind="error") if error else "")
        + '<p>The customer gets an invitation for their wallet. Once they accept it, the utility issues '
          'their wallet a credential naming this account and service point.</p>'
          '<form class="card form-card" method="post" action="/onboardings/new">'
          f'<input type="hidden" name="csrf_token" value="{h(csrf)}">'
          '<div class="field"><label for="account">Account number</label>'
          f'<input id="account" name="account" type="text" required maxlength="100" autocomplete="off" '
          f'value="{h(v["account"])}"></div>'
          '<div class="field"><label for="service_point">Service point</label>'
          f'<input id="service_point" name="service_point" type="text" required maxlength="100" autocomplete="off" '
          f'value="{h(v["service_point"])}"></div>'
          '<div class="actions"><button type="submit" class="button primary">Create the invitation</button></div>'
          "</form>"
    )
    return _page("New onboarding", body, user, csrf)


def invitation(user: str, csrf: str, onboarding_id: str, url: str) -> str:
    """The page after inviting a customer."""
    body = (notice("The invitation is ready. The onboarding waits for the customer to accept it.", kind="success")
            + invitation_block(url)
            + f'<p>Follow it on <a href="{h(_link(onboarding_id))}">its page (onboarding '
              f"<code>{h(onboarding_id[:8])}</code>)</a>.</p>")
    return _page("Customer invited", body, user, csrf)


def onboarding(user: str, csrf: str, record: Onboarding, updated: float | None) -> str:
    """One onboarding: its account, state and why it failed."""
    facts = [("Onboarding", Html(f"<code>{h(record.onboarding_id)}</code>")), ("Account", record.account),
             ("State", Html(_badge(record.state))), *([("Reason", record.reason)] if record.reason else []),
             ("Updated (UTC)", _when(updated))]
    body = ('<div class="card"><dl class="facts">' + "".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in facts)
            + "</dl></div>"
            + f'<div class="actions"><a class="button secondary" href="{h(_link(record.onboarding_id))}">Refresh</a></div>')
    return _page(f"Onboarding {record.onboarding_id[:8]}", body, user, csrf, refresh=record.state not in FINAL)
