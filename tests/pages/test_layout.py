"""The page shell, error pages, buttons, tables and the stylesheet route."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from controllers.web import layout
from tests.pages.checks import check_fragment, check_page, forms

EVIL = '<script>alert("x")</script>'


def test_page_has_the_shell_and_escapes_what_it_is_given():
    html = layout.page(f"Hello {EVIL}", "<p>Body as given</p>", app_name="Wallet & co",
                       nav=[("/a?x=1&y=2", "A <b>"), ("/b", "B")], signed_in=f"ann{EVIL}", csrf_token='t"ok')
    parsed = check_page(html)
    assert "<p>Body as given</p>" in html
    assert EVIL not in html and "&lt;script&gt;" in html
    assert '<a href="/a?x=1&amp;y=2">A &lt;b&gt;</a>' in html
    assert "Wallet &amp; co" in html
    assert forms(html) == ["/signout"]
    assert {"type": "hidden", "name": "csrf_token", "value": 't"ok'} in parsed.all("input")
    assert "Sign out" in parsed.text and "ann<script>" in parsed.text


def test_page_without_sign_in_has_no_sign_out():
    html = layout.page("Start", "", app_name="Verifier")
    check_page(html)
    assert "/signout" not in html and "<nav" not in html


def test_error_pages_name_the_status_and_escape_the_sentence():
    for status, heading in [(404, "Not found"), (403, "Not allowed"), (401, "Sign in needed"),
                            (409, "Cannot do that now"), (429, "Too many attempts"),
                            (500, "Something went wrong"), (503, "Busy"), (418, "Cannot do that"),
                            (599, "Something went wrong")]:
        html = layout.error_page(status, f"No such thing {EVIL}", app_name="Your energy wallet")
        parsed = check_page(html)
        assert f"<h1>{heading}</h1>" in html
        assert "No such thing &lt;script&gt;" in html
        assert {"class": "button secondary", "href": "/"} in parsed.all("a")


def test_post_button_carries_the_token_and_escapes():
    html = layout.post_button("/consents/a b\"c/approve", "Approve <now>", "tok&1", danger=True)
    parsed = check_fragment(html)
    assert parsed.all("form") == [{"class": "inline-form", "method": "post", "action": '/consents/a b"c/approve'}]
    assert parsed.all("input") == [{"type": "hidden", "name": "csrf_token", "value": "tok&1"}]
    assert "danger" in parsed.all("button")[0]["class"] and "Approve &lt;now&gt;" in html


def test_table_escapes_cells_unless_marked_html():
    html = layout.table(["Name", "kWh"], [[EVIL, layout.Html("<b>1</b>")]], row_headers=True, numeric=[1],
                        footer=["Total", "1"], caption="Caption <i>")
    parsed = check_fragment(html)
    assert EVIL not in html and "<b>1</b>" in html and "Caption &lt;i&gt;" in html
    assert [th.get("scope") for th in parsed.all("th")] == ["col", "col", "row", "row"]
    assert layout.h(None) == "" and layout.h("'\"<>&") == "&#x27;&quot;&lt;&gt;&amp;"


def test_stylesheet_is_one_file_without_imports_or_remote_fonts():
    css = layout.STYLESHEET
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert "system-ui" in css and "@media" in css
    assert css.count("{") == css.count("}")


async def test_static_routes_serve_the_stylesheet():
    app = web.Application()
    app.add_routes(layout.static_routes())
    async with TestClient(TestServer(app)) as client:
        resp = await client.get(layout.STYLESHEET_PATH)
        assert resp.status == 200
        assert resp.content_type == "text/css"
        assert await resp.text() == layout.STYLESHEET
        again = await client.get(layout.STYLESHEET_PATH, headers={"If-None-Match": resp.headers["ETag"]})
        assert again.status == 304
        assert (await client.get("/static/other.css")).status == 404
