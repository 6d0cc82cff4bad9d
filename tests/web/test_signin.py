"""Sign-in through a real aiohttp server: sessions, rate limits, CSRF, Origin, redirects."""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from controllers.web import (SessionStore, SignIn, SignInLimiter, SignUpRefused, csrf_token, error_pages,
                             hash_password_async, layout, same_origin_only, security_headers, subject,
                             verify_password_async)
from controllers.workflow import WorkflowStore

ALICE, PASSWORD = "alice", "correct horse battery"
SUBJECT = "did:example:alice"
FORGED = "This form has expired or did not come from this site; reload the page and try again."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def authenticate(username: str, password: str) -> str | None:
    return SUBJECT if (username, password) == (ALICE, PASSWORD) else None


async def protected(request: web.Request) -> web.Response:
    return web.Response(text=f"hello {subject(request)} token={csrf_token(request)}")


async def change(request: web.Request) -> web.Response:
    form = await request.post()  # read again after the middleware read it for the token
    return web.Response(text=f"changed {form.get('value')} by {subject(request)}")


async def api_change(request: web.Request) -> web.Response:
    return web.json_response({"by": subject(request), "got": await request.json()})


async def public(request: web.Request) -> web.Response:
    return web.Response(text=f"public subject={request.get('subject')}")


def build(tmp_path, *, origin_check: bool = True, **options) -> tuple[web.Application, SignIn, Clock]:
    clock = Clock()
    store = WorkflowStore(tmp_path / "web.sqlite")
    signin = SignIn(SessionStore(store), options.pop("authenticate", authenticate), app_name="Test wallet",
                    limiter=SignInLimiter(clock=clock), public_paths=("/public",), **options)
    middlewares = [security_headers, error_pages("Test wallet")] + ([same_origin_only] if origin_check else [])
    app = web.Application(middlewares=[*middlewares, signin.middleware])
    app.add_routes(signin.routes() + layout.static_routes() + [
        web.get("/protected", protected), web.post("/protected/change", change),
        web.post("/api/things", api_change), web.get("/api/things", api_change), web.get("/public", public)])
    app.on_cleanup.append(lambda _app: _close(store))
    return app, signin, clock


async def _close(store: WorkflowStore) -> None:
    store.close()


async def sign_in(client: TestClient, username: str = ALICE, password: str = PASSWORD, next_: str | None = None):
    data = {"username": username, "password": password}
    if next_ is not None:
        data["next"] = next_
    return await client.post("/signin", data=data, allow_redirects=False)


async def token_of(client: TestClient) -> str:
    resp = await client.get("/api/session")
    assert resp.status == 200
    return (await resp.json())["csrf_token"]


@pytest.fixture
async def client(tmp_path):
    app, _, _ = build(tmp_path)
    async with TestClient(TestServer(app)) as c:
        yield c


async def test_the_sign_in_page_is_a_labelled_form(client):
    resp = await client.get("/signin?next=/protected%3Fx%3D1")
    assert resp.status == 200 and resp.content_type == "text/html"
    page = await resp.text()
    assert "<h1>Sign in</h1>" in page
    assert '<label for="username">' in page and '<label for="password">' in page
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page
    assert '<input type="hidden" name="next" value="/protected?x=1">' in page
    assert "csrf_token" not in page and "/signup" not in page  # no session yet; no sign-up offered


async def test_a_wrong_password_is_refused_with_one_sentence(client, caplog):
    caplog.set_level(logging.DEBUG)
    resp = await sign_in(client, password="wrong password!")
    assert resp.status == 401
    page = await resp.text()
    assert "Wrong username or password." in page and 'value="alice"' in page
    assert "session" not in resp.cookies
    assert "wrong password!" not in caplog.text and "alice" not in caplog.text
    assert "sign-in refused" in caplog.text


async def test_signing_in_sets_a_strict_http_only_cookie_and_goes_home(client):
    resp = await sign_in(client)
    assert resp.status == 303 and resp.headers["Location"] == "/"
    [cookie] = resp.headers.getall("Set-Cookie")
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert cookie.startswith("session=") and len(cookie.split(";")[0]) == len("session=") + 43
    assert "httponly" in attributes and attributes["samesite"] == "SameSite=Strict"
    assert attributes["path"] == "Path=/" and attributes["max-age"] == "Max-Age=28800"
    assert "secure" not in attributes  # plain http here; https gets Secure
    resp = await client.get("/protected")
    assert resp.status == 200 and (await resp.text()).startswith(f"hello {SUBJECT} token=")


async def test_a_protected_page_sends_the_browser_to_sign_in_and_back(client):
    resp = await client.get("/protected?x=1&y=a%20b", allow_redirects=False)
    assert resp.status == 303
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/signin" and parse_qs(location.query) == {"next": ["/protected?x=1&y=a%20b"]}
    page = await (await client.get(resp.headers["Location"])).text()
    assert 'name="next" value="/protected?x=1&amp;y=a%20b"' in page
    resp = await sign_in(client, next_="/protected?x=1&y=a%20b")
    assert resp.status == 303 and resp.headers["Location"] == "/protected?x=1&y=a%20b"


@pytest.mark.parametrize("next_", ["//evil.example", "//evil.example/x", "https://evil.example/", "/\\evil.example",
                                   "/\t/evil.example", "evil.example", "javascript:alert(1)", ""])
async def test_next_must_be_a_path_on_this_site(client, next_):
    resp = await sign_in(client, next_=next_)
    assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_five_failures_lock_the_name_out_with_retry_after(tmp_path):
    app, _, clock = build(tmp_path)
    async with TestClient(TestServer(app)) as client:
        for _ in range(5):
            assert (await sign_in(client, password="wrong password")).status == 401
        resp = await sign_in(client)  # even the right password is not checked now
        assert resp.status == 429 and resp.headers["Retry-After"] == "60"
        assert "Too many sign-in attempts" in await resp.text()
        resp = await client.post("/api/session", json={"username": ALICE, "password": PASSWORD})
        assert resp.status == 429 and resp.headers["Retry-After"] == "60"
        clock.now += 61
        assert (await sign_in(client)).status == 303


async def test_the_address_is_limited_across_names(tmp_path):
    app, _, _ = build(tmp_path)
    async with TestClient(TestServer(app)) as client:
        for name in ("bob", "carol", "dave", "erin", "frank"):
            assert (await sign_in(client, username=name, password="wrong password")).status == 401
        assert (await sign_in(client)).status == 429


async def test_a_change_needs_the_sessions_csrf_token(client):
    await sign_in(client)
    token = await token_of(client)
    resp = await client.post("/protected/change", data={"value": "x"})
    assert resp.status == 403 and FORGED in await resp.text()
    # One character changed (a token that happens to end in "A" must not be "changed" to itself: 1 in 64).
    altered = token[:-1] + ("B" if token.endswith("A") else "A")
    resp = await client.post("/protected/change", data={"value": "x", "csrf_token": altered})
    assert resp.status == 403
    resp = await client.post("/protected/change", data={"value": "x", "csrf_token": "é"})
    assert resp.status == 403
    resp = await client.post("/protected/change", data={"value": "x", "csrf_token": token})
    assert resp.status == 200 and await resp.text() == f"changed x by {SUBJECT}"
    resp = await client.post("/protected/change", data={"value": "y"}, headers={"X-CSRF-Token": token})
    assert resp.status == 200 and await resp.text() == f"changed y by {SUBJECT}"
    multipart = FormData()
    multipart.add_field("value", "z")
    multipart.add_field("csrf_token", token)
    multipart.add_field("file", b"bytes", filename="bill.xml")
    resp = await client.post("/protected/change", data=multipart)
    assert resp.status == 200 and await resp.text() == f"changed z by {SUBJECT}"


async def test_a_change_from_another_origin_is_refused_even_with_the_token(tmp_path):
    app, _, _ = build(tmp_path, origin_check=False)  # the sign-in's own check, without same_origin_only
    async with TestClient(TestServer(app)) as client:
        await sign_in(client)
        token = await token_of(client)
        own = f"http://{client.host}:{client.port}"
        for origin in ("http://evil.example", f"http://{client.host}:1", "null"):
            resp = await client.post("/protected/change", data={"value": "x", "csrf_token": token},
                                     headers={"Origin": origin})
            assert resp.status == 403, origin
        resp = await client.post("/protected/change", data={"value": "x", "csrf_token": token},
                                 headers={"Origin": own})
        assert resp.status == 200


async def test_the_api_answers_json(client):
    resp = await client.get("/api/things")
    assert resp.status == 401 and await resp.json() == {"error": "sign in first"}
    resp = await client.post("/api/session", json={"username": ALICE, "password": "nope"})
    assert resp.status == 401 and await resp.json() == {"error": "wrong username or password"}
    resp = await client.post("/api/session", data="not json", headers={"Content-Type": "application/json"})
    assert resp.status == 400 and "error" in await resp.json()
    resp = await client.post("/api/session", json={"username": ALICE, "password": PASSWORD})
    assert resp.status == 200
    body = await resp.json()
    assert body["subject"] == SUBJECT and len(body["csrf_token"]) == 43
    assert "HttpOnly" in resp.headers["Set-Cookie"]
    assert await (await client.get("/api/session")).json() == body
    resp = await client.post("/api/things", json={"a": 1})
    assert resp.status == 403 and await resp.json() == {"error": FORGED}
    resp = await client.post("/api/things", json={"a": 1}, headers={"X-CSRF-Token": body["csrf_token"]})
    assert resp.status == 200 and await resp.json() == {"by": SUBJECT, "got": {"a": 1}}
    assert (await client.delete("/api/session")).status == 403  # sign-out is a change too
    resp = await client.delete("/api/session", headers={"X-CSRF-Token": body["csrf_token"]})
    assert resp.status == 204
    assert (await client.get("/api/session")).status == 401
    assert (await client.get("/api/things")).status == 401


async def test_signing_out_ends_the_session(client):
    await sign_in(client)
    token = await token_of(client)
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["session"].value
    assert (await client.post("/signout", allow_redirects=False)).status == 403  # no token
    resp = await client.post("/signout", data={"csrf_token": token}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/signin"
    assert re.match(r'session="?"?;', resp.headers["Set-Cookie"]) and "Max-Age=0" in resp.headers["Set-Cookie"]
    # The old cookie opens nothing even if a browser kept it.
    client.session.cookie_jar.update_cookies({"session": cookie}, client.make_url("/"))
    assert (await client.get("/protected", allow_redirects=False)).status == 303
    # Signing out again without a session just goes to the sign-in page.
    resp = await client.post("/signout", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/signin"


async def test_a_change_without_a_session_is_refused_with_a_page(client):
    resp = await client.post("/protected/change", data={"value": "x"})
    assert resp.status == 401 and resp.content_type == "text/html" and "Sign in first." in await resp.text()


async def test_a_stale_cookie_is_cleared_on_the_way_to_sign_in(client):
    client.session.cookie_jar.update_cookies({"session": "made-up"}, client.make_url("/"))
    resp = await client.get("/protected", allow_redirects=False)
    assert resp.status == 303 and "Max-Age=0" in resp.headers["Set-Cookie"]


async def test_a_new_sign_in_replaces_an_old_session(client):
    await sign_in(client)
    first = await token_of(client)
    old = client.session.cookie_jar.filter_cookies(client.make_url("/"))["session"].value
    await sign_in(client)
    assert await token_of(client) != first
    client.session.cookie_jar.update_cookies({"session": old}, client.make_url("/"))
    assert (await client.get("/api/session")).status == 401


async def test_public_paths_and_prefixes_need_no_session(client):
    resp = await client.get("/public")
    assert resp.status == 200 and await resp.text() == "public subject=None"
    assert (await client.get("/static/style.css")).status == 200
    # The router does not take "%2F" for "/", so neither does the public-prefix test.
    assert (await client.get("/static%2F..%2Fprotected", allow_redirects=False)).status == 303


async def test_a_key_authenticates_a_script_without_csrf(tmp_path):
    def key_auth(request: web.Request) -> str | None:
        return "did:example:script" if request.headers.get("X-Api-Key") == "s3cret" else None

    app, _, _ = build(tmp_path, key_auth=key_auth)
    async with TestClient(TestServer(app)) as client:
        resp = await client.post("/api/things", json={"a": 2}, headers={"X-Api-Key": "s3cret"})
        assert resp.status == 200 and (await resp.json())["by"] == "did:example:script"
        resp = await client.post("/api/things", json={"a": 2}, headers={"X-Api-Key": "wrong"})
        assert resp.status == 401


async def test_sign_up_checks_the_password_creates_the_account_and_signs_in(tmp_path):
    accounts: dict[str, str] = {}

    async def signup(username: str, password: str) -> str:
        if username in accounts:
            raise SignUpRefused("That username is taken.")
        accounts[username] = await hash_password_async(password)
        return f"did:example:{username}"

    async def check(username: str, password: str) -> str | None:
        stored = accounts.get(username)
        return f"did:example:{username}" if stored and await verify_password_async(password, stored) else None

    app, _, _ = build(tmp_path, signup=signup, authenticate=check)
    async with TestClient(TestServer(app)) as client:
        page = await (await client.get("/signup")).text()
        assert "<h1>Create your wallet</h1>" in page and page.count('autocomplete="new-password"') == 2
        assert "/signup" in await (await client.get("/signin")).text()
        form = {"username": "bob", "password": "long enough pw", "password_again": "long enough pw"}
        resp = await client.post("/signup", data={**form, "password": "short", "password_again": "short"})
        assert resp.status == 400 and "at least 10 characters" in await resp.text()
        resp = await client.post("/signup", data={**form, "password_again": "something else"})
        assert resp.status == 400 and "The two passwords are not the same." in await resp.text()
        assert accounts == {}
        resp = await client.post("/signup", data=form, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/" and "HttpOnly" in resp.headers["Set-Cookie"]
        assert (await client.get("/protected")).status == 200
        assert accounts["bob"].startswith("scrypt$") and "long enough pw" not in accounts["bob"]
        resp = await client.post("/signup", data=form)
        assert resp.status == 409 and "That username is taken." in await resp.text()
        resp = await client.post("/api/signup", json={"username": "carol", "password": "another long pw"})
        assert resp.status == 201 and (await resp.json())["subject"] == "did:example:carol"
        client.session.cookie_jar.clear()
        assert (await sign_in(client, "bob", "long enough pw")).status == 303
        assert (await sign_in(client, "bob", "wrong password")).status == 401
        # Each address may make only a few accounts a minute.
        for name in ("d", "e", "f"):
            await client.post("/api/signup", json={"username": name, "password": "another long pw"})
        resp = await client.post("/api/signup", json={"username": "g", "password": "another long pw"})
        assert resp.status == 429 and "Retry-After" in resp.headers and "g" not in accounts


async def test_without_a_signup_callable_there_is_no_sign_up(client):
    assert (await client.get("/signup")).status == 404
    assert (await client.post("/api/signup", json={"username": "x", "password": "long enough pw"})).status == 404


def test_home_must_be_local(tmp_path):
    with WorkflowStore(tmp_path / "x.sqlite") as store:
        for home in ("//evil.example", "https://evil.example/", "home"):
            with pytest.raises(ValueError):
                SignIn(SessionStore(store), authenticate, app_name="x", home=home)


async def test_the_cookie_lives_as_long_as_the_session(tmp_path):
    with WorkflowStore(tmp_path / "x.sqlite") as store:
        signin = SignIn(SessionStore(store, lifetime=600), authenticate, app_name="x", home="/wallet")
        app = web.Application(middlewares=[signin.middleware])
        app.add_routes(signin.routes())
        async with TestClient(TestServer(app)) as client:
            resp = await sign_in(client)
            assert resp.headers["Location"] == "/wallet" and "Max-Age=600" in resp.headers["Set-Cookie"]


async def test_signing_in_to_ones_own_account_does_not_reset_the_address_count(tmp_path):
    app, _, _ = build(tmp_path)
    async with TestClient(TestServer(app)) as client:
        for name in ("bob", "carol", "dave", "erin"):
            assert (await sign_in(client, username=name, password="wrong password")).status == 401
        assert (await sign_in(client)).status == 303
        assert (await sign_in(client, username="frank", password="wrong password")).status == 401
        assert (await sign_in(client, username="gina", password="wrong password")).status == 429


async def test_parallel_guesses_cannot_slip_under_the_limit(tmp_path):
    async def slow(username: str, password: str) -> str | None:
        await asyncio.sleep(0.05)
        return None

    app, _, _ = build(tmp_path, authenticate=slow)
    async with TestClient(TestServer(app)) as client:
        answers = await asyncio.gather(*(sign_in(client, password=f"guess number {i}") for i in range(12)))
        assert sorted(resp.status for resp in answers) == [401] * 5 + [429] * 7


async def test_services_on_one_host_keep_their_sessions_apart_and_signups_count_on_their_own(tmp_path):
    # Cookies are scoped by host, not port: each service names its own, so signing in to one does
    # not sign the person out of another on the same host.
    async def signup(username: str, password: str) -> str:
        return f"did:example:{username}"

    app, _, _ = build(tmp_path, cookie_name="wallet_session", signup=signup,
                      signups=SignInLimiter(attempts=30, window=60))
    async with TestClient(TestServer(app)) as client:
        resp = await sign_in(client)
        assert resp.status == 303 and "wallet_session=" in resp.headers["Set-Cookie"]
        client.session.cookie_jar.update_cookies({"session": "another service's cookie"}, client.make_url("/"))
        assert (await client.get("/protected")).status == 200
        # Failed sign-ins do not eat into the sign-ups an address may make, nor the other way round.
        for _ in range(4):
            await sign_in(client, password="wrong password")
        for n in range(8):
            resp = await client.post("/api/signup", json={"username": f"u{n}", "password": "another long pw"})
            assert resp.status == 201


async def test_a_body_nested_past_pythons_limit_is_a_bad_request_not_an_error(client):
    resp = await client.post("/api/session", data="[" * 100_000 + "]" * 100_000,
                             headers={"Content-Type": "application/json"})
    assert resp.status == 400 and "error" in await resp.json()
