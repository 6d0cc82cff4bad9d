"""Against a real Fabric 2.5 network (native binaries, TLS, 3 etcdraft orderers, CCaaS chaincode):
the network's own commands, then the project's Gateway client and governance, unchanged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from controllers.ledger import LedgerError, caught_up, detail_hash, open_ledger
from emissions.stack.governance import prepare_ledger
from testkit.ledger import AUDITORS, small_edition
from tests.emissions_chaincode.setup import (
    ACCOUNT,
    CUSTOMER_DID,
    INDEX_SECRET,
    auditor_spec,
    customer,
    record_request,
)

pytestmark = pytest.mark.slow

PROCESSES = 4 + 3 + 2 + 2  # fabric-ca per org, orderers, peers, chaincode servers


def _heights_settle(network, timeout: float = 10.0) -> dict:
    """Status once both peers report the same height (a block may be in flight between them)."""
    deadline = time.monotonic() + timeout
    while True:
        state = network.status()
        heights = set(state["heights"].values())
        if len(heights) == 1 or time.monotonic() > deadline:
            return state
        time.sleep(0.3)


def test_status_shows_every_process_and_both_peers_at_the_same_height(fabric_network):
    assert "network: up in" in fabric_network.up_output
    state = _heights_settle(fabric_network)
    assert state["all_running"], state["processes"]
    assert len(state["processes"]) == PROCESSES
    names = {p["name"] for p in state["processes"]}
    assert {"peer0.auditor1.example.com", "peer0.auditor2.example.com", "orderer2.operator.example.com",
            "ca.verifier.example.com", "chaincode.auditor2.example.com"} <= names
    heights = list(state["heights"].values())
    assert len(heights) == 2 and all(isinstance(h, int) and h >= 3 for h in heights)  # genesis, 2 approvals, commit
    assert heights[0] == heights[1]
    chaincode = state["chaincode"]
    assert (chaincode["version"], chaincode["sequence"]) == ("1.0", 1)
    assert chaincode["approvals"] == {"Auditor1MSP": True, "Auditor2MSP": True, "VerifierMSP": False}


async def test_records_with_private_detail_through_the_gateway_client(fabric_network):
    admins = {msp: fabric_network.profile(f"{msp}-Admin") for msp in AUDITORS}
    edition, utilities = small_edition()
    done = await prepare_ledger(admins, index_secret=INDEX_SECRET, edition=edition, utilities=utilities,
                                auditors=[auditor_spec(msp) for msp in AUDITORS])
    assert done["registered"] == list(AUDITORS)

    salt = "5a" * 16
    async with open_ledger(fabric_network.profile("Auditor1MSP")) as auditor1, \
            open_ledger(fabric_network.profile("Auditor2MSP")) as auditor2:
        outcome = await auditor1.client.record_emissions(record_request(), customer(salt=salt))
        assert not outcome.replayed and outcome.record["auditor_msp"] == "Auditor1MSP"
        fabric_network.shared["record"] = outcome.record
        # The other auditor org's peer holds the private detail (its gateway evaluates on its own
        # peer) once it has committed the block too.
        await caught_up([auditor1, auditor2])
        detail = await auditor2.client.get_record_detail(outcome.record_id)
        status = await auditor2.transaction_status(outcome.record["tx_id"])
    assert (detail["customer_did"], detail["account_id"], detail["salt"]) == (CUSTOMER_DID, ACCOUNT, salt)
    assert detail["emissions"]["kwh"] == "1234.567"
    assert outcome.record["detail_hash"] == detail_hash(detail)
    assert status.valid

    async with open_ledger(fabric_network.profile("VerifierMSP")) as verifier:
        verdict = await verifier.verify_record(outcome.record_id, detail_hash(detail))
        assert verdict["matches"] is True and verdict["status"] == "active"
        assert (await verifier.verify_record(outcome.record_id, detail_hash({**detail, "salt": "5b" * 16})))[
            "matches"] is False
        with pytest.raises(LedgerError, match="does not have read access permission on privatedata"):
            await verifier.client.get_record_detail(outcome.record_id)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return True
    return state in {"Z", "X"}


async def test_down_stops_everything_and_up_resumes_on_the_same_data(fabric_network):
    before = {p["name"]: p["pid"] for p in fabric_network.status()["processes"]}
    down = fabric_network.cli("down", timeout=60)
    assert down.returncode == 0, down.stderr
    assert all(_gone(pid) for pid in before.values())
    assert not list((fabric_network.data / "run").glob("*.pid"))
    stopped = fabric_network.status()
    assert not any(p["running"] for p in stopped["processes"])

    again = fabric_network.up()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "resuming" in again.stdout and "already committed" in again.stdout
    assert "identities: 0 enrollments made" in again.stdout
    state = _heights_settle(fabric_network)
    assert state["all_running"]
    record = fabric_network.shared.get("record")
    if record is None:
        pytest.skip("no record from the previous test to read back")
    async with open_ledger(fabric_network.profile("VerifierMSP")) as verifier:
        assert (await verifier.get_record(record["record_id"]))["tx_id"] == record["tx_id"]
