"""Every party's app refuses a state change another web site's page sends in the person's name."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from controllers.web import same_origin_only


def app() -> web.Application:
    async def changed(_request: web.Request) -> web.Response:
        return web.Response(text="changed")

    application = web.Application(middlewares=[same_origin_only])
    application.add_routes([web.post("/consents/x/approve", changed), web.get("/consents/x", changed),
                            web.post("/webhooks/topic/t/", changed)])
    return application


async def test_a_change_from_another_site_is_refused_and_one_from_the_page_itself_goes_through():
    async with TestClient(TestServer(app())) as client:
        own = f"http://{client.host}:{client.port}"
        refused = [
            {"Origin": "http://evil.example"},
            {"Origin": f"http://{client.host}:1"},  # another port on the same host is another origin
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},  # e.g. another party's page on this machine
        ]
        for headers in refused:
            resp = await client.post("/consents/x/approve", headers=headers)
            assert resp.status == 403, headers
            assert await resp.text() == "This change must be made from this service's own pages."
        for headers in ({"Origin": own, "Sec-Fetch-Site": "same-origin"}, {}):  # the page itself; a script
            assert (await client.post("/consents/x/approve", headers=headers)).status == 200
        # Reading is not a change; webhooks carry the agent's secret instead.
        assert (await client.get("/consents/x", headers={"Origin": "http://evil.example"})).status == 200
        assert (await client.post("/webhooks/topic/t/", headers={"Sec-Fetch-Site": "cross-site"})).status == 200
