"""Webhook receiver rules over real HTTP, and with a real agent delivering."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from controllers.acapy import ExchangeAbandoned, ExchangeTimeout, WebhookEvent, WebhookReceiver

SECRET = "s3cret"
TOPIC = "issue_credential_v2_0"


def _payload(state: str, updated_at: str, rec: str = "cx-1", **extra) -> dict:
    return {"cred_ex_id": rec, "state": state, "updated_at": updated_at, "thread_id": "th-" + rec, **extra}


@pytest.fixture
async def receiver_client():
    receiver = WebhookReceiver(SECRET)
    seen: list[tuple[str, str]] = []

    async def handler(event: WebhookEvent) -> None:
        seen.append((event.record_id, event.state))

    receiver.on(TOPIC, handler)
    async with TestClient(TestServer(receiver.app())) as client:
        yield receiver, client, seen


async def _post(client, payload, secret=SECRET, topic=TOPIC):
    resp = await client.post(f"/webhooks/topic/{topic}/", json=payload, headers={"x-api-key": secret} if secret else {})
    return resp.status, (await resp.json())


async def test_wrong_or_missing_secret_is_rejected(receiver_client):
    receiver, client, seen = receiver_client
    assert (await _post(client, _payload("offer-sent", "2025-01-01T00:00:01Z"), secret="nope"))[0] == 401
    assert (await _post(client, _payload("offer-sent", "2025-01-01T00:00:01Z"), secret=None))[0] == 401
    assert seen == [] and receiver.stats["rejected"] == 2
    assert await _post(client, _payload("offer-sent", "2025-01-01T00:00:01Z")) == (200, {"outcome": "accepted"})


async def test_duplicates_and_out_of_order_are_ignored(receiver_client):
    receiver, client, seen = receiver_client
    assert (await _post(client, _payload("offer-sent", "2025-01-01T00:00:01.000001Z")))[1]["outcome"] == "accepted"
    assert (await _post(client, _payload("offer-sent", "2025-01-01T00:00:01.000001Z")))[1]["outcome"] == "duplicate"
    assert (await _post(client, _payload("done", "2025-01-01T00:00:03Z")))[1]["outcome"] == "accepted"
    # request-received overtaken by done: older, so dropped, and never reaches handlers.
    assert (await _post(client, _payload("request-received", "2025-01-01T00:00:02Z")))[1]["outcome"] == "stale"
    # Without timestamps the protocol order decides.
    assert (await _post(client, {"cred_ex_id": "cx-2", "state": "done"}))[1]["outcome"] == "accepted"
    assert (await _post(client, {"cred_ex_id": "cx-2", "state": "offer-sent"}))[1]["outcome"] == "stale"
    assert seen == [("cx-1", "offer-sent"), ("cx-1", "done"), ("cx-2", "done")]
    assert receiver.waiter.latest(TOPIC, "cx-1").state == "done"


async def test_concurrent_duplicates_run_handlers_once(receiver_client):
    receiver, client, seen = receiver_client
    results = await asyncio.gather(*(_post(client, _payload("offer-sent", "2025-01-01T00:00:01Z", rec="cx-9")) for _ in range(8)))
    outcomes = sorted(r[1]["outcome"] for r in results)
    assert outcomes == ["accepted"] + ["duplicate"] * 7
    assert seen == [("cx-9", "offer-sent")]


async def test_failing_handler_lets_the_retry_through():
    receiver = WebhookReceiver(SECRET)
    calls = []

    async def flaky(event: WebhookEvent) -> None:
        calls.append(event.state)
        if len(calls) == 1:
            raise RuntimeError("database busy")

    receiver.on("*", flaky)
    async with TestClient(TestServer(receiver.app())) as client:
        first = await client.post(f"/webhooks/topic/{TOPIC}/", json=_payload("offer-sent", "t1"), headers={"x-api-key": SECRET})
        assert first.status == 500
        again = await _post(client, _payload("offer-sent", "t1"))
        assert again == (200, {"outcome": "accepted"})
    assert calls == ["offer-sent", "offer-sent"]


async def test_bad_bodies_are_refused(receiver_client):
    _, client, _ = receiver_client
    r = await client.post(f"/webhooks/topic/{TOPIC}/", data=b"{not json", headers={"x-api-key": SECRET})
    assert r.status == 400
    r = await client.post(f"/webhooks/topic/{TOPIC}/", json=[1, 2], headers={"x-api-key": SECRET})
    assert r.status == 400


async def test_waiter_times_out_naming_the_exchange():
    receiver = WebhookReceiver(SECRET)
    await receiver.deliver(WebhookEvent.parse(TOPIC, _payload("request-sent", "t1", rec="cx-silent")))
    with pytest.raises(ExchangeTimeout) as err:
        await receiver.waiter.wait_for(TOPIC, "cx-silent", {"done"}, timeout=0.2)
    assert str(err.value) == f"{TOPIC} exchange cx-silent did not reach done within 0.2 s (last state: request-sent)"
    with pytest.raises(ExchangeTimeout, match="last state: none seen"):
        await receiver.waiter.wait_for(TOPIC, "cx-never", {"done"}, timeout=0.1)


async def test_waiter_wakes_on_state_and_on_failure():
    receiver = WebhookReceiver(SECRET)
    waiting = asyncio.create_task(receiver.waiter.wait_for(TOPIC, "cx-1", {"done"}, timeout=5))
    await asyncio.sleep(0)
    await receiver.deliver(WebhookEvent.parse(TOPIC, _payload("done", "t2")))
    assert (await waiting).state == "done"
    # A state reached earlier still counts, even after later ones.
    assert (await receiver.waiter.wait_for_thread(TOPIC, "th-cx-1", {"done"}, timeout=1)).record_id == "cx-1"

    failing = asyncio.create_task(receiver.waiter.wait_for(TOPIC, "cx-2", {"done"}, timeout=5))
    await asyncio.sleep(0)
    await receiver.deliver(WebhookEvent.parse(TOPIC, _payload("abandoned", "t3", rec="cx-2", error_msg="holder refused")))
    with pytest.raises(ExchangeAbandoned, match="cx-2 ended abandoned: holder refused"):
        await failing


async def test_real_agent_webhooks_need_the_secret(agent_network):
    spec = agent_network.specs["auditor"]
    wrong = WebhookReceiver("not-the-secret")
    runner = aiohttp.web.AppRunner(wrong.app())
    await runner.setup()
    await aiohttp.web.TCPSite(runner, spec.host, spec.controller_port, reuse_address=True).start()
    try:
        async with agent_network.admin("auditor") as auditor:
            await auditor.create_invitation()  # makes the agent send an out_of_band webhook
        for _ in range(100):
            if wrong.stats["rejected"]:
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()
    assert wrong.stats["rejected"] >= 1 and wrong.stats["accepted"] == 0

    async with agent_network.webhooks("auditor") as hooks, agent_network.admin("auditor") as auditor:
        inv = await auditor.create_invitation()
        event = await hooks["auditor"].waiter.wait_for("out_of_band", inv.oob_id, {"await-response"}, timeout=10)
    assert event.payload["invi_msg_id"] == inv.invitation_msg_id


async def test_a_wait_from_a_read_sees_what_settled_before_the_waiter_listened():
    waiter = WebhookReceiver(SECRET).waiter
    await asyncio.wait_for(waiter.wait_from(TOPIC, "cx-read", "done", {"done"}, timeout=5), 1)  # no event needed
    with pytest.raises(ExchangeAbandoned, match="cx-gone ended abandoned: holder refused"):
        await waiter.wait_from(TOPIC, "cx-gone", "abandoned", {"done"}, read_error="holder refused")


async def test_a_wait_from_a_read_names_the_state_read_when_nothing_was_heard_since():
    receiver = WebhookReceiver(SECRET)
    with pytest.raises(ExchangeTimeout, match="cx-quiet did not reach done within 0.1 s \\(last state: offer-sent\\)"):
        await receiver.waiter.wait_from(TOPIC, "cx-quiet", "offer-sent", {"done"}, timeout=0.1)
    waiting = asyncio.create_task(receiver.waiter.wait_from(TOPIC, "cx-1", "offer-sent", {"done"}, timeout=5))
    await asyncio.sleep(0)
    await receiver.deliver(WebhookEvent.parse(TOPIC, _payload("done", "t9")))
    await waiting
    assert receiver.waiter.latest(TOPIC, "cx-1") is None  # forgotten once settled
