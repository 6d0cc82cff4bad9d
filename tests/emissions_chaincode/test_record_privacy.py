"""What the public side of the ledger gives away about a customer: nothing that identifies it,
nothing from which its usage follows, and no handle that groups its records.

"Public" is everything a channel member who is not in the collection can read: state, history,
blocks (with every read-write set and its private key and value hashes) and chaincode events.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2

from chaincode.emissions.canonical import canonical_json
from chaincode.emissions.contracts import state
from controllers.ledger import LedgerError, detail_hash

from tests.emissions_chaincode.test_index_secret import public_bytes
from tests.emissions_chaincode.setup import ACCOUNT, CUSTOMER_DID, SERVICE_POINT, customer, governed_with_factors, record_request

BILL_HASH = hashlib.sha256(b"one Green Button file, three billing periods").hexdigest()
MONTHS = [(datetime(2024, m, 1, tzinfo=UTC), datetime(2024, m + 1, 1, tzinfo=UTC)) for m in (1, 2, 3)]
KWH = ["612.345", "587.901", "640.118"]
CAMX_KG_PER_KWH = Decimal("0.19504")  # public: the eGRID2023 factor of the utility's subregion
CANDIDATES = 10**6


@pytest.fixture
async def three_months(network):
    """One customer's bill of three monthly periods, recorded: (network, outcomes, details)."""
    await governed_with_factors(network)
    outcomes, details = [], []
    async with network.client() as client:
        for (start, end), kwh in zip(MONTHS, KWH):
            outcome = await client.record_emissions(record_request(period_start=start, period_end=end),
                                                    customer(kwh, bill_hash=BILL_HASH))
            outcomes.append(outcome)
            details.append(await client.get_record_detail(outcome.record_id))
    return network, outcomes, details


def private_key_hashes(peer, tx_id: str) -> set[bytes]:
    """SHA-256 of every private key the transaction read or wrote, as its block carries them."""
    found = peer.ledger.transaction(tx_id)
    envelope = common_pb2.Envelope.FromString(peer.ledger.block(found.block_number).data.data[found.tx_number])
    tx = transaction_pb2.Transaction.FromString(common_pb2.Payload.FromString(envelope.payload).data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload).action
    response = proposal_response_pb2.ProposalResponsePayload.FromString(action.proposal_response_payload)
    results = proposal_pb2.ChaincodeAction.FromString(response.extension).results
    hashes = set()
    for namespace in rwset_pb2.TxReadWriteSet.FromString(results).ns_rwset:
        for collection in namespace.collection_hashed_rwset:
            hashed = kv_rwset_pb2.HashedRWSet.FromString(collection.hashed_rwset)
            hashes |= {r.key_hash for r in hashed.hashed_reads} | {w.key_hash for w in hashed.hashed_writes}
    return hashes


def scaled(text: str, places: int) -> int | None:
    """A published decimal as an integer count of 10^-places units; None if it has other places."""
    whole, _, fraction = text.partition(".")
    return int(whole + fraction) if len(fraction) == places else None


def micro_tonnes(milli_kwh: int, kg_per_kwh: Decimal) -> int:
    """tCO2e in millionths for a usage in thousandths of a kWh, rounded half-even as the ledger does."""
    numerator, denominator = kg_per_kwh.as_integer_ratio()
    quotient, remainder = divmod(milli_kwh * numerator, denominator)  # (m / 1000) kWh * f / 1000 * 10^6
    twice = 2 * remainder
    return quotient + (1 if twice > denominator or (twice == denominator and quotient % 2) else 0)


async def test_a_scan_for_figures_identifiers_and_guessable_hashes_finds_nothing(three_months):
    network, outcomes, details = three_months
    unsalted = [{k: v for k, v in d.items() if k != "salt"} for d in details]
    secrets = {
        CUSTOMER_DID, ACCOUNT, SERVICE_POINT, BILL_HASH, "sha256:" + "c" * 64, *KWH,
        *(d["emissions"][basis]["emissions"][mass] for d in details for basis in ("location", "market")
          for mass in ("co2e_t", "co2e_kg")),
        # hashes of values anyone could guess: the identifiers, the bill, the detail without its salt
        *(hashlib.sha256(v.encode()).hexdigest() for v in (CUSTOMER_DID, ACCOUNT, SERVICE_POINT)),
        *(detail_hash(u) for u in unsalted),
    }
    raw_hashes = {bytes.fromhex(s) for s in secrets if re.fullmatch(r"[0-9a-f]{64}", s)}
    public = public_bytes(network.peer)
    events = b"".join(state.output(o.record).encode() for o in outcomes)  # the event payload is the public record
    leaks = sorted(s for s in secrets if s.encode() in public or s.encode() in events)
    leaks += sorted(h.hex() for h in raw_hashes if h in public)
    assert leaks == []
    with sqlite3.connect(network.peer.config.data_dir / "ledger.sqlite") as db:
        private = b"".join(row[0] for row in db.execute("SELECT value FROM pvt"))
    assert KWH[0].encode() in private and BILL_HASH.encode() in private  # the scan would have seen them


async def test_a_dictionary_of_a_million_kwh_values_finds_nothing_in_the_public_records(three_months):
    """The attacker knows the customer's DID, account and service point, the bill (its utility
    served it), the record ids and the public factors. It tries 10^6 kWh values per record: their
    CO2e against every figure of the public record, and (for the 1,001 values nearest the truth,
    the true one included) the detail document they would make against the record's hashes."""
    network, outcomes, details = three_months
    hits = []
    for outcome, detail, kwh in zip(outcomes, details, KWH):
        figures = re.findall(r'"(-?\d+\.\d+)"', state.output(outcome.record))
        as_kwh = {scaled(f, 3) for f in figures} - {None}
        as_tonnes = {scaled(f, 6) for f in figures} - {None}
        true = Decimal(kwh)
        first = int(true * 1000) - CANDIDATES // 2
        for milli_kwh in range(first, first + CANDIDATES):
            if milli_kwh in as_kwh or micro_tonnes(milli_kwh, CAMX_KG_PER_KWH) in as_tonnes:
                hits.append((outcome.record_id, milli_kwh))
                break
        step = Decimal("0.001")
        on_ledger = {outcome.record["detail_hash"]}
        guess = {k: v for k, v in detail.items() if k != "salt"}
        for index in range(-500, 501):
            candidate = str(true + step * index)
            document = {**guess, "emissions": {**guess["emissions"], "kwh": candidate}}
            for form in (document, {**document, "salt": ""}):
                if hashlib.sha256(canonical_json(form)).hexdigest() in on_ledger:
                    hits.append((outcome.record_id, candidate))
    assert hits == []


async def test_one_customers_records_share_no_public_handle(three_months):
    """Three periods of one bill: no bill reference in public, and no private key hash in common
    but the index secret's, which every RecordEmissions reads, whoever the customer."""
    network, outcomes, _ = three_months
    public = public_bytes(network.peer)
    assert BILL_HASH.encode() not in public and bytes.fromhex(BILL_HASH) not in public
    everyone = hashlib.sha256(state.key(state.INDEX_SECRET).encode()).digest()
    per_tx = [private_key_hashes(network.peer, o.record["tx_id"]) - {everyone} for o in outcomes]
    assert all(per_tx)  # each touched the index and its detail
    for i in range(len(per_tx)):
        for j in range(i + 1, len(per_tx)):
            assert per_tx[i] & per_tx[j] == set(), f"records {i} and {j} share a private key hash"


async def test_records_that_share_a_month_share_its_index_bucket(three_months):
    """What stays linkable, by design: a correction of a period reads the same month's bucket."""
    network, outcomes, _ = three_months
    async with network.client() as client:
        corrected = await client.record_emissions(
            record_request(period_start=MONTHS[1][0], period_end=MONTHS[1][1], supersedes=outcomes[1].record_id),
            customer("590.000", bill_hash="e" * 64))
    shared = private_key_hashes(network.peer, corrected.record["tx_id"]) & private_key_hashes(
        network.peer, outcomes[1].record["tx_id"])
    everyone = hashlib.sha256(state.key(state.INDEX_SECRET).encode()).digest()
    assert len(shared - {everyone}) == 1
    assert json.loads(state.output(corrected.record))["supersedes"] == outcomes[1].record_id


@pytest.mark.parametrize("change", [{"kwh": 612.345}, {"bill_hash": "QQQ612"}, {"bill_content_id": "QQQ 612"},
                                    {"hourly": [{"start": "QQQ612", "kwh": "1"}]}])
async def test_a_refused_private_value_is_not_repeated_in_the_error(network, change):
    """Chaincode errors reach the client and the peers' logs: a bad private value is named, not shown."""
    await governed_with_factors(network)
    transient = json.loads(customer("1.000").to_transient())
    transient.update(change)
    async with network.client() as client:
        with pytest.raises(LedgerError) as refused:
            await client._submit("EmissionsRecords", "RecordEmissions", record_request().to_json(),
                                 transient={"detail": json.dumps(transient).encode()})
    message = str(refused.value)
    assert "612.345" not in message and "QQQ" not in message  # (not hex: tx ids in the message cannot match)
    assert any(name in message for name in ("kwh", "decimal strings", "bill_hash", "bill_content_id", "hourly[0]"))
