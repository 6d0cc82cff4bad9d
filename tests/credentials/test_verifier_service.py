"""The verifier controller's API and page, over HTTP, with the real agents and dev peer."""

from __future__ import annotations

import copy

from aiohttp.test_utils import TestClient, TestServer

from controllers.verifier import VerifierService, build_app
from controllers.workflow import WorkflowStore

from tests.credentials.holder import Holder


async def test_api_request_over_didcomm_then_page_and_direct_verify(ledger_world):
    world = ledger_world
    async with Holder(world.customer_admin).running():
        issued = await world.issuer().issue_bill(world.bill(days=31))
        store = WorkflowStore(world.data_dir / "verifier" / "workflow.sqlite3")
        # No webhooks reach this app (its agent posts to the world's receiver): the sweep finds the answer.
        service = VerifierService(world.verifier(), store, timeout=20, sweep_interval=0.2)
        async with TestClient(TestServer(build_app(service, "webhook-secret"))) as http:
            created = await http.post("/api/requests", json={"connection_id": world.parties.verifier_connection,
                                                              "record_id": issued[0].anchor.record_id})
            assert created.status == 201
            request_id = (await created.json())["request_id"]
            await service.wait(request_id)
            shown = await (await http.get(f"/api/requests/{request_id}")).json()
            assert shown["state"] == "done" and [v["status"] for v in shown["verdicts"]] == ["verified"]
            page = await (await http.get(f"/requests/{request_id}")).text()
            assert "verified" in page and "detail hash" in page and world.parties.customer_did not in page

            tampered = copy.deepcopy(issued[0].credential)
            tampered["credentialSubject"]["locationBasedTco2e"] = "0"
            answer = await (await http.post("/api/verify", json={"verifiableCredential": tampered})).json()
            assert answer["verdicts"][0]["status"] == "rejected" and answer["verdicts"][0]["reasons"]
            bad = await http.post("/api/verify", json={"nothing": 1})
            assert bad.status == 400 and "verifiableCredential" in (await bad.json())["error"]
            assert (await http.get("/api/requests/unknown")).status == 404

        # A verifier restarted on the same store still has the request and its verdicts.
        again = VerifierService(world.verifier(), store)
        async with TestClient(TestServer(build_app(again, "webhook-secret"))) as http:
            shown = await (await http.get(f"/api/requests/{request_id}")).json()
            assert shown["state"] == "done" and [v["status"] for v in shown["verdicts"]] == ["verified"]
            assert request_id in await (await http.get("/")).text()
        store.close()
