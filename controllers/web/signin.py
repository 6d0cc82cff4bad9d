"""Sign-in, sign-out (and optionally sign-up) for a party's web app, and the middleware that
makes every other page need a session and every change carry that session's CSRF token.

An app builds one `SignIn`, adds `routes()` and installs `middleware`:

    signin = SignIn(SessionStore(store), authenticate, app_name="Wallet")
    app = web.Application(middlewares=[security_headers, error_pages("Wallet"), same_origin_only,
                                       signin.middleware])
    app.add_routes(signin.routes())

A handler then finds the person in `subject(request)` and puts `csrf_token(request)` in its forms.

Why a token as well as SameSite=Strict and the Origin check: each alone has gaps (old browsers,
proxies that strip Origin, a sibling site on the same host), and a change in a person's name
(approving a consent) is worth all three. Scripts authenticate with `key_auth` (a key in a header):
a browser never adds such a header on its own, so those requests need no token.

Attempts are rate limited per username and per address; passwords and usernames never reach the
log, only outcomes do.
"""

from __future__ import annotations

import hmac
import inspect
import logging
import math
import unicodedata
import warnings
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

from controllers.web import layout
from controllers.web.origin import foreign_origin
from controllers.web.passwords import MAX_LENGTH, PasswordPolicyError, check_new_password
from controllers.web.ratelimit import SignInLimiter
from controllers.web.sessions import Session, SessionStore

__all__ = ["SignIn", "SignUpRefused", "csrf_token", "subject", "COOKIE_NAME", "CSRF_FIELD", "CSRF_HEADER",
           "WRONG_CREDENTIALS", "FORGED_FORM"]

log = logging.getLogger(__name__)

COOKIE_NAME = "session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MAX_USERNAME = 256
WRONG_CREDENTIALS = "Wrong username or password."
TOO_MANY = "Too many sign-in attempts; wait a minute and try again."
TOO_MANY_SIGNUPS = "Too many new wallets from here just now; wait a minute and try again."
FORGED_FORM = "This form has expired or did not come from this site; reload the page and try again."
FOREIGN_ORIGIN = "This change must be made from this service's own pages."
SIGN_IN_FIRST = "Sign in first."
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OWN_PATHS = frozenset({"/signin", "/signup", "/api/session", "/api/signup"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class SignUpRefused(ValueError):
    """The app will not create this account; str() is one sentence to show the person."""


def csrf_token(request: web.Request) -> str:
    """The CSRF token of the request's session, for the forms a page renders ("" without a session)."""
    session = request.get("session")
    return session.csrf_token if isinstance(session, Session) else ""


def subject(request: web.Request) -> str:
    """Who is signed in (by session or by key); 401 if nobody is (a public path)."""
    who = request.get("subject")
    if not who:
        raise web.HTTPUnauthorized(text=SIGN_IN_FIRST)
    return who


def _put(request: web.Request, key: str, value: Any) -> None:
    # Plain string keys, because every app's handlers read request["subject"]; aiohttp would
    # rather have web.RequestKey objects and warns once per key otherwise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        request[key] = value


def _is_local(target: Any) -> bool:
    # Only a path on this site: "//host" and "/\host" are other sites to a browser, and browsers
    # drop tabs and newlines from URLs, so "/\t/host" would be one too.
    return (isinstance(target, str) and 0 < len(target) <= 2000 and target.startswith("/")
            and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in target))


def _text(fields: Any, name: str) -> str:
    value = fields.get(name) if hasattr(fields, "get") else None
    return value if isinstance(value, str) else ""


def _same_token(given: Any, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _is_api(request: web.Request) -> bool:
    return request.rel_url.path_safe.startswith("/api/")


class SignIn:
    def __init__(self, sessions: SessionStore, authenticate: Callable[[str, str], Awaitable[str | None]], *,
                 app_name: str, limiter: SignInLimiter | None = None, home: str = "/",
                 public_paths: Iterable[str] = (), public_prefixes: Iterable[str] = ("/webhooks/", "/static/"),
                 key_auth: Callable[[web.Request], str | None] | None = None,
                 signup: Callable[[str, str], Awaitable[str]] | None = None,
                 cookie_name: str = COOKIE_NAME, signups: SignInLimiter | None = None) -> None:
        if not _is_local(home):
            raise ValueError("home must be a path on this site, like '/'")
        self.sessions, self._authenticate, self.app_name = sessions, authenticate, app_name
        self.limiter = limiter if limiter is not None else SignInLimiter()
        # New accounts per address: apart from guesses, as an office behind one address signs up many.
        self.signups = signups if signups is not None else SignInLimiter()
        self.home = home
        self.public_paths = frozenset(public_paths)
        self.public_prefixes = tuple(public_prefixes)
        self.key_auth, self.signup = key_auth, signup
        # Cookies are scoped by host, not port: services side by side on one host (as `emissions up`
        # runs them) each need a cookie name of their own, or signing in to one signs out the other.
        self.cookie_name = cookie_name

    def routes(self) -> list[web.RouteDef]:
        routes = [
            web.get("/signin", self._signin_page),
            web.post("/signin", self._signin_form),
            web.post("/signout", self._signout),
            web.post("/api/session", self._api_signin),
            web.get("/api/session", self._api_current),
            web.delete("/api/session", self._api_signout),
        ]
        if self.signup is not None:
            routes += [web.get("/signup", self._signup_page), web.post("/signup", self._signup_form),
                       web.post("/api/signup", self._api_signup)]
        return routes

    # --- the middleware ------------------------------------------------------------------------

    def _is_public(self, request: web.Request) -> bool:
        # Matched on the path as the router sees it (%2F still encoded), so "/static%2F..." cannot
        # look public here yet reach another route there.
        path = request.rel_url.path_safe
        return path in _OWN_PATHS or path in self.public_paths or (
            bool(self.public_prefixes) and path.startswith(self.public_prefixes))

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        if self._is_public(request):
            return await handler(request)
        if self.key_auth is not None:
            who = self.key_auth(request)
            if inspect.isawaitable(who):
                who = await who
            if who:
                _put(request, "subject", who)
                return await handler(request)
        cookie = request.cookies.get(self.cookie_name)
        session = self.sessions.get(cookie)
        if session is None:
            answer = self._no_session(request, stale_cookie=cookie is not None)
            if isinstance(answer, web.HTTPException):
                raise answer  # aiohttp wants redirects raised, not returned
            return answer
        if request.method not in _SAFE_METHODS:
            refused = await self._refuse_change(request, session)
            if refused is not None:
                return refused
        _put(request, "session", session)
        _put(request, "subject", session.subject)
        return await handler(request)

    def _no_session(self, request: web.Request, *, stale_cookie: bool) -> web.StreamResponse:
        if request.rel_url.path_safe == "/signout":  # already signed out: nothing to revoke
            response: web.StreamResponse = web.HTTPSeeOther("/signin")
        elif _is_api(request):
            response = web.json_response({"error": "sign in first"}, status=401)
        elif request.method in ("GET", "HEAD"):
            response = web.HTTPSeeOther(f"/signin?next={quote(request.rel_url.raw_path_qs, safe='')}")
        else:
            response = self._error(request, 401, SIGN_IN_FIRST)
        if stale_cookie:
            self._clear_cookie(request, response)
        return response

    async def _refuse_change(self, request: web.Request, session: Session) -> web.Response | None:
        """None if this state change may go ahead; else the 403 answer."""
        if foreign_origin(request):
            log.info("refused a change from another origin")
            return self._error(request, 403, FOREIGN_ORIGIN)
        token = request.headers.get(CSRF_HEADER)
        if token is None and request.content_type in _FORM_TYPES:
            # aiohttp keeps the parsed form, so the handler's own `await request.post()` gets it
            # again. (A handler must therefore read multipart bodies with post(), not multipart().)
            token = (await request.post()).get(CSRF_FIELD)
        if not _same_token(token, session.csrf_token):
            log.info("refused a change without this session's CSRF token")
            return self._error(request, 403, FORGED_FORM)
        return None

    # --- answers -------------------------------------------------------------------------------

    def _error(self, request: web.Request, status: int, sentence: str) -> web.Response:
        if _is_api(request):
            return web.json_response({"error": sentence}, status=status)
        return web.Response(status=status, content_type="text/html",
                            text=layout.error_page(status, sentence, app_name=self.app_name))

    def _set_cookie(self, request: web.Request, response: web.StreamResponse, value: str) -> None:
        response.set_cookie(self.cookie_name, value, max_age=int(self.sessions.lifetime), path="/", httponly=True,
                            samesite="Strict", secure=request.secure)

    def _clear_cookie(self, request: web.Request, response: web.StreamResponse) -> None:
        response.del_cookie(self.cookie_name, path="/", httponly=True, samesite="Strict", secure=request.secure)

    def _signed_in(self, request: web.Request, subject_: str) -> tuple[str, Session]:
        # A new session every time: a cookie planted before sign-in (session fixation) opens nothing.
        self.sessions.revoke(request.cookies.get(self.cookie_name))
        return self.sessions.create(subject_)

    async def _attempt(self, request: web.Request, username: str, password: str) -> float | tuple[str, Session] | None:
        """Check a sign-in: seconds to wait if rate limited, None if wrong, else (cookie, session)."""
        # The name as typed, cut to what a username may be: a megabyte of it must not become a key.
        user_key, ip_key = f"user:{username[:MAX_USERNAME + 1].casefold()}", f"ip:{request.remote or '?'}"
        wait = self.limiter.retry_after(user_key, ip_key)
        if wait is not None:
            log.info("sign-in refused: too many attempts")
            return wait
        # Counted before checking, so parallel attempts cannot all slip in under the limit.
        self.limiter.failed(user_key, ip_key)
        who = None
        if username and password and len(username) <= MAX_USERNAME and len(password) <= MAX_LENGTH:
            who = await self._authenticate(username, password)
        if not who:
            log.info("sign-in refused: wrong username or password")
            return None
        # The name's failures are forgotten; the address keeps those for other names (someone
        # with an account of their own must not reset the count while guessing at others).
        self.limiter.succeeded(user_key)
        self.limiter.forgive(ip_key)
        log.info("sign-in succeeded")
        return self._signed_in(request, who)

    # --- pages ---------------------------------------------------------------------------------

    def _page(self, status: int, title: str, body: str, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(status=status, content_type="text/html", headers=headers,
                            text=layout.page(title, body, app_name=self.app_name))

    def _signin_html(self, next_: str, *, username: str = "", message: str | None = None) -> str:
        h = layout.h
        # No CSRF token in this form: there is no session yet to tie one to. A forged sign-in POST
        # from another site is stopped by same_origin_only (Origin / Sec-Fetch-Site) and could at
        # worst sign the browser in to the forger's own account; the session cookie it would need
        # to do more is SameSite=Strict and is replaced on every sign-in.
        error = layout.notice(message, kind="error") if message else ""
        signup = ('<p>New here? <a href="/signup">Create your wallet</a>.</p>'
                  if self.signup is not None else "")
        return (f'{error}<form class="card form-card" method="post" action="/signin">'
                f'<input type="hidden" name="next" value="{h(next_)}">'
                '<div class="field"><label for="username">Username</label>'
                f'<input id="username" name="username" type="text" autocomplete="username" required '
                f'maxlength="{MAX_USERNAME}" value="{h(username)}"></div>'
                '<div class="field"><label for="password">Password</label>'
                '<input id="password" name="password" type="password" autocomplete="current-password" '
                f'required maxlength="{MAX_LENGTH}"></div>'
                '<div class="actions"><button type="submit">Sign in</button></div></form>'
                f"{signup}")

    def _signin_answer(self, status: int, next_: str, *, username: str = "", message: str | None = None,
                       headers: dict[str, str] | None = None) -> web.Response:
        return self._page(status, "Sign in", self._signin_html(next_, username=username, message=message), headers)

    async def _signin_page(self, request: web.Request) -> web.Response:
        next_ = request.query.get("next")
        return self._signin_answer(200, next_ if _is_local(next_) else self.home)

    async def _signin_form(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        username, password = _text(form, "username").strip(), _text(form, "password")
        next_ = _text(form, "next")
        next_ = next_ if _is_local(next_) else self.home
        outcome = await self._attempt(request, username, password)
        if isinstance(outcome, float | int):
            return self._signin_answer(429, next_, username=username, message=TOO_MANY,
                                       headers={"Retry-After": _seconds(outcome)})
        if outcome is None:
            return self._signin_answer(401, next_, username=username, message=WRONG_CREDENTIALS)
        cookie, _ = outcome
        response = web.HTTPSeeOther(next_)
        self._set_cookie(request, response, cookie)
        raise response

    async def _signout(self, request: web.Request) -> web.StreamResponse:
        # Reached only through the middleware: with this session's CSRF token, or no session at all.
        self.sessions.revoke(request.cookies.get(self.cookie_name))
        log.info("signed out")
        response = web.HTTPSeeOther("/signin")
        self._clear_cookie(request, response)
        raise response

    # --- JSON ----------------------------------------------------------------------------------

    @staticmethod
    async def _json_object(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
            body = None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text='{"error": "send a JSON object with username and password"}',
                                     content_type="application/json")
        return body

    def _session_json(self, request: web.Request, status: int, cookie: str, session: Session) -> web.Response:
        response = web.json_response({"subject": session.subject, "csrf_token": session.csrf_token}, status=status)
        self._set_cookie(request, response, cookie)
        return response

    async def _api_signin(self, request: web.Request) -> web.Response:
        body = await self._json_object(request)
        outcome = await self._attempt(request, _text(body, "username").strip(), _text(body, "password"))
        if isinstance(outcome, float | int):
            return web.json_response({"error": "too many sign-in attempts; wait and try again"}, status=429,
                                     headers={"Retry-After": _seconds(outcome)})
        if outcome is None:
            return web.json_response({"error": "wrong username or password"}, status=401)
        return self._session_json(request, 200, *outcome)

    async def _api_current(self, request: web.Request) -> web.Response:
        session = self.sessions.get(request.cookies.get(self.cookie_name))
        if session is None:
            return web.json_response({"error": "sign in first"}, status=401)
        return web.json_response({"subject": session.subject, "csrf_token": session.csrf_token})

    async def _api_signout(self, request: web.Request) -> web.StreamResponse:
        cookie = request.cookies.get(self.cookie_name)
        session = self.sessions.get(cookie)
        if session is None:
            return web.json_response({"error": "sign in first"}, status=401)
        refused = await self._refuse_change(request, session)
        if refused is not None:
            return refused
        self.sessions.revoke(cookie)
        log.info("signed out")
        response = web.Response(status=204)
        self._clear_cookie(request, response)
        return response

    # --- sign-up -------------------------------------------------------------------------------

    @staticmethod
    def _signup_problem(username: str, password: str, again: str | None) -> str | None:
        if not username:
            return "Choose a username."
        if len(username) > MAX_USERNAME:
            return f"The username must be at most {MAX_USERNAME} characters long."
        if any(unicodedata.category(c).startswith("C") for c in username):
            return "The username may contain only printable characters."
        try:
            check_new_password(password)
        except PasswordPolicyError as exc:
            return str(exc)
        if again is not None and again != password:
            return "The two passwords are not the same."
        return None

    async def _create_account(self, request: web.Request, username: str, password: str,
                              again: str | None) -> _Refusal | tuple[str, Session]:
        """Why not, if refused; else (cookie, session) of the new account, signed in."""
        key = f"signup-ip:{request.remote or '?'}"
        wait = self.signups.retry_after(key)
        if wait is not None:
            log.info("sign-up refused: too many attempts")
            return _Refusal(429, TOO_MANY_SIGNUPS, wait)
        problem = self._signup_problem(username, password, again)
        if problem is not None:
            return _Refusal(400, problem)
        # Every account made counts against the address: each costs a password hash and a wallet.
        self.signups.failed(key)
        assert self.signup is not None
        try:
            who = await self.signup(username, password)
        except SignUpRefused as exc:
            log.info("sign-up refused by the app")
            return _Refusal(409, str(exc) or "That account cannot be created.")
        log.info("signed up")
        return self._signed_in(request, who)

    def _signup_html(self, *, username: str = "", message: str | None = None) -> str:
        h = layout.h
        # No CSRF token here either (no session yet): see _signin_html.
        error = layout.notice(message, kind="error") if message else ""
        return (f'{error}<form class="card form-card" method="post" action="/signup">'
                '<div class="field"><label for="username">Username</label>'
                '<input id="username" name="username" type="text" autocomplete="username" required '
                f'maxlength="{MAX_USERNAME}" value="{h(username)}"></div>'
                '<div class="field"><label for="password">Password</label>'
                '<p class="hint" id="password-hint">At least 10 characters.</p>'
                '<input id="password" name="password" type="password" autocomplete="new-password" required '
                f'minlength="10" maxlength="{MAX_LENGTH}" aria-describedby="password-hint"></div>'
                '<div class="field"><label for="password_again">Password again</label>'
                '<input id="password_again" name="password_again" type="password" autocomplete="new-password" '
                f'required minlength="10" maxlength="{MAX_LENGTH}"></div>'
                '<div class="actions"><button type="submit">Create your wallet</button></div></form>'
                '<p>Already have one? <a href="/signin">Sign in</a>.</p>')

    async def _signup_page(self, request: web.Request) -> web.Response:
        return self._page(200, "Create your wallet", self._signup_html())

    async def _signup_form(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        username = _text(form, "username").strip()
        outcome = await self._create_account(request, username, _text(form, "password"),
                                             _text(form, "password_again"))
        if isinstance(outcome, _Refusal):
            return self._page(outcome.status, "Create your wallet",
                              self._signup_html(username=username, message=outcome.sentence), outcome.headers())
        cookie, _ = outcome
        response = web.HTTPSeeOther(self.home)
        self._set_cookie(request, response, cookie)
        raise response

    async def _api_signup(self, request: web.Request) -> web.Response:
        body = await self._json_object(request)
        outcome = await self._create_account(request, _text(body, "username").strip(), _text(body, "password"), None)
        if isinstance(outcome, _Refusal):
            return web.json_response({"error": outcome.sentence}, status=outcome.status, headers=outcome.headers())
        return self._session_json(request, 201, *outcome)


def _seconds(wait: float) -> str:
    return str(max(1, math.ceil(wait)))


@dataclass(frozen=True)
class _Refusal:
    status: int
    sentence: str
    retry_after: float | None = None

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": _seconds(self.retry_after)} if self.retry_after is not None else None
