"""Every failure answers in the app's own shape: a page for a person, `{"error": ...}` for a script.

A handler raises `web.HTTPNotFound(text="There is no such consent.")` and the person sees that
sentence on a page in the app's layout, with the same status; an `/api/` caller gets it as JSON.
Anything unexpected is logged with its traceback here and answered with a plain 500 sentence: a
traceback shown to the browser would tell an attacker about the code and could show a person's data.
Redirects and the agent's `/webhooks/` pass through untouched (the agent wants plain statuses).
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from controllers.web import layout

__all__ = ["error_pages", "sentence_for", "DEFAULT_SENTENCES", "UNEXPECTED"]

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side; nothing you sent was lost. Try again in a moment."
DEFAULT_SENTENCES = {
    400: "The request could not be understood; check what you entered and try again.",
    401: "Sign in first.",
    403: "You are not allowed to do that.",
    404: "There is no such page.",
    405: "That cannot be done here.",
    409: "That changed in the meantime; reload the page and try again.",
    413: "What you sent is too large.",
    429: "Too many attempts; wait a moment and try again.",
    500: UNEXPECTED,
    502: "A service this one relies on is not answering; try again in a moment.",
    503: "This service is busy or unavailable right now; try again in a moment.",
    504: "A service this one relies on is not answering; try again in a moment.",
}
_MAX_SENTENCE = 300
_AIOHTTP_DEFAULT = re.compile(r"^\d{3}: ")  # "404: Not Found", what aiohttp writes when no text is given
# Headers of the original answer that say how to go on; the body's own headers are rewritten.
_DROPPED = {"content-type", "content-length", "content-encoding", "transfer-encoding"}


def _default(status: int) -> str:
    if status in DEFAULT_SENTENCES:
        return DEFAULT_SENTENCES[status]
    return UNEXPECTED if status >= 500 else "That could not be done."


def sentence_for(exc: web.HTTPException) -> str:
    """The one sentence to show for `exc`: its JSON "error", its own short plain text, or a default."""
    try:
        text = (exc.text or "").strip() if exc.body is not None else ""
    except (AttributeError, UnicodeDecodeError, LookupError):  # a body that is not text
        text = ""
    if text.startswith("{"):
        try:
            error = json.loads(text).get("error")
        except (ValueError, AttributeError):
            error = None
        if isinstance(error, str) and error.strip() and len(error) <= _MAX_SENTENCE:
            return error.strip()
        return _default(exc.status)
    if (text and len(text) <= _MAX_SENTENCE and "\n" not in text and not _AIOHTTP_DEFAULT.match(text)
            and text[0] not in "<[{" and "Traceback" not in text):
        return text
    return _default(exc.status)


def form_sentence(exc: web.HTTPException) -> str:
    """`sentence_for(exc)` as a form shows it above its fields: capitalised, one full stop."""
    text = sentence_for(exc).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _render(request: web.Request, status: int, sentence: str, app_name: str) -> web.Response:
    if request.rel_url.path_safe.startswith("/api/"):
        return web.json_response({"error": sentence}, status=status)
    try:
        body = layout.error_page(status, sentence, app_name=app_name)
    except Exception:  # the error page itself failed: still answer, plainly
        log.exception("the error page could not be rendered")
        body = f"<!doctype html><title>{status}</title><p>{html.escape(sentence)}</p>"
    return web.Response(status=status, text=body, content_type="text/html")


def error_pages(app_name: str) -> Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]],
                                           Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if request.rel_url.path_safe.startswith("/webhooks/"):
            return await handler(request)
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = _render(request, exc.status, sentence_for(exc), app_name)
            for name, value in exc.headers.items():
                if name.lower() not in _DROPPED:
                    response.headers.add(name, value)
            for morsel in exc.cookies.values():
                response.cookies[morsel.key] = morsel
            return response
        except Exception:
            # The route's pattern, not the path itself: a path may carry an account or consent id.
            route = request.match_info.route.resource
            where = route.canonical if route is not None else "?"
            log.exception("unexpected error answering %s %s", request.method, where)
            return _render(request, 500, UNEXPECTED, app_name)

    return middleware
