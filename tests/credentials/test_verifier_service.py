"""The verifier controller's API and page, over HTTP, with the real agents and dev peer."""

from __future__ import annotations

import asyncio
import copy
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from controllers.acapy.admin import did_key_verification_method
from controllers.verifier import VerifierService, build_app
from controllers.web.admission import Admission
from controllers.workflow import WorkflowStore

from testkit.ports import free_port
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


@pytest.fixture
async def one_month(ledger_world):
    """A month's emissions credential, issued to the customer's wallet."""
    async with Holder(ledger_world.customer_admin).running():
        return await ledger_world.issuer().issue_bill(ledger_world.bill(days=31))


def _service(world, **settings) -> tuple[VerifierService, WorkflowStore]:
    store = WorkflowStore(world.data_dir / "verifier" / "workflow.sqlite3")
    return VerifierService(world.verifier(), store, **settings), store


async def test_a_presentation_needs_a_fresh_challenge_from_this_verifier(ledger_world, one_month):
    world, issued = ledger_world, one_month
    service, store = _service(world)
    try:
        async with TestClient(TestServer(build_app(service, "webhook-secret", OPERATOR_KEY))) as http:
            async def present(challenge: str):
                vp = await world.customer_admin.vc_present(world.parties.customer_did, [issued[0].credential],
                                                           challenge=challenge)
                return await http.post("/api/verify", json={"verifiablePresentation": vp, "challenge": challenge})

            chosen = await present("a challenge the caller chose")
            assert chosen.status == 400 and "challenge unknown" in (await chosen.json())["error"]
            issued_challenge = await http.post("/api/challenges")
            assert issued_challenge.status == 201
            challenge = (await issued_challenge.json())["challenge"]
            first = await present(challenge)
            answer = await first.json()
            assert first.status == 200 and answer["checked"] == "presentation"
            assert [v["status"] for v in answer["verdicts"]] == ["verified"], answer
            again = await present(challenge)
            assert again.status == 400 and "already used" in (await again.json())["error"]
    finally:
        store.close()


async def test_anyone_gets_the_verdict_only_the_operator_gets_the_figures(ledger_world, one_month):
    world, issued = ledger_world, one_month
    service, store = _service(world)
    try:
        async with TestClient(TestServer(build_app(service, "webhook-secret", OPERATOR_KEY))) as http:
            body = {"verifiableCredential": issued[0].credential}
            public = await (await http.post("/api/verify", json=body)).json()
            assert public["checked"] == "credential"
            [verdict] = public["verdicts"]
            assert verdict["status"] == "verified" and verdict["summary"] == {}
            assert issued[0].kwh not in json.dumps(public)
            operator = await (await http.post("/api/verify", json=body, headers=KEY)).json()
            assert operator["verdicts"][0]["summary"]["kwh"] == issued[0].kwh
    finally:
        store.close()


async def test_our_own_failure_is_an_error_never_a_rejection(ledger_world, one_month):
    """The proof checker cannot answer (closed here; a crashed or overrun worker is the same to
    the verifier): the verdict is `error`, the credential is not called altered."""
    world, issued = ledger_world, one_month
    await world.proofs.close()
    verdict = await world.verifier().check_credential(issued[0].credential)
    assert verdict.status == "error"
    assert "could not be checked" in verdict.reasons[0] and "altered" not in " ".join(verdict.reasons)


async def test_a_full_queue_answers_503_with_retry_after(ledger_world, one_month):
    world, issued = ledger_world, one_month
    service, store = _service(world, admission=Admission(running=1, waiting=1, retry_after=3))
    try:
        async with TestClient(TestServer(build_app(service, "webhook-secret", OPERATOR_KEY))) as http:
            body = {"verifiableCredential": issued[0].credential}
            answers = await asyncio.gather(*(http.post("/api/verify", json=body) for _ in range(8)))
            statuses = sorted(a.status for a in answers)
            assert statuses.count(200) >= 2 and set(statuses) == {200, 503}, statuses
            busy = next(a for a in answers if a.status == 503)
            assert busy.headers["Retry-After"] == "3" and "try again" in (await busy.json())["error"]
            for answer in answers:
                if answer.status == 200:
                    assert (await answer.json())["verdicts"][0]["status"] == "verified"
    finally:
        store.close()


async def test_an_issuer_that_is_not_a_did_key_opens_no_connection(ledger_world, one_month):
    """SSRF: a did:web issuer naming a local port. The verifier resolves nothing and gives one
    neutral reason, the same whether something listens on that port or not."""
    world, issued = ledger_world, one_month
    connections = []
    listener = await asyncio.start_server(lambda r, w: connections.append(w.close()), "127.0.0.1", 0)
    open_port = listener.sockets[0].getsockname()[1]
    closed_port = free_port()  # closed again: nothing listens there
    service, store = _service(world)
    try:
        async with TestClient(TestServer(build_app(service, "webhook-secret", OPERATOR_KEY))) as http:
            reasons = []
            for port in (open_port, closed_port):
                forged = copy.deepcopy(issued[0].credential)
                forged["issuer"] = f"did:web:127.0.0.1%3A{port}"
                forged["proof"]["verificationMethod"] = f"did:web:127.0.0.1%3A{port}#key-1"
                [verdict] = (await (await http.post("/api/verify", json={"verifiableCredential": forged})).json())["verdicts"]
                assert verdict["status"] == "rejected"
                reasons.append(verdict["reasons"])
            await asyncio.sleep(0.5)
        assert connections == []
        assert reasons[0] == reasons[1] and str(open_port) not in str(reasons[0])
    finally:
        listener.close()
        store.close()


@pytest.mark.parametrize("signed_as", ["holder field", "decoy proof"])
async def test_a_presentation_signed_by_someone_else_than_its_subject_is_rejected(ledger_world, one_month, signed_as):
    """Mallory holds a copy of the customer's credential and signs a presentation of it with her
    own key. Neither naming the customer as `holder` nor a decoy proof naming the customer's key in
    front of hers makes it the customer's: the signers decide, and all must be the subject. (The
    presentation's proofs count as verified here, as when the agent verified them over DIDComm: a
    valid proof by Mallory is exactly what she can make.)"""
    world, issued = ledger_world, one_month
    mallory = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    hers = {"type": "Ed25519Signature2020", "proofPurpose": "authentication", "challenge": "c-1",
            "verificationMethod": did_key_verification_method(mallory), "proofValue": "z3FXQ"}
    vp = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["VerifiablePresentation"],
          "verifiableCredential": [issued[0].credential]}
    if signed_as == "holder field":
        vp.update(holder=world.parties.customer_did, proof=hers)
    else:
        vp["proof"] = [{**hers, "verificationMethod": did_key_verification_method(world.parties.customer_did)}, hers]
    [verdict] = await world.verifier().check_presentation(vp, "c-1", agent_verified=True)
    assert verdict.status == "rejected"
    assert [c.name for c in verdict.checks if not c.ok] == ["holder"]
