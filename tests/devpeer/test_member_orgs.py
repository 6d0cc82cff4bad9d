"""Member-only orgs: channel members without a peer (no peer_msp_dir in the config).

They count in MAJORITY like any application org (Fabric's implicit-meta policy counts each org's
Endorsement sub-policy), they never endorse, and their clients read and write like any member's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import transaction_pb2

from network.devpeer import DevPeer
from network.devpeer.config import ConfigError, config_from_mapping
from network.gateway import EndorseError, EvaluateError, connect, create_channel
from network.msp import generate_crypto_material, load_msp, parse_crypto_config
from testkit.devpeer import CHANNEL, PROBE

ORGS = {"Auditor1MSP": "auditor1.example.com", "Auditor2MSP": "auditor2.example.com",
        "VerifierMSP": "verifier.example.com"}


@pytest.fixture(scope="module")
def crypto3(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crypto3")
    generate_crypto_material(root, parse_crypto_config({
        "peer_orgs": [{"msp_id": m, "domain": d, "peers": 1, "users": ["User1"]} for m, d in ORGS.items()],
    }))
    return root


def mapping(crypto: Path, data_dir: Path, *, peers=("Auditor1MSP", "Auditor2MSP"), policy="MAJORITY") -> dict:
    def org(msp: str) -> dict:
        domain = crypto / "peerOrganizations" / ORGS[msp]
        entry = {"msp_id": msp, "msp_dir": str(domain / "msp")}
        if msp in peers:
            entry["peer_msp_dir"] = str(domain / "peers" / f"peer0.{ORGS[msp]}" / "msp")
        return entry

    return {
        "channel": CHANNEL,
        "data_dir": str(data_dir),
        "listen": {"address": "127.0.0.1:0"},
        "orgs": [org(msp) for msp in ORGS],
        "chaincodes": [{"name": "probe", "version": "1.0", "endorsement_policy": policy, "python": PROBE}],
        "block_cutting": {"max_message_count": 10, "batch_timeout": "20ms"},
    }


@pytest.fixture
async def peer3(crypto3, tmp_path):
    peer = DevPeer(config_from_mapping(mapping(crypto3, tmp_path / "data"), tmp_path))
    await peer.start()
    yield peer
    await peer.stop()


@pytest.fixture
async def verifier(peer3, crypto3):
    domain = ORGS["VerifierMSP"]
    member = load_msp(crypto3 / "peerOrganizations" / domain / "users" / f"User1@{domain}" / "msp", "VerifierMSP")
    channel = create_channel(peer3.address)
    yield connect(channel, member.identity, member.signer).network(CHANNEL)
    await channel.close()


def test_peer_msp_dir_is_optional_and_documented_as_no_peer(crypto3, tmp_path):
    config = config_from_mapping(mapping(crypto3, tmp_path), tmp_path)
    assert [org.endorses for org in config.orgs] == [True, True, False]
    assert config.orgs[2].peer_msp_dir is None
    assert config.own_org.msp_id == "Auditor1MSP"


def test_own_org_is_the_first_org_with_a_peer(crypto3, tmp_path):
    data = mapping(crypto3, tmp_path)
    data["orgs"].insert(0, data["orgs"].pop())  # verifier listed first
    assert config_from_mapping(data, tmp_path).own_org.msp_id == "Auditor1MSP"


def test_a_channel_needs_at_least_one_org_with_a_peer(crypto3, tmp_path):
    with pytest.raises(ConfigError, match="at least one org needs a peer_msp_dir"):
        config_from_mapping(mapping(crypto3, tmp_path, peers=()), tmp_path)


@pytest.mark.parametrize(("peers", "policy"), [
    (("Auditor1MSP",), "MAJORITY"),  # MAJORITY of 3 orgs is 2; one peer org cannot reach it
    (("Auditor1MSP", "Auditor2MSP"), "AND('Auditor1MSP.peer','VerifierMSP.peer')"),
])
async def test_a_policy_the_peer_orgs_cannot_satisfy_is_refused_at_start(crypto3, tmp_path, peers, policy):
    peer = DevPeer(config_from_mapping(mapping(crypto3, tmp_path / "d", peers=peers, policy=policy), tmp_path))
    with pytest.raises(ConfigError, match="cannot be satisfied by the orgs with peers"):
        await peer.start()


async def test_majority_of_three_orgs_is_met_by_the_two_peer_orgs(peer3, verifier):
    contract = verifier.contract("probe")
    submitted = await contract.submit_async("Put", "k", "from-verifier")
    status = await submitted.committed()  # the verifier client reads its commit status
    assert status.code == transaction_pb2.VALID
    assert (await contract.evaluate("Get", "k")).text() == "from-verifier"
    record = peer3.ledger.transaction(submitted.transaction_id)
    assert _endorsers(peer3.ledger.block(record.block_number), record.tx_number) == ["Auditor1MSP", "Auditor2MSP"]
    events = await verifier.chaincode_events("probe", start_block=0)
    await contract.submit("Emit", "seen", "payload")
    event = await asyncio.wait_for(anext(events), 5)
    assert (event.event_name, event.payload) == ("seen", b"payload")


async def test_one_peer_org_alone_does_not_satisfy_majority_of_three(peer3, verifier):
    # Named endorsers short of the policy: endorsed, ordered, then invalidated at commit.
    submitted = await verifier.contract("probe").submit_async("Put", "k", "v", endorsing_organizations=["Auditor1MSP"])
    status = await submitted.status()
    assert status.code == transaction_pb2.ENDORSEMENT_POLICY_FAILURE


async def test_an_org_without_a_peer_cannot_be_asked_to_endorse_or_evaluate(peer3, verifier):
    contract = verifier.contract("probe")
    with pytest.raises(EndorseError) as info:
        await contract.submit("Put", "k", "v", endorsing_organizations=["VerifierMSP"])
    assert info.value.code == grpc.StatusCode.UNAVAILABLE
    assert "no peers available in organization(s) ['VerifierMSP']" in str(info.value)
    with pytest.raises(EvaluateError, match="no peers available to evaluate chaincode in organization VerifierMSP"):
        await contract.evaluate("Get", "k", endorsing_organizations=["VerifierMSP"])


def _endorsers(block, tx_number: int) -> list[str]:
    envelope = common_pb2.Envelope.FromString(block.data.data[tx_number])
    tx = transaction_pb2.Transaction.FromString(common_pb2.Payload.FromString(envelope.payload).data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    return sorted(identities_pb2.SerializedIdentity.FromString(e.endorser).mspid for e in action.action.endorsements)
