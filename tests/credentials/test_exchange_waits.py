"""Waiting for a credential delivery or a presentation: on the agent's webhooks, with a deadline.

Nobody answers for the customer here unless a Holder runs: its agent answers nothing by itself.
"""

from __future__ import annotations

import time
import uuid

import pytest

from controllers.acapy import ExchangeTimeout, ExchangeWaiter
from controllers.issuance import ConsentedBill, EmissionsIssuer, IssuerSettings, deliver_credential
from controllers.verifier import ERROR, EmissionsVerifier, await_verdicts, request_credential
from controllers.workflow import WorkflowStore
from credentials.vocabulary import CREDENTIALS_V1, ED25519_2020_CONTEXT

from tests.credentials.holder import Holder


@pytest.fixture
async def heard(agent_network, parties):
    """The auditor's and verifier's admin clients and webhooks (no ledger: these waits never reach it)."""
    async with agent_network.webhooks("auditor", "verifier") as hooks, \
            agent_network.admin("auditor") as auditor, agent_network.admin("verifier") as verifier, \
            agent_network.holder() as customer:
        yield hooks, auditor, verifier, customer


def plain_credential(issuer_did: str, subject_did: str) -> dict:
    # Not an emissions credential: no holder stand-in in these tests would ever accept it.
    return {"@context": [CREDENTIALS_V1, ED25519_2020_CONTEXT], "id": f"urn:uuid:{uuid.uuid4()}",
            "type": ["VerifiableCredential"], "issuer": issuer_did, "issuanceDate": "2025-01-01T00:00:00Z",
            "credentialSubject": {"id": subject_did}}


async def test_issue_bill_without_a_waiter_refuses_before_anything_is_done(tmp_path):
    with WorkflowStore(tmp_path / "workflow.sqlite3") as store:
        # Nothing but the store is reached: the refusal comes first.
        issuer = EmissionsIssuer(IssuerSettings("did:key:z6MkAuditor"), None, None, None, store, [])
        bill = ConsentedBill("bill-1", "conn-1", "did:key:z6MkCustomer", "z6LSkey", 14328, "ACCT-1", "SP-1", b"<feed/>")
        with pytest.raises(ValueError, match="waiter"):
            await issuer.issue_bill(bill)
        assert store.list("emissions-bill") == []


async def test_an_offer_nobody_answers_times_out_naming_the_exchange_and_its_last_state(heard, parties):
    hooks, auditor, _, customer = heard
    credential = plain_credential(parties.auditor_dids["Auditor1MSP"], parties.customer_did)
    started = time.monotonic()
    with pytest.raises(ExchangeTimeout) as caught:
        await deliver_credential(auditor, parties.auditor_connection, credential, waiter=hooks["auditor"].waiter,
                                 timeout=2, maybe_offered=False)
    elapsed = time.monotonic() - started
    offers = [x for x in await auditor.credential_exchanges(connection_id=parties.auditor_connection, role="issuer")
              if (x.offer or {}).get("credential", {}).get("id") == credential["id"]]
    try:
        error = caught.value
        # The first offer, unanswered for half the time, was withdrawn; the second one timed out.
        assert sorted(x.state for x in offers) == ["abandoned", "offer-sent"]
        [silent] = [x for x in offers if x.state == "offer-sent"]
        assert (error.topic, error.record_id, error.last_state) == ("issue_credential_v2_0", silent.cred_ex_id, "offer-sent")
        assert str(error) == (f"issue_credential_v2_0 exchange {silent.cred_ex_id} did not reach done within 2 s "
                              "(last state: offer-sent)")
        assert 3 <= elapsed < 10
    finally:
        for offer in offers:
            await _withdraw_offer(auditor, customer, offer)


async def _withdraw_offer(auditor, customer, offer) -> None:
    # The agents outlive this test: no offer of it may stay open for another package's wallet.
    if offer.state == "offer-sent":
        await auditor.credential_problem_report(offer.cred_ex_id, "test over")
    for theirs in await customer.credential_exchanges(thread_id=offer.thread_id):
        await customer.delete_credential_exchange(theirs.cred_ex_id)


async def test_a_request_nobody_answers_gives_an_error_verdict_naming_the_exchange(heard, parties):
    hooks, _, verifier, customer = heard
    pending = await request_credential(verifier, parties.verifier_connection, record_id="ab" * 32)
    try:
        started = time.monotonic()
        verdicts = await await_verdicts(EmissionsVerifier(verifier, None), pending, waiter=hooks["verifier"].waiter,
                                        timeout=1)
        assert time.monotonic() - started < 5
    finally:
        await verifier.presentation_problem_report(pending.pres_ex_id, "test over")
        for theirs in await customer.presentation_exchanges(thread_id=pending.thread_id):
            await customer.delete_presentation_exchange(theirs.pres_ex_id)
    [verdict] = verdicts
    assert verdict.status == ERROR
    assert verdict.reasons == [f"presentation: present_proof_v2_0 exchange {pending.pres_ex_id} did not reach done "
                               "within 1 s (last state: request-sent)"]


async def test_exchanges_settled_before_the_wait_began_are_seen_at_once(ledger_world):
    world = ledger_world
    async with Holder(world.customer_admin).running():
        [issued] = await world.issuer().issue_bill(world.bill(days=31))
        pending = await request_credential(world.verifier_admin, world.parties.verifier_connection,
                                           record_id=issued.anchor.record_id)
        first = await await_verdicts(world.verifier(), pending, waiter=world.waiter("verifier"), timeout=20)
    assert [v.status for v in first] == ["verified"], [v.reasons for v in first]

    # Fresh waiters have heard nothing of these exchanges: only the record read shows them settled.
    started = time.monotonic()
    delivered = await deliver_credential(world.auditor_admin, world.parties.auditor_connection, issued.credential,
                                         waiter=ExchangeWaiter(), timeout=10)
    again = await await_verdicts(world.verifier(), pending, waiter=ExchangeWaiter(), timeout=10)
    assert time.monotonic() - started < 3
    assert (delivered.cred_ex_id, delivered.state) == (issued.cred_ex_id, "done")
    assert delivered.credential["proof"] == issued.credential["proof"]
    assert [v.status for v in again] == ["verified"]
