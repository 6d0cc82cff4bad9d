"""The sign-in of a party's operator (the auditor's, the utility's, the verifier's): one username,
"operator", whose password is the service's operator key; scripts send the key in `X-Operator-Key`
instead of signing in (a header is no ambient authority, so those calls need no CSRF token)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable

from aiohttp import web

from controllers.web.ratelimit import SignInLimiter
from controllers.web.sessions import SessionStore
from controllers.web.signin import SignIn
from controllers.workflow import WorkflowStore

__all__ = ["KEY_HEADER", "OPERATOR", "operator_signin"]

KEY_HEADER = "X-Operator-Key"
OPERATOR = "operator"  # the one username; its password is the operator key


def operator_signin(store: WorkflowStore, operator_key: str, *, app_name: str, home: str = "/",
                    public_paths: Iterable[str] = (),
                    public_prefixes: Iterable[str] = ("/webhooks/", "/static/")) -> SignIn:
    if not operator_key:
        raise ValueError(f"the {app_name.lower()}'s operator key must not be empty")
    key = _bytes(operator_key)

    async def authenticate(username: str, password: str) -> str | None:
        # Both comparisons always run: the time taken says nothing about which one was wrong.
        name_ok = hmac.compare_digest(_bytes(username), _bytes(OPERATOR))
        key_ok = hmac.compare_digest(_bytes(password), key)
        return OPERATOR if name_ok & key_ok else None

    limiter = SignInLimiter()

    def key_auth(request: web.Request) -> str | None:
        given = request.headers.get(KEY_HEADER)
        if given is None:
            return None  # a person with a session, perhaps
        # The header takes the same key as the sign-in form, so guessing it counts the same way.
        address = f"ip:{request.remote or '?'}"
        wait = limiter.retry_after(address)
        if wait is not None:
            raise web.HTTPTooManyRequests(text=json.dumps({"error": "too many wrong keys; wait and try again"}),
                                          content_type="application/json",
                                          headers={"Retry-After": str(max(1, int(wait + 0.999)))})
        if hmac.compare_digest(_bytes(given), key):
            return OPERATOR
        limiter.failed(address)
        raise web.HTTPUnauthorized(text=json.dumps({"error": "operator key missing or wrong"}),
                                   content_type="application/json")

    return SignIn(SessionStore(store), authenticate, app_name=app_name, limiter=limiter, home=home,
                  public_paths=public_paths, public_prefixes=public_prefixes, key_auth=key_auth,
                  cookie_name=f"{app_name.lower().replace(' ', '_')}_session")


def _bytes(text: str) -> bytes:
    # surrogatepass: a lone surrogate (JSON allows "\ud800") compares as unequal instead of raising.
    return text.encode("utf-8", "surrogatepass")
