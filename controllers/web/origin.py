"""What every party's web app does before a handler runs: a state change from another site is refused.

A browser names the page a request comes from in `Origin` (and, in current browsers,
`Sec-Fetch-Site`) on every cross-site POST, and a page cannot forge either. So a POST, PUT, PATCH or
DELETE whose Origin is not this app's own, or that a browser marks cross-site, never reaches a
handler: a form on another web site cannot approve a consent in the person's name. Scripts (curl,
the demo) send neither header and pass; who may act at all is the sign-in's business.
Agent webhooks are exempt: they carry the agent's secret instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = ["same_origin_only", "foreign_origin"]

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def foreign_origin(request: web.Request) -> bool:
    """The browser says the request comes from another site's page."""
    origin = request.headers.get("Origin")
    return origin is not None and origin != f"{request.scheme}://{request.host}"


@web.middleware
async def same_origin_only(request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    if request.method not in _SAFE and not request.rel_url.path_safe.startswith("/webhooks/"):
        fetched_from = request.headers.get("Sec-Fetch-Site", "same-origin")
        if foreign_origin(request) or fetched_from not in {"same-origin", "none"}:
            raise web.HTTPForbidden(text="This change must be made from this service's own pages.")
    return await handler(request)
