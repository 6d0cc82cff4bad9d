"""The real-browser harness works end to end: Chromium loads a page from a local aiohttp server,
a person fills and submits its form, the result page shows, a screenshot is saved. Also pins what
the project's CSRF defence relies on: Chromium sends `Origin` (the page's origin) on a form POST."""

from __future__ import annotations

import contextlib
import html
from collections.abc import AsyncIterator

from aiohttp import web

from testkit.browser import artifacts_dir, new_person

FORM = """<!doctype html>
<html><head><meta charset="utf-8"><title>Smoke form</title></head>
<body>
  <h1>Who are you?</h1>
  <form method="post" action="/greet">
    <label>Name <input name="name" id="name" required></label>
    <button type="submit">Send</button>
  </form>
</body></html>
"""


class FormServer:
    """One form page at / that POSTs to /greet; records each POST's Origin header."""

    def __init__(self) -> None:
        self.origins: list[str | None] = []
        self.url = ""
        self.app = web.Application()
        self.app.router.add_get("/", self.form)
        self.app.router.add_post("/greet", self.greet)

    async def form(self, request: web.Request) -> web.Response:
        return web.Response(text=FORM, content_type="text/html")

    async def greet(self, request: web.Request) -> web.Response:
        self.origins.append(request.headers.get("Origin"))
        name = (await request.post()).get("name", "")
        seen = request.cookies.get("seen", "no")
        page = (
            "<!doctype html><title>Hello</title>"
            f"<p id='greeting'>Hello, {html.escape(str(name))}!</p><p id='seen'>seen before: {seen}</p>"
        )
        response = web.Response(text=page, content_type="text/html")
        response.set_cookie("seen", "yes", httponly=True, samesite="Lax")
        return response


@contextlib.asynccontextmanager
async def form_server() -> AsyncIterator[FormServer]:
    server = FormServer()
    runner = web.AppRunner(server.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)  # the OS picks a free port
    await site.start()
    host, port = runner.addresses[0][:2]
    server.url = f"http://{host}:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


async def test_fill_submit_and_screenshot(person, request):
    async with form_server() as server:
        page = await person.new_page()
        await page.goto(server.url + "/")
        await page.fill("#name", "Ada Lovelace")
        async with page.expect_navigation():
            await page.click("button[type=submit]")

        assert await page.inner_text("#greeting") == "Hello, Ada Lovelace!"
        assert page.url == server.url + "/greet"

        shot = artifacts_dir() / f"{request.node.name}.png"
        shot.unlink(missing_ok=True)
        await page.screenshot(path=str(shot), full_page=True)
        assert shot.is_file() and shot.stat().st_size > 0
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        # The CSRF defence checks Origin on every state-changing request: the browser must send it.
        assert server.origins == [server.url]


async def test_people_do_not_share_cookies(browser):
    async with form_server() as server:
        first, second = await new_person(browser), await new_person(browser)
        for person, name in ((first, "one"), (first, "one again"), (second, "two")):
            page = await person.new_page()
            await page.goto(server.url + "/")
            await page.fill("#name", name)
            async with page.expect_navigation():
                await page.click("button[type=submit]")
            assert await page.inner_text("#greeting") == f"Hello, {name}!"
        pages = [p for ctx in (first, second) for p in ctx.pages]
        assert [await p.inner_text("#seen") for p in pages] == [
            "seen before: no",
            "seen before: yes",  # the same person's second visit carries the cookie
            "seen before: no",  # another person starts without it
        ]
        assert server.origins == [server.url] * 3
