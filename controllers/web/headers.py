"""Response headers that make the browser itself refuse what our pages never need.

Our pages load no scripts, frames, fonts or third-party anything: the CSP allows only our own
stylesheet and images (and data: images for QR codes), forms may post only to us, and no other
site may frame a page (clickjacking on an "approve" button). No referrer leaves, content types are
not guessed, and nothing but the static files is cached: a page may show a bill or a credential,
and the back button on a shared computer must not show it again after sign-out.

Install it outermost (`middlewares=[security_headers, error_pages(...), ...]`) so error pages get
the headers too; it also sets them on a `web.HTTPException` passing through. A handler that sets
one of these headers itself on purpose keeps its own value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping

from aiohttp import web

__all__ = ["security_headers", "SECURITY_HEADERS", "CONTENT_SECURITY_POLICY"]

CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_STATIC_PREFIX = "/static/"


def _path(request: web.Request) -> str:
    # The path as the router matches it (%2F still encoded): "/static%2F..." is not a static file.
    return request.rel_url.path_safe


def _apply(path: str, status: int, headers: MutableMapping[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    cacheable = path.startswith(_STATIC_PREFIX) and status < 400
    headers.setdefault("Cache-Control", "public, max-age=3600" if cacheable else "no-store")


@web.middleware
async def security_headers(request: web.Request,
                           handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _apply(_path(request), exc.status, exc.headers)
        raise
    if not response.prepared:  # a streamed response already sent its headers; nothing to add
        _apply(_path(request), response.status, response.headers)
    return response
