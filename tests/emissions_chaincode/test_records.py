"""EmissionsRecords through the Gateway: every rule, determinism, verification, privacy."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import transaction_pb2

from chaincode.emissions.calculation import calculate_period
from chaincode.emissions.lookup import resolve_location_factor, resolve_market_factor
from chaincode.emissions.shipped import load_editions, load_utilities
from controllers.ledger import LedgerError, detail_hash
from network.gateway import connect, create_channel
from network.msp import load_msp

from testkit.ledger import PGE
from tests.emissions_chaincode.setup import (
    ACCOUNT,
    CUSTOMER_DID,
    DIDS,
    SERVICE_POINT,
    customer,
    governed_with_factors,
    record_request,
)


@pytest.fixture
async def ready(network):
    await governed_with_factors(network)
    return network


def expected_emissions(kwh: str, start: datetime, end: datetime):
    utility = load_utilities()[PGE]
    location = resolve_location_factor(load_editions()[-1], utility)
    return calculate_period(Decimal(kwh), location, resolve_market_factor(location, PGE, 2024), start=start, end=end)


def endorsers_of(peer, block_number: int, tx_number: int) -> list[str]:
    block = peer.ledger.block(block_number)
    envelope = common_pb2.Envelope.FromString(block.data.data[tx_number])
    tx = transaction_pb2.Transaction.FromString(common_pb2.Payload.FromString(envelope.payload).data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    return sorted(identities_pb2.SerializedIdentity.FromString(e.endorser).mspid for e in action.action.endorsements)


PUBLIC_FIELDS = {"record_id", "tx_id", "recorded_at", "utility_id", "period_start", "period_end", "year", "scope",
                 "fuel", "edition", "gwp_set", "auditor_msp", "auditor_did", "detail_hash", "status", "supersedes",
                 "superseded_by"}


async def test_record_is_computed_on_the_ledger_by_both_auditor_orgs(ready):
    async with ready.client() as client:
        outcome = await client.record_emissions(record_request(), customer())
        detail = await client.get_record_detail(outcome.record_id)
    record, emissions = outcome.record, detail["emissions"]
    expected = expected_emissions("1234.567", datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    assert not outcome.replayed
    assert emissions == expected.to_json_dict()
    assert emissions["location"]["source"] == "eGRID2023 subregion CAMX" and emissions["market"]["fallback"] is True
    assert (record["auditor_msp"], record["auditor_did"], record["status"]) == ("Auditor1MSP", DIDS["Auditor1MSP"], "active")
    # Determinism: the transaction committed with one endorsement per auditor org, which the
    # gateway only assembles when both orgs' ProposalResponsePayloads were byte-identical.
    tx = ready.peer.ledger.transaction(record["tx_id"])
    assert tx.code == transaction_pb2.VALID
    assert endorsers_of(ready.peer, tx.block_number, tx.tx_number) == ["Auditor1MSP", "Auditor2MSP"]


@pytest.mark.fabric_too
async def test_the_public_record_carries_no_figure_and_no_bill_reference(ready):
    async with ready.client() as client:
        outcome = await client.record_emissions(record_request(), customer())
        detail = await client.get_record_detail(outcome.record_id)
    assert set(outcome.record) == PUBLIC_FIELDS
    assert (outcome.record["scope"], outcome.record["fuel"], outcome.record["gwp_set"], outcome.record["year"]) == \
        (2, None, "AR5", 2024)
    assert outcome.record["detail_hash"] == detail_hash(detail)  # the salted detail stands for the figures
    assert detail["bill"] == {"format": "espi-atom+xml", "content_id": "sha256:" + "c" * 64, "sha256": "b" * 64}


@pytest.mark.fabric_too
async def test_private_detail_hash_verifies_only_with_the_salt(ready):
    salt = "5a" * 16
    async with ready.client() as auditor:
        outcome = await auditor.record_emissions(record_request(), customer(salt=salt))
        detail = await auditor.get_record_detail(outcome.record_id)
    assert (detail["customer_did"], detail["account_id"], detail["emissions"]["kwh"]) == (CUSTOMER_DID, ACCOUNT, "1234.567")
    expected = expected_emissions("1234.567", datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
    rebuilt = {"record_id": outcome.record_id, "salt": salt, "customer_did": CUSTOMER_DID, "account_id": ACCOUNT,
               "service_point_id": SERVICE_POINT, "factor_reason": detail["factor_reason"],
               "bill": {"format": "espi-atom+xml", "content_id": "sha256:" + "c" * 64, "sha256": "b" * 64},
               "emissions": expected.to_json_dict()}
    assert detail_hash(rebuilt) == detail_hash(detail)
    async with ready.client("VerifierMSP") as verifier:
        verdict = await verifier.verify_record(outcome.record_id, detail_hash(rebuilt))
        assert verdict["matches"] is True and verdict["status"] == "active"
        # Someone who knows everything but the salt cannot confirm a guess, not even the right one.
        for guess in ({k: v for k, v in rebuilt.items() if k != "salt"}, {**rebuilt, "salt": "5b" * 16}):
            assert (await verifier.verify_record(outcome.record_id, detail_hash(guess)))["matches"] is False
        tampered = {**rebuilt, "account_id": "ACCT-other"}
        assert (await verifier.verify_record(outcome.record_id, detail_hash(tampered)))["matches"] is False
        with pytest.raises(LedgerError, match="does not have read access permission on privatedata"):
            await verifier.get_record_detail(outcome.record_id)
        with pytest.raises(LedgerError, match="no record " + "0" * 64):
            await verifier.verify_record("0" * 64, detail_hash(rebuilt))


@pytest.mark.fabric_too
async def test_replay_returns_the_existing_record(ready):
    async with ready.client() as first, ready.client("Auditor1MSP", "Admin") as again:
        original = await first.record_emissions(record_request(), customer())
        replay = await again.record_emissions(record_request(), customer())
    assert replay.replayed and replay.record == original.record


@pytest.mark.fabric_too
async def test_overlap_is_rejected_unless_superseding(ready):
    async with ready.client() as client:
        old = await client.record_emissions(record_request(), customer())
        overlapping = record_request(period_start=datetime(2024, 1, 15, tzinfo=UTC),
                                     period_end=datetime(2024, 2, 15, tzinfo=UTC))
        with pytest.raises(LedgerError, match=f"the period overlaps record {old.record_id} of the same customer"):
            await client.record_emissions(overlapping, customer(bill_hash="d" * 64))
        # Another account of the same customer does not clash.
        other = await client.record_emissions(overlapping, customer(account_id="ACCT-0042-9999", bill_hash="d" * 64))
        assert not other.replayed
        with pytest.raises(LedgerError, match="is not an active record of this customer and account"):
            await client.record_emissions(record_request(supersedes=other.record_id), customer(bill_hash="e" * 64))
        corrected = await client.record_emissions(record_request(supersedes=old.record_id),
                                                  customer("1300", bill_hash="e" * 64))
        old_now = await client.get_record(old.record_id)
        assert (old_now["status"], old_now["superseded_by"]) == ("superseded", corrected.record_id)
        assert corrected.record["supersedes"] == old.record_id
        history = await client.record_history(old.record_id)
        assert [h["record"]["status"] for h in history] == ["superseded", "active"]
        with pytest.raises(LedgerError, match="is not an active record"):
            await client.record_emissions(record_request(supersedes=old.record_id), customer(bill_hash="f" * 64))


@pytest.mark.parametrize(("request_changes", "detail_changes", "message"), [
    ({"period_end": datetime(2023, 12, 1, tzinfo=UTC)}, {}, "period_end 2023-12-01T00:00:00Z must be after period_start"),
    ({}, {"kwh": Decimal("-1")}, "kwh must not be negative"),
    ({"utility_id": 999}, {}, "utility 999 is not known in factor edition 'eGRID2023'"),
    ({"edition": "eGRID2099"}, {}, "factor edition 'eGRID2099' is not loaded on the ledger"),
    ({"period_start": datetime(2022, 1, 1, tzinfo=UTC), "period_end": datetime(2022, 2, 1, tzinfo=UTC)}, {},
     "edition 'eGRID2023' describes 2023, after the period's year 2022"),
    ({"auditor_did": DIDS["Auditor2MSP"]}, {}, "is not a registered DID of auditor org Auditor1MSP"),
    ({}, {"bill_hash": "XYZ"}, "bill_hash must be a SHA-256 digest"),
    ({}, {"salt": "ab" * 8}, "salt must be 32 to 128 lower-case hex digits"),
    ({"period_end": datetime(2025, 3, 1, tzinfo=UTC)}, {}, "the period is 425 days long"),
    ({}, {"customer_did": "alice"}, "customer_did must be a DID"),
])
async def test_each_bad_request_is_rejected_with_its_reason(ready, request_changes, detail_changes, message):
    async with ready.client() as client:
        with pytest.raises(LedgerError, match=message):
            await client.record_emissions(record_request(**request_changes), customer(**detail_changes))


@pytest.mark.fabric_too
async def test_hourly_detail_must_add_up_and_lie_in_the_period(ready):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    hours = [(start.replace(hour=h), Decimal("1.5")) for h in range(4)]
    async with ready.client() as client:
        with pytest.raises(LedgerError, match="hourly kWh do not add up"):
            await client.record_emissions(record_request(), customer("7", hourly=hours))
        outcome = await client.record_emissions(record_request(), customer("6.0", hourly=hours))
        detail = await client.get_record_detail(outcome.record_id)
    assert [h["kwh"] for h in detail["emissions"]["hourly"]] == ["1.5"] * 4


@pytest.mark.fabric_too
async def test_callers_must_be_clients_of_active_registered_auditors(ready):
    async with ready.client("VerifierMSP") as outsider:
        with pytest.raises(LedgerError, match="VerifierMSP is not a registered auditor org"):
            await outsider.record_emissions(record_request(), customer())
    async with ready.client("Auditor1MSP", "Admin") as admin1, ready.client("Auditor2MSP", "Admin") as admin2:
        proposal = await admin1.propose_status_change("Auditor2MSP", "deactivate", "audit licence lapsed")
        await admin2.approve(proposal["proposal_id"])
    async with ready.client("Auditor2MSP") as deactivated:
        with pytest.raises(LedgerError, match="auditor org Auditor2MSP is inactive since"):
            await deactivated.record_emissions(record_request(auditor_did=DIDS["Auditor2MSP"]), customer())


@pytest.mark.fabric_too
async def test_missing_transient_detail_is_refused(ready):
    async with ready.client() as client:
        with pytest.raises(LedgerError, match="transient data 'detail' is missing"):
            await client._submit("EmissionsRecords", "RecordEmissions", record_request().to_json())


@pytest.mark.fabric_too
async def test_query_by_utility_and_period_pages(ready):
    async with ready.client() as client:
        ids = []
        for month in range(1, 6):
            request = record_request(period_start=datetime(2024, month, 1, tzinfo=UTC),
                                     period_end=datetime(2024, month + 1, 1, tzinfo=UTC))
            ids.append((await client.record_emissions(request, customer(str(100 * month), bill_hash=f"{month:x}" * 64))).record_id)
        frm, to = datetime(2024, 2, 10, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC)
        first = await client.query_records(PGE, frm, to, page_size=2)
        second = await client.query_records(PGE, frm, to, page_size=2, bookmark=first["bookmark"])
        # A bookmark is the next index key (the stub's paginated query bookmark), only for this utility.
        with pytest.raises(LedgerError, match="is not one this query returned"):
            await client.query_records(5416, frm, to, page_size=2, bookmark=first["bookmark"])
    assert [r["record_id"] for r in first["records"]] == ids[1:3]
    assert [r["record_id"] for r in second["records"]] == ids[3:4] and second["bookmark"] == ""
    assert bytes.fromhex(first["bookmark"]).decode().endswith(f"\x002024-04-01T00:00:00Z\x00{ids[3]}\x00")


async def test_event_and_public_ledger_hold_no_personal_data(ready, tmp_path):
    height = ready.peer.ledger.height
    async with ready.client() as client:
        outcome = await client.record_emissions(record_request(), customer("98765.4321"))
        await client.record_emissions(record_request(supersedes=outcome.record_id),
                                      customer("98765.4322", bill_hash="9" * 64))
    member = load_msp(ready.profile("VerifierMSP").msp_dir, "VerifierMSP")
    channel = create_channel(ready.peer.address)
    try:
        stream = await connect(channel, member.identity, member.signer).network("utilityemissions").chaincode_events(
            "emissions", start_block=height)
        events = [await asyncio.wait_for(anext(stream), 5) for _ in range(2)]
    finally:
        await channel.close()
    assert [e.event_name for e in events] == ["EmissionsRecorded"] * 2
    assert events[0].json()["record_id"] == outcome.record_id
    assert set(events[0].json()) == set(outcome.record)

    secrets = [CUSTOMER_DID, ACCOUNT, SERVICE_POINT, "98765.4321", "98765.4322"]
    public = b"".join(e.payload for e in events)
    with sqlite3.connect(ready.peer.config.data_dir / "ledger.sqlite") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert "pvt" in tables  # private cleartext lives there, for collection members' peers only
        for table in tables:
            if table == "pvt":
                continue
            for row in db.execute(f"SELECT * FROM {table}"):  # noqa: S608 - names from sqlite_master
                public += b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
        private = b"".join(row[0] for row in db.execute("SELECT value FROM pvt"))
    assert b"ACCT-0042-7781" in private  # the scan would see the data if it were there
    for secret in secrets:
        assert secret.encode() not in public, f"{secret} leaked into public state, blocks or events"
