"""The verifier controller's API and page, over HTTP, with the real agents and dev peer."""

from __future__ import annotations

import copy

from aiohttp.test_utils import TestClient, TestServer

from controllers.verifier import VerifierService, build_app
from controllers.workflow import WorkflowStore

from tests.credentials.holder import Holder

OPERATOR_KEY = "verifier-operator-test-key"
KEY = {"X-Operator-Key": OPERATOR_KEY}


async def test_api_request_over_didcomm_then_page_and_direct_verify(ledger_world):
    world = ledger_world
    async with Holder(world.customer_admin).running():
        issued = await world.issuer().issue_bill(world.bill(days=31))
        store = WorkflowStore(world.data_dir / "verifier" / "workflow.sqlite3")
        # No webhooks reach this app (its agent posts to the world's receiver): the sweep finds the answer.
        service = VerifierService(world.verifier(), store, timeout=20, sweep_interval=0.2)
        async with TestClient(TestServer(build_app(service, "webhook-secret", OPERATOR_KEY))) as http:
            body = {"connection_id": world.parties.verifier_connection, "record_id": issued[0].anchor.record_id}
            assert (await http.post("/api/requests", json=body)).status == 401  # the operator's, not anyone's
            created = await http.post("/api/requests", json=body, headers=KEY)
            assert created.status == 201
            request_id = (await created.json())["request_id"]
            await service.wait(request_id)
            shown = await (await http.get(f"/api/requests/{request_id}", headers=KEY)).json()
            assert shown["state"] == "done" and [v["status"] for v in shown["verdicts"]] == ["verified"]
            assert (await http.get(f"/requests/{request_id}", allow_redirects=False)).status == 303  # sign in first
            signed_in = await http.post("/signin", data={"username": "operator", "password": OPERATOR_KEY},
                                        allow_redirects=False)
            assert signed_in.status == 303
            page = await (await http.get(f"/requests/{request_id}")).text()
            assert "Verified" in page and "detail hash" in page and world.parties.customer_did not in page

            # Anyone may check a credential: /api/verify needs no key and no session.
            http.session.cookie_jar.clear()
            tampered = copy.deepcopy(issued[0].credential)
            tampered["credentialSubject"]["locationBasedTco2e"] = "0"
            answer = await (await http.post("/api/verify", json={"verifiableCredential": tampered})).json()
            assert answer["verdicts"][0]["status"] == "rejected" and answer["verdicts"][0]["reasons"]
            bad = await http.post("/api/verify", json={"nothing": 1})
            assert bad.status == 400 and "verifiableCredential" in (await bad.json())["error"]
            assert (await http.get("/api/requests/unknown", headers=KEY)).status == 404

        # A verifier restarted on the same store still has the request and its verdicts.
        again = VerifierService(world.verifier(), store)
        async with TestClient(TestServer(build_app(again, "webhook-secret", OPERATOR_KEY))) as http:
            shown = await (await http.get(f"/api/requests/{request_id}", headers=KEY)).json()
            assert shown["state"] == "done" and [v["status"] for v in shown["verdicts"]] == ["verified"]
            assert request_id[:8] in await (await http.get("/", headers=KEY)).text()
        store.close()
