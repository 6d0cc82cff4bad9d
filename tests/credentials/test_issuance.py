"""Issuance end to end with the real agents and dev peer: anchored records, credentials over
DIDComm, verified over DIDComm; the customer's bill decrypts to the hash in its credential."""

from __future__ import annotations

from custody import BillCustody
from controllers.ledger import detail_hash
from credentials import read_emissions_credential
from controllers.verifier.request import await_verdicts, request_credential

from tests.credentials.holder import Holder


async def test_happy_path_issue_then_verify_over_didcomm(ledger_world):
    world = ledger_world
    async with Holder(world.customer_admin).running():
        issued = await world.issuer().issue_bill(world.bill())
        assert len(issued) == 3  # January to March
        wanted = issued[1].anchor.record_id
        pending = await request_credential(world.verifier_admin, world.parties.verifier_connection, record_id=wanted)
        verdicts = await await_verdicts(world.verifier(), pending, waiter=world.waiter("verifier"), timeout=20)
    assert [v.status for v in verdicts] == ["verified"], [v.reasons for v in verdicts]
    assert verdicts[0].record_id == wanted
    names = {c.name for c in verdicts[0].checks}
    assert {"presentation proof", "holder", "credential proof", "issuer", "record", "transaction", "detail hash",
            "current"} <= names
    claims = read_emissions_credential(issued[1].credential)
    assert claims.issuer == world.parties.auditor_dids["Auditor1MSP"]
    assert claims.subject == world.parties.customer_did
    assert claims.anchor.block_number > 0 and claims.kwh == issued[1].kwh
    record = await world.verifier_ledger.get_record(wanted)
    assert (record["detail_hash"], record["tx_id"]) == (detail_hash(claims.record_detail), claims.anchor.transaction_id)
    assert claims.location_tco2e == claims.record_detail["emissions"]["location"]["emissions"]["co2e_t"]


async def test_customer_decrypts_its_bill_and_the_hash_matches(ledger_world):
    world = ledger_world
    bill = world.bill()
    async with Holder(world.customer_admin).running():
        issued = await world.issuer().issue_bill(bill)
    claims = read_emissions_credential(issued[0].credential)
    plain = await BillCustody(world.custody.store).retrieve(claims.bill_content_id, world.parties.customer_key,
                                                            claims.bill_sha256)
    assert plain == bill.feed
    # An auditor org can open it too (the other org's key, as a recipient).
    assert await world.custody.retrieve(claims.bill_content_id, world.parties.auditor_keys["Auditor2MSP"],
                                        claims.bill_sha256, kid="Auditor2MSP") == bill.feed


async def test_rerun_of_a_finished_bill_creates_nothing_new(ledger_world):
    world = ledger_world
    async with Holder(world.customer_admin).running():
        first = await world.issuer().issue_bill(world.bill())
        offers_before = await world.auditor_admin.credential_exchanges(connection_id=world.parties.auditor_connection)
        again = await world.issuer().issue_bill(world.bill())
        offers_after = await world.auditor_admin.credential_exchanges(connection_id=world.parties.auditor_connection)
    assert [c.anchor for c in again] == [c.anchor for c in first]
    assert len(offers_after) == len(offers_before)


async def test_a_year_of_credentials_in_one_presentation(ledger_world):
    world = ledger_world
    async with Holder(world.customer_admin).running():
        issued = await world.issuer().issue_bill(world.bill(days=120, seed=5))
        wanted = [c.anchor.record_id for c in issued]
        pending = await request_credential(world.verifier_admin, world.parties.verifier_connection, record_ids=wanted)
        verdicts = await await_verdicts(world.verifier(), pending, waiter=world.waiter("verifier"), timeout=30)
    assert len(wanted) == 4
    assert sorted(v.record_id for v in verdicts) == sorted(wanted)
    assert all(v.verified for v in verdicts), [v.reasons for v in verdicts]
