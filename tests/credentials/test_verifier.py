"""The verifier's verdicts on credentials that must not pass, each with its reason."""

from __future__ import annotations

import copy
import socket
from dataclasses import replace
from datetime import datetime

import pytest

from credentials import read_emissions_credential
from controllers.ledger import BillReference, CustomerDetail, RecordRequest
from controllers.ledger import open_ledger
from controllers.verifier.request import await_verdicts, request_credential
from controllers.verifier.verdict import ERROR, REJECTED, VERIFIED

from tests.credentials.holder import Holder


@pytest.fixture
async def issued(ledger_world):
    async with Holder(ledger_world.customer_admin).running():
        return await ledger_world.issuer().issue_bill(ledger_world.bill())


def failed(verdict) -> dict[str, str]:
    return {c.name: c.detail for c in verdict.checks if not c.ok}


async def test_issued_credential_verifies_directly(ledger_world, issued):
    verdict = await ledger_world.verifier().check_credential(issued[0].credential)
    assert verdict.status == VERIFIED, verdict.reasons
    assert verdict.summary["kwh"] == issued[0].kwh


async def test_tampered_credential_is_rejected(ledger_world, issued):
    tampered = copy.deepcopy(issued[0].credential)
    tampered["credentialSubject"]["marketBasedTco2e"] = "0.000001"
    verdict = await ledger_world.verifier().check_credential(tampered)
    assert verdict.status == REJECTED
    assert "credential proof" in failed(verdict)


async def test_tampered_credential_presented_over_didcomm_is_rejected(ledger_world, issued):
    world = ledger_world
    tampered = copy.deepcopy(issued[2].credential)
    tampered["id"] = "urn:uuid:00000000-0000-4000-8000-00000000beef"
    tampered["credentialSubject"]["electricityKwh"] = "1.000"
    tampered["credentialSubject"]["recordDetail"]["emissions"]["kwh"] = "1.000"
    await world.customer_admin.request("POST", "/vc/credentials/store", json={
        "verifiableCredential": tampered, "options": {"skipVerification": True}})
    try:
        def pick_tampered(matches, _request):
            return [m["record_id"] for m in matches if m["record_id"] == tampered["id"]]

        async with Holder(world.customer_admin, choose=pick_tampered).running():
            pending = await request_credential(world.verifier_admin, world.parties.verifier_connection,
                                               record_id=issued[2].anchor.record_id)
            verdicts = await await_verdicts(world.verifier(), pending, waiter=world.waiter("verifier"), timeout=20)
    finally:
        await world.customer_admin.delete_w3c_credential(tampered["id"])
    assert [v.status for v in verdicts] == [REJECTED]
    assert {"presentation proof", "credential proof"} <= set(failed(verdicts[0]))


async def test_credential_from_an_unregistered_did_is_rejected(ledger_world, issued):
    world = ledger_world
    stranger = (await world.auditor_admin.create_did_key()).did
    forged = copy.deepcopy(issued[0].credential)
    del forged["proof"]
    forged["issuer"] = stranger
    signed = await world.auditor_admin.vc_issue(forged)
    verdict = await world.verifier().check_credential(signed)
    assert verdict.status == REJECTED
    assert failed(verdict)["issuer"] == "the issuer DID is not a registered auditor on the ledger"
    assert "record" in failed(verdict)  # the record names the real issuing DID


async def test_credential_edited_and_resigned_by_a_registered_auditor_does_not_match_the_ledger(ledger_world, issued):
    world = ledger_world
    edited = copy.deepcopy(issued[0].credential)
    del edited["proof"]
    subject = edited["credentialSubject"]
    subject["electricityKwh"] = "1.000"
    subject["recordDetail"]["emissions"]["kwh"] = "1.000"
    signed = await world.auditor_admin.vc_issue(edited)  # the same registered auditor DID signs again
    verdict = await world.verifier().check_credential(signed)
    assert verdict.status == REJECTED
    reasons = failed(verdict)
    assert set(reasons) == {"detail hash"}, reasons
    assert "does not match the hash on the ledger" in reasons["detail hash"]


async def test_superseded_record_is_rejected(ledger_world, issued):
    world = ledger_world
    old = read_emissions_credential(issued[0].credential)
    record = await world.auditor_ledger.get_record(old.anchor.record_id)
    correction = RecordRequest(
        utility_id=record["utility_id"], period_start=datetime.fromisoformat(record["period_start"]),
        period_end=datetime.fromisoformat(record["period_end"]), edition="eGRID2023",
        auditor_did=world.parties.auditor_dids["Auditor1MSP"], supersedes=old.anchor.record_id)
    detail = CustomerDetail(old.subject, old.account_id, old.service_point_id, kwh=__import__("decimal").Decimal("999"),
                            bill=BillReference("espi-atom+xml", old.bill_content_id, "e" * 64))
    await world.auditor_ledger.client.record_emissions(correction, detail)
    verdict = await world.verifier().check_credential(issued[0].credential)
    assert verdict.status == REJECTED
    assert failed(verdict)["current"].startswith("superseded by record ")


def _dead_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"  # closed again: nothing listens there


async def test_ledger_unreachable_gives_an_error_verdict_never_verified(ledger_world, issued):
    world = ledger_world
    profile = replace(world.verifier_ledger.profile, gateway=_dead_address())
    async with open_ledger(profile) as dead:
        verdict = await world.verifier(dead).check_credential(issued[0].credential)
    assert verdict.status == ERROR and not verdict.verified
    assert "unreachable" in failed(verdict)["ledger reachable"]


async def test_ledger_stopped_mid_flight_gives_an_error_verdict(ledger_world, issued):
    world = ledger_world
    await world.peer.stop()
    verdict = await world.verifier().check_credential(issued[1].credential)
    assert verdict.status == ERROR and not verdict.verified
    assert "ledger reachable" in failed(verdict)


async def test_forged_anchor_is_rejected_quickly_not_an_error(ledger_world, issued):
    world = ledger_world
    forged = copy.deepcopy(issued[0].credential)
    del forged["proof"]
    forged["credentialSubject"]["ledgerAnchor"]["transactionId"] = "0" * 64
    signed = await world.auditor_admin.vc_issue(forged)
    verdict = await world.verifier().check_credential(signed)
    assert verdict.status == REJECTED
    assert set(failed(verdict)) == {"record", "transaction"}
