"""Pure parts: policy DSL, header hash chain, block cutting, config errors."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from fabric_protos.common import common_pb2

from network.devpeer.blocks import build_block, header_hash
from network.devpeer.config import BlockCuttingConfig, ConfigError, config_from_mapping, parse_duration
from network.devpeer.ordering import BlockCutter
from network.devpeer.policy import PolicyError, Signer, evaluate, parse_policy, plan_orgs

ORGS = ["Auditor1MSP", "Auditor2MSP", "Auditor3MSP"]


def test_majority_of_three_needs_two_distinct_peers():
    policy = parse_policy("MAJORITY", ORGS)
    assert not evaluate(policy, [Signer("Auditor1MSP", "peer")])
    assert not evaluate(policy, [Signer("Auditor1MSP", "peer"), Signer("Auditor2MSP", "client")])
    assert evaluate(policy, [Signer("Auditor1MSP", "peer"), Signer("Auditor3MSP", "peer")])


def test_signature_policy_dsl_roles_and_nesting():
    policy = parse_policy("OutOf(2, 'Auditor1MSP.member', AND('Auditor2MSP.peer','Auditor3MSP.admin'), 'Auditor3MSP.peer')", ORGS)
    assert evaluate(policy, [Signer("Auditor1MSP", "client"), Signer("Auditor3MSP", "peer")])
    assert not evaluate(policy, [Signer("Auditor1MSP", "client"), Signer("Auditor2MSP", "peer")])
    # One signer cannot satisfy two principals.
    assert not evaluate(parse_policy("AND('Auditor1MSP.member','Auditor1MSP.member')", ORGS), [Signer("Auditor1MSP", "peer")])


@pytest.mark.parametrize("text", ["AND(", "OR('Auditor1MSP.boss')", "OutOf(3, 'A.peer', 'B.peer')", "XOR('A.peer')"])
def test_bad_policies_name_the_problem(text):
    with pytest.raises(PolicyError, match="policy|principal"):
        parse_policy(text, ORGS)


def test_plan_prefers_own_org_and_fails_when_unsatisfiable():
    assert plan_orgs(parse_policy("ANY", ORGS), ORGS, first="Auditor2MSP") == ["Auditor2MSP"]
    with pytest.raises(PolicyError):
        plan_orgs(parse_policy("AND('Auditor1MSP.admin')", ORGS), ORGS)


def test_header_hash_is_sha256_of_der_sequence():
    header = common_pb2.BlockHeader(number=300, previous_hash=b"\x01" * 32, data_hash=b"\x02" * 32)
    der = bytes.fromhex("3048" "0202012c" "0420" + "01" * 32 + "0420" + "02" * 32)
    assert header_hash(header) == hashlib.sha256(der).digest()


def test_block_data_hash_and_metadata_slots():
    block = build_block(1, b"prev", [b"a", b"bc"], b"\x00\x0b")
    assert block.header.data_hash == hashlib.sha256(b"abc").digest()
    assert block.metadata.metadata[common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER] == b"\x00\x0b"
    assert len(block.metadata.metadata) == 5


async def test_block_cutter_cuts_by_count_size_and_timeout():
    batches: list[list[bytes]] = []

    async def commit(batch):
        batches.append(batch)

    cutter = BlockCutter(BlockCuttingConfig(max_message_count=3, preferred_max_bytes=10, batch_timeout=0.05), commit)
    cutter.start()
    for message in (b"1", b"2", b"3"):
        cutter.order(message)  # count
    cutter.order(b"x" * 6)
    cutter.order(b"y" * 6)  # would exceed 10 bytes: the pending one is cut first
    cutter.order(b"z" * 20)  # oversized: alone
    await asyncio.sleep(0.15)  # timeout cuts the rest
    await cutter.stop()
    assert batches == [[b"1", b"2", b"3"], [b"x" * 6], [b"y" * 6], [b"z" * 20]]


def test_config_errors_are_readable(tmp_path):
    assert parse_duration("250ms") == 0.25
    with pytest.raises(ConfigError, match="duration"):
        parse_duration("soon")
    with pytest.raises(ConfigError, match="exactly one"):
        config_from_mapping(
            {"channel": "c", "orgs": [{"msp_id": "A", "msp_dir": "m", "peer_msp_dir": "p"}],
             "chaincodes": [{"name": "cc", "version": "1"}]},
            tmp_path,
        )


def test_membership_remembers_only_the_exact_verified_signature(crypto):
    from network.devpeer.membership import MemberError, Membership
    from network.msp import load_org_msp
    from testkit.devpeer import org_dir, user

    membership = Membership({"Auditor1MSP": load_org_msp(org_dir(crypto, "auditor1.example.com") / "msp", "Auditor1MSP")})
    member = user(crypto, "Auditor1MSP")
    identity = member.identity.serialize()
    message = b"envelope payload"
    signature = member.signer.sign(message)
    assert membership.verified(identity, message, signature, remember=True).msp_id == "Auditor1MSP"
    assert membership.verified(identity, message, signature).role == "client"  # the remembered check
    with pytest.raises(MemberError):
        membership.verified(identity, message + b"!", signature)  # other bytes are verified afresh
    forged = member.signer.sign(b"other")
    with pytest.raises(MemberError):
        membership.verified(identity, message, forged, remember=True)
    with pytest.raises(MemberError):
        membership.verified(identity, message, forged)  # a failure is never remembered as success
