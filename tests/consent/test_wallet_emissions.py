"""Emissions credentials in the customer's wallet, with the real agents: offers bound to the
wallet's DID are taken and others refused; a verifier's request waits for the person, who shares
(through the wallet's API) exactly the credentials asked for, or declines.

The verifier's agent plays both the issuer and the verifier here: it has no controller in this
stack, so nothing but the test drives its side of the exchanges.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from controllers.acapy import AcaPyAdmin
from credentials.emissions import CREDENTIAL_CONTEXTS, CREDENTIAL_TYPE
from controllers.verifier.request import request_credential
from testkit.consent_stack import Stack, eventually


def emissions_credential(issuer: str, subject: str, record_id: str) -> dict[str, Any]:
    """A small UtilityEmissionsCredential: what the wallet looks at, and `recordDetail` (a term of
    the project context) so signing it proves the context defines it."""
    return {
        "@context": list(CREDENTIAL_CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer,
        "issuanceDate": "2024-04-02T00:00:00Z",
        "credentialSubject": {
            "id": subject,
            "periodStart": "2024-03-01",
            "periodEnd": "2024-03-31",
            "ledgerAnchor": {"recordId": record_id},
            "recordDetail": {"version": 1, "record_id": record_id},
        },
    }


async def _connect(admin: AcaPyAdmin, stack: Stack, label: str) -> str:
    invitation = await admin.create_invitation(auto_accept=True)
    await stack.customer.accept_invitation(invitation.invitation, label)

    async def active():
        ours = await admin.connections(invitation_msg_id=invitation.invitation_msg_id)
        return ours[0].connection_id if ours and ours[0].is_active else None

    return await eventually(active, what="connection to the wallet")


async def _exchange_state(admin: AcaPyAdmin, getter: str, ex_id: str, *states: str) -> Any:
    async def settled():
        record = await getattr(admin, getter)(ex_id)
        return record if record.state in states else None

    return await eventually(settled, what=f"exchange in {states}")


@pytest.fixture
async def stack(agent_network, tmp_path):
    s = await Stack.start(agent_network, tmp_path)
    try:
        yield s
    finally:
        await s.stop()


@pytest.fixture
async def verifier(agent_network, stack):
    async with agent_network.admin("verifier", timeout=30) as admin:
        connection = await _connect(admin, stack, "Green Bank")
        issuer = (await admin.create_did_key()).did
        yield admin, connection, issuer


async def _issue(admin: AcaPyAdmin, connection: str, credential: dict[str, Any]) -> str:
    offer = await admin.send_credential_offer(connection, credential, auto_issue=True)
    return offer.cred_ex_id


async def _pending_request(stack: Stack, thread_id: str | None) -> str:
    async def listed():
        for request in await stack.customer.sharing_requests():
            pres = await stack.customer.admin.presentation_exchange(request.pres_ex_id)
            if pres.thread_id == thread_id:
                return request.pres_ex_id
        return None

    return await eventually(listed, what="the request among the wallet's pending requests")


async def test_emissions_offer_for_the_wallet_is_taken_and_shared_when_the_person_approves(stack, verifier):
    admin, connection, issuer = verifier
    mine, other = secrets.token_hex(32), secrets.token_hex(32)
    for record in (mine, other):
        cred_ex_id = await _issue(admin, connection, emissions_credential(issuer, stack.customer.did, record))
        await _exchange_state(admin, "credential_exchange", cred_ex_id, "done", "credential-issued")

    pending = await request_credential(admin, connection, record_id=mine)
    pres_ex_id = await _pending_request(stack, pending.thread_id)
    # Nothing goes out before the person decides.
    assert (await admin.presentation_exchange(pending.pres_ex_id)).state == "request-sent"

    async with stack.wallet_http.get(f"{stack.urls['customer']}/api/presentation-requests/{pres_ex_id}") as resp:
        assert resp.status == 200
        shown = await resp.json()
    assert shown["requester"] == "Green Bank"
    assert shown["asked_records"] == [mine]
    assert [m["record_id"] for m in shown["matches"]] == [mine]
    async with stack.wallet_http.get(f"{stack.urls['customer']}/presentation-requests/{pres_ex_id}") as resp:
        assert "Green Bank" in await resp.text()

    async with stack.wallet_http.post(f"{stack.urls['customer']}/api/presentation-requests/{pres_ex_id}/approve") as resp:
        assert resp.status == 200, await resp.text()

    done = await _exchange_state(admin, "presentation_exchange", pending.pres_ex_id, "done", "abandoned")
    assert done.state == "done", done.error_msg
    presented = done.presentation["verifiableCredential"]
    assert [c["credentialSubject"]["ledgerAnchor"]["recordId"] for c in presented] == [mine]
    assert presented[0]["credentialSubject"]["recordDetail"] == {"version": 1, "record_id": mine}
    assert pres_ex_id not in {r.pres_ex_id for r in await stack.customer.sharing_requests()}


async def test_the_person_declines_a_request(stack, verifier):
    admin, connection, issuer = verifier
    record = secrets.token_hex(32)
    cred_ex_id = await _issue(admin, connection, emissions_credential(issuer, stack.customer.did, record))
    await _exchange_state(admin, "credential_exchange", cred_ex_id, "done", "credential-issued")

    pending = await request_credential(admin, connection, record_id=record)
    pres_ex_id = await _pending_request(stack, pending.thread_id)
    async with stack.wallet_http.post(f"{stack.urls['customer']}/api/presentation-requests/{pres_ex_id}/decline") as resp:
        assert resp.status == 200, await resp.text()

    refused = await _exchange_state(admin, "presentation_exchange", pending.pres_ex_id, "abandoned", "done")
    assert refused.state == "abandoned"
    assert "declined by the customer" in (refused.error_msg or "")
    async with stack.wallet_http.post(f"{stack.urls['customer']}/api/presentation-requests/{pres_ex_id}/approve") as resp:
        assert resp.status == 409  # a decided request cannot be approved after all


async def test_an_emissions_offer_naming_another_did_is_refused(stack, verifier):
    admin, connection, issuer = verifier
    stranger = (await admin.create_did_key()).did
    cred_ex_id = await _issue(admin, connection, emissions_credential(issuer, stranger, secrets.token_hex(32)))

    refused = await _exchange_state(admin, "credential_exchange", cred_ex_id, "abandoned", "done", "credential-issued")
    assert refused.state == "abandoned"
    assert "not this wallet's DID" in (refused.error_msg or "")
    held = await stack.customer.held_credentials()
    assert all(c["credentialSubject"].get("id") != stranger for c in held)
