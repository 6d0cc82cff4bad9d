"""Every response carries the security headers; every failure answers as a page or as JSON."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from controllers.web import error_pages, security_headers
from controllers.web.errors import UNEXPECTED
from controllers.web.headers import CONTENT_SECURITY_POLICY

EXPECTED = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}


async def ok(_request: web.Request) -> web.Response:
    return web.Response(text="<p>fine</p>", content_type="text/html")


async def forbidden(_request: web.Request) -> web.Response:
    raise web.HTTPForbidden(text="You may not approve this consent.")


async def conflict_json(_request: web.Request) -> web.Response:
    raise web.HTTPConflict(text=json.dumps({"error": "the consent was already approved"}),
                           content_type="application/json")


async def busy(_request: web.Request) -> web.Response:
    raise web.HTTPTooManyRequests(headers={"Retry-After": "30"})


async def unauthorized(_request: web.Request) -> web.Response:
    raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="x"'}, text="line one\nline two")


async def boom(_request: web.Request) -> web.Response:
    raise RuntimeError("secret account 12345 in a stack frame")


async def moved(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/elsewhere")


ROUTES = [web.get("/page", ok), web.get("/static/thing.css", ok), web.get("/forbidden", forbidden),
          web.get("/api/forbidden", forbidden), web.get("/conflict", conflict_json),
          web.get("/api/conflict", conflict_json), web.get("/busy", busy), web.get("/unauthorized", unauthorized),
          web.get("/boom", boom), web.get("/api/boom", boom), web.get("/webhooks/boom", boom),
          web.get("/moved", moved), web.get("/api/moved", moved)]


def app(*middlewares) -> web.Application:
    application = web.Application(middlewares=list(middlewares))
    application.add_routes(ROUTES)
    return application


def assert_secure(resp, cache: str = "no-store") -> None:
    for name, value in EXPECTED.items():
        assert resp.headers.get(name) == value, name
    assert resp.headers.get("Cache-Control") == cache
    assert CONTENT_SECURITY_POLICY == EXPECTED["Content-Security-Policy"]


async def test_security_headers_on_pages_errors_and_static_files():
    async with TestClient(TestServer(app(security_headers, error_pages("Test")))) as client:
        assert_secure(resp := await client.get("/page"))
        assert resp.status == 200
        assert_secure(resp := await client.get("/no/such/page"))
        assert resp.status == 404
        assert_secure(resp := await client.get("/boom"))
        assert resp.status == 500
        assert_secure(await client.get("/static/thing.css"), cache="public, max-age=3600")
        assert_secure(await client.get("/static/missing.css"))  # an error is not cached
        assert_secure(await client.get("/static%2Fthing.css"))  # not a static path to the router


async def test_security_headers_without_the_error_pages_reach_raised_exceptions_too():
    async with TestClient(TestServer(app(security_headers))) as client:
        resp = await client.get("/no/such/page")
        assert resp.status == 404 and await resp.text() == "404: Not Found"
        assert_secure(resp)
        assert_secure(resp := await client.get("/forbidden"))
        assert resp.status == 403
        resp = await client.get("/moved", allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/elsewhere"
        assert_secure(resp)


async def test_a_browser_gets_an_html_page_with_the_sentence_and_the_same_status():
    async with TestClient(TestServer(app(security_headers, error_pages("Test wallet")))) as client:
        resp = await client.get("/no/such/page")
        assert resp.status == 404 and resp.content_type == "text/html"
        page = await resp.text()
        assert "There is no such page." in page and "Test wallet" in page and "404: Not Found" not in page
        resp = await client.get("/forbidden")
        assert resp.status == 403 and "You may not approve this consent." in await resp.text()
        resp = await client.get("/conflict")
        assert resp.status == 409 and "the consent was already approved" in await resp.text()
        resp = await client.get("/busy")
        assert resp.status == 429 and resp.headers["Retry-After"] == "30"
        assert "Too many attempts" in await resp.text()
        resp = await client.get("/unauthorized")
        assert resp.status == 401 and resp.headers["WWW-Authenticate"] == 'Bearer realm="x"'
        text = await resp.text()
        assert "Sign in first." in text and "line two" not in text  # not a plain short sentence
        resp = await client.post("/page")
        assert resp.status == 405 and "Allow" in resp.headers and resp.content_type == "text/html"


async def test_an_api_caller_gets_json_with_the_same_status():
    async with TestClient(TestServer(app(security_headers, error_pages("Test")))) as client:
        resp = await client.get("/api/nothing")
        assert resp.status == 404 and await resp.json() == {"error": "There is no such page."}
        resp = await client.get("/api/forbidden")
        assert resp.status == 403 and await resp.json() == {"error": "You may not approve this consent."}
        resp = await client.get("/api/conflict")
        assert resp.status == 409 and await resp.json() == {"error": "the consent was already approved"}


async def test_an_unexpected_error_is_logged_and_shown_without_a_traceback(caplog):
    caplog.set_level(logging.ERROR, logger="controllers.web.errors")
    async with TestClient(TestServer(app(security_headers, error_pages("Test")))) as client:
        resp = await client.get("/boom")
        assert resp.status == 500 and resp.content_type == "text/html"
        page = await resp.text()
        assert UNEXPECTED in page
        assert "Traceback" not in page and "RuntimeError" not in page and "12345" not in page
        resp = await client.get("/api/boom")
        assert resp.status == 500 and await resp.json() == {"error": UNEXPECTED}
    records = [r for r in caplog.records if r.name == "controllers.web.errors"]
    assert len(records) == 2 and all(r.exc_info and r.exc_info[0] is RuntimeError for r in records)
    assert "/boom" in records[0].getMessage()


async def test_redirects_and_webhooks_pass_through_unchanged():
    async with TestClient(TestServer(app(error_pages("Test")))) as client:
        resp = await client.get("/moved", allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/elsewhere"
        resp = await client.get("/api/moved", allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/elsewhere"
        resp = await client.get("/webhooks/nothing")
        assert resp.status == 404 and await resp.text() == "404: Not Found"
        resp = await client.get("/webhooks/boom")
        assert resp.status == 500 and "secret" not in await resp.text()  # aiohttp's own plain 500
