"""The conformance scenarios on real Fabric 2.5: the same tests the dev peer passes
(tests/conformance), for both chaincode editions (Node fabric-contract-api and the project's Python
runtime, each as a CCaaS server) and both clients (the official Node @hyperledger/fabric-gateway and
the project's Python client), then what only a network of two real peers can show: a chaincode
upgrade, non-deterministic chaincode refused, and private data disseminated before commit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from contextlib import asynccontextmanager

import grpc
import pytest

from network.fabric import NetworkLayout
from network.fabric.layout import ORGS
from network.fabric.processes import read_pid
from network.gateway import EndorseError, GatewayError
from tests.conformance.harness import CLIENTS, ScenarioRun, params, run_client
from tests.conformance.python_client import connected
from tests.conformance.test_block_events import (  # noqa: F401 - collected here against the real network
    test_block_events_serve_the_committed_block,
    test_filtered_block_events_carry_the_transaction_and_its_event_name,
    test_qscc_answers_chain_info_blocks_and_transactions,
)
from tests.conformance.test_gateway_conformance import (  # noqa: F401 - collected here against the real network
    test_chaincode_error_on_endorse_is_aborted_with_details,
    test_chaincode_error_on_evaluate_is_unknown_with_details,
    test_chaincode_events_live_and_replayed,
    test_concurrent_increments_conflict_with_mvcc_read_conflict,
    test_evaluate_sees_the_client_identity,
    test_history_is_newest_first_with_deletes,
    test_range_query_pages_through_all_keys_in_order,
    test_submit_async_then_commit_status,
    test_submit_commits_and_returns_the_result,
    test_transient_data_lands_in_private_data_with_its_hash,
)
from tests.fabric.conformance import COLLECTION, KINDS, DeployedConformance, deploy_conformance

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=params(KINDS, "chaincode"))
def peer_under_test(request, fabric_network, tmp_path_factory):
    deployed = deploy_conformance(fabric_network, request.param, tmp_path_factory.mktemp(f"conformance-{request.param}"))
    fabric_network.shared.setdefault("conformance_definitions", []).append(deployed.definition)
    yield deployed
    deployed.stop()


@pytest.fixture(scope="module", params=params(CLIENTS, "client"))
def results(request, peer_under_test) -> ScenarioRun:
    client = request.param
    return ScenarioRun(client, peer_under_test, run_client(client, peer_under_test.client_config(client)))


@pytest.fixture(scope="module")
def blocks(peer_under_test) -> dict:
    facts = run_client("node", peer_under_test.client_config("node") | {"keyPrefix": "blocks"}, ("blocks",))
    return ScenarioRun("node", peer_under_test, facts)["blocks"]


def test_real_peers_serve_block_and_private_data_events(blocks):
    # The dev peer answers 501 here (it keeps current private values, not each block's write sets).
    assert blocks["withPrivateData"] == {"unexpectedSuccess": True}


def test_each_edition_is_an_upgrade_of_the_last(peer_under_test, fabric_network):
    definition = peer_under_test.definition
    assert definition["version"] == f"{peer_under_test.chaincode_kind}-1.0"
    assert definition["approvals"] == {"Auditor1MSP": True, "Auditor2MSP": True, "VerifierMSP": False}
    sequences = [d["sequence"] for d in fabric_network.shared["conformance_definitions"]]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    assert definition["sequence"] == sequences[-1]


@asynccontextmanager
async def org(deployed: DeployedConformance, msp_id: str):
    """The conformance contract as a client of one org, through its own org's peer (the verifier's: Auditor1's)."""
    config = deployed.client_config("python", msp_id)
    async with connected(config) as network:
        yield network.contract(config["chaincode"])


async def test_non_deterministic_chaincode_is_refused_before_ordering(peer_under_test):
    async with org(peer_under_test, "Auditor1MSP") as contract:
        with pytest.raises(EndorseError) as refused:
            await contract.submit("Random", endorsing_organizations=["Auditor1MSP", "Auditor2MSP"])
        error = refused.value
        assert error.code == grpc.StatusCode.ABORTED
        assert error.message == "failed to collect enough transaction endorsements, see attached details for more info"
        assert error.details, "the gateway names the endorser whose response differs"
        assert all(d.msp_id in ("Auditor1MSP", "Auditor2MSP") and "ProposalResponsePayloads do not match" in d.message
                   for d in error.details), error.details
        with pytest.raises(GatewayError, match="key not found: random"):
            await contract.evaluate("Get", "random")


def _peer_pid(deployed: DeployedConformance, msp_id: str) -> int:
    layout = NetworkLayout.open(deployed.network.data)
    return read_pid(layout.run_dir, layout.peer_name(ORGS[msp_id]))["pid"]


async def _until_answers(contract, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await contract.evaluate("Whoami")
            return
        except GatewayError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def test_private_data_reaches_the_other_auditor_before_commit(peer_under_test):
    key = f"disseminated-{peer_under_test.chaincode_kind}"
    async with org(peer_under_test, "Auditor1MSP") as first, org(peer_under_test, "Auditor2MSP") as second:
        # Endorsed by Auditor1's peer alone: Auditor2's peer never ran the chaincode for it.
        await first.submit("PutPrivate", COLLECTION, key, transient={"value": b"for both auditors"},
                           endorsing_organizations=["Auditor1MSP"])
        assert (await second.evaluate("GetPrivate", COLLECTION, key)).text() == "for both auditors"

        # With Auditor2's peer unable to answer, requiredPeerCount 1 cannot be met: no endorsement.
        peer2 = _peer_pid(peer_under_test, "Auditor2MSP")
        os.kill(peer2, signal.SIGSTOP)
        try:
            with pytest.raises(EndorseError) as refused:
                await first.submit("PutPrivate", COLLECTION, f"{key}-frozen", transient={"value": b"nowhere"},
                                   endorsing_organizations=["Auditor1MSP"])
        finally:
            os.kill(peer2, signal.SIGCONT)
        assert any("failed to distribute private collection" in d.message for d in refused.value.details), \
            refused.value.details
        await _until_answers(second)
        with pytest.raises(GatewayError, match="private key not found"):
            await first.evaluate("GetPrivate", COLLECTION, f"{key}-frozen")
