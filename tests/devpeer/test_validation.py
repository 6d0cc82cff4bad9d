"""Endorsement and commit-time validation behave like a Fabric peer and gateway."""

from __future__ import annotations

import asyncio
import hashlib

import grpc
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.peer import transaction_pb2

from network.gateway import EndorseError, ErrorDetail, EvaluateError
from testkit.devpeer import CHANNEL, start_peer, user

V = transaction_pb2.TxValidationCode


async def test_evaluate_chaincode_error_is_unknown_with_details(client):
    with pytest.raises(EvaluateError) as info:
        await client.contract().evaluate("Fail", "boom")
    assert info.value.code == grpc.StatusCode.UNKNOWN
    assert "chaincode response 500" in str(info.value)
    assert info.value.details and "boom" in info.value.details[0].message


async def test_endorse_chaincode_error_is_aborted_with_details_per_org(client):
    with pytest.raises(EndorseError) as info:
        await client.contract().submit("Fail", "bad input")
    assert info.value.code == grpc.StatusCode.ABORTED
    assert sorted(d.msp_id for d in info.value.details) == ["Auditor1MSP", "Auditor2MSP"]
    assert all("bad input" in d.message for d in info.value.details)


async def test_non_deterministic_chaincode_fails_endorsement(client, peer):
    # As Fabric 2.5's gateway: the first endorser's (the gateway org's) payload is the reference;
    # each endorser that disagrees is named in one ErrorDetail, and too few endorsements remain.
    height = peer.ledger.height
    with pytest.raises(EndorseError) as info:
        await client.contract().submit("Random")
    error = info.value
    assert error.code == grpc.StatusCode.ABORTED
    assert error.message == "failed to collect enough transaction endorsements, see attached details for more info"
    assert error.details == (ErrorDetail(peer.address, "Auditor2MSP", "ProposalResponsePayloads do not match"),)
    assert error.transaction_id
    assert peer.ledger.height == height  # nothing was submitted


async def test_non_deterministic_chaincode_with_named_orgs_names_the_disagreeing_endorser(client, peer):
    contract = client.contract()
    with pytest.raises(EndorseError) as info:
        await contract.new_proposal("Random", endorsing_organizations=["Auditor2MSP", "Auditor1MSP"]).endorse()
    assert info.value.code == grpc.StatusCode.ABORTED
    assert info.value.details == (ErrorDetail(peer.address, "Auditor1MSP", "ProposalResponsePayloads do not match"),)


async def test_peer_identity_may_not_propose(client, crypto):
    from testkit.devpeer import peer_member

    contract = client.gateway(member=peer_member(crypto, "Auditor1MSP")).network(CHANNEL).contract("probe")
    with pytest.raises(EndorseError) as info:
        await contract.submit("Put", "x", "y")
    assert info.value.code == grpc.StatusCode.PERMISSION_DENIED


async def test_mvcc_conflict_inside_one_block(crypto, tmp_path):
    peer = await start_peer(crypto, tmp_path / "data", max_message_count=2, batch_timeout="5s")
    from testkit.devpeer import Client

    client = Client(peer, crypto, [])
    try:
        contract = client.contract()
        await contract.submit("Put", "counter", "0")
        first = await contract.submit_async("Increment", "counter")
        second = await contract.submit_async("Increment", "counter")
        statuses = [await first.status(), await second.status()]
        assert statuses[0].block_number == statuses[1].block_number
        assert [s.code for s in statuses] == [V.VALID, V.MVCC_READ_CONFLICT]
        assert (await contract.evaluate("Get", "counter")).text() == "1"
    finally:
        for channel in client.channels:
            await channel.close()
        await peer.stop()


async def test_phantom_read_is_detected(client):
    contract = client.contract()
    await contract.submit("Put", "r1", "a")
    stale = await contract.new_proposal("CountRange", "r", "s").endorse()
    await contract.submit("Put", "r2", "b")  # a new key inside the range, committed first
    status = await (await stale.submit()).status()
    assert status.code == V.PHANTOM_READ_CONFLICT
    assert (await contract.evaluate("Get", "range-count")).text() == ""


async def test_duplicate_transaction_id_is_invalid_and_status_reports_first(client, peer):
    contract = client.contract()
    transaction = await contract.new_proposal("Put", "dup", "1").endorse()
    first = await transaction.submit()
    assert (await first.status()).code == V.VALID
    again = await transaction.submit()
    assert (await again.status()).code == V.VALID  # CommitStatus names the first occurrence
    await contract.submit("Put", "after", "x")  # make sure the duplicate's block is cut
    codes = [peer.ledger.block(n).metadata.metadata[2] for n in range(peer.ledger.height)]
    assert any(V.DUPLICATE_TXID in c for c in codes)


async def test_bad_creator_signature_rejected_at_submit_and_at_commit(client, peer):
    contract = client.contract()
    transaction = await contract.new_proposal("Put", "sig", "1").endorse()
    envelope = common_pb2.Envelope()
    envelope.CopyFrom(transaction.envelope)
    envelope.signature = user(client.crypto, "Auditor1MSP").signer.sign(b"something else")
    with pytest.raises(grpc.aio.AioRpcError) as info:
        from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc

        stub = gateway_pb2_grpc.GatewayStub(client.channels[0])
        await stub.Submit(gateway_pb2.SubmitRequest(transaction_id=transaction.transaction_id, channel_id=CHANNEL, prepared_transaction=envelope))
    assert info.value.code() == grpc.StatusCode.ABORTED
    # An orderer that let it through: the committing peer still marks it invalid in its block.
    height = peer.ledger.height
    peer.cutter.order(envelope.SerializeToString())
    await asyncio.wait_for(peer.wait_for_block(height), 5)
    assert peer.ledger.block(height).metadata.metadata[2] == bytes([V.BAD_CREATOR_SIGNATURE])


async def test_bad_signature_does_not_claim_the_transaction_id(client, peer):
    contract = client.contract()
    transaction = await contract.new_proposal("Put", "squat", "genuine").endorse()
    forged = common_pb2.Envelope()
    forged.CopyFrom(transaction.envelope)
    forged.signature = user(client.crypto, "Auditor2MSP").signer.sign(forged.payload)  # not the creator's key
    height = peer.ledger.height
    peer.cutter.order(forged.SerializeToString())  # replayed header, wrong signature: straight to ordering
    await asyncio.wait_for(peer.wait_for_block(height), 5)
    assert peer.ledger.block(height).metadata.metadata[2] == bytes([V.BAD_CREATOR_SIGNATURE])
    assert peer.ledger.transaction(transaction.transaction_id) is None

    status = await (await transaction.submit()).status()
    assert status.code == V.VALID  # not DUPLICATE_TXID
    assert status.block_number > height
    assert (await contract.evaluate("Get", "squat")).text() == "genuine"


async def test_missing_endorsement_fails_policy(client, peer):
    contract = client.contract()
    transaction = await contract.new_proposal("Put", "pol", "1").endorse()
    envelope = transaction.envelope
    payload = common_pb2.Payload.FromString(envelope.payload)
    tx = transaction_pb2.Transaction.FromString(payload.data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    del action.action.endorsements[1]
    tx.actions[0].payload = action.SerializeToString()
    payload.data = tx.SerializeToString()
    signer = user(client.crypto, "Auditor1MSP").signer
    raw = payload.SerializeToString()
    peer.cutter.order(common_pb2.Envelope(payload=raw, signature=signer.sign(raw)).SerializeToString())
    record = await asyncio.wait_for(peer.commits.wait(transaction.transaction_id), 5)
    assert record.code == V.ENDORSEMENT_POLICY_FAILURE


async def test_private_data_hash_on_chain_cleartext_off_chain(client, peer):
    contract = client.contract()
    await contract.submit("PutPrivate", "shared", "p1", transient={"value": b"secret-kwh"})
    assert (await contract.evaluate("GetPrivate", "shared", "p1")).text() == "secret-kwh"
    digest = (await contract.evaluate("GetPrivateHash", "shared", "p1")).text()
    assert digest == hashlib.sha256(b"secret-kwh").hexdigest()
    for number in range(peer.ledger.height):
        assert b"secret-kwh" not in peer.ledger.block(number).SerializeToString()


async def test_member_only_read_uses_the_client_org(client):
    writer = client.contract(msp_id="Auditor2MSP")
    await writer.submit("PutPrivate", "auditor2only", "p2", transient={"value": b"x"}, endorsing_organizations=["Auditor2MSP", "Auditor1MSP"])
    with pytest.raises(EvaluateError) as info:
        await client.contract(msp_id="Auditor1MSP").evaluate("GetPrivate", "auditor2only", "p2")
    assert "does not have read access" in str(info.value)


async def test_transient_without_named_orgs_checks_collection_membership(client):
    # The gateway's own org (Auditor1MSP) endorses first; MAJORITY then needs Auditor2MSP, which is
    # outside auditor1only's distribution policy: the gateway refuses to send it the transient data.
    with pytest.raises(EndorseError) as info:
        await client.contract().submit("PutPrivate", "auditor1only", "p3", transient={"value": b"x"})
    assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION
    # Into a collection both orgs share, the same call goes through without naming orgs.
    await client.contract().submit("PutPrivate", "shared", "p3", transient={"value": b"x"})


async def test_rich_queries_are_refused_with_a_reason(client):
    with pytest.raises(EvaluateError) as info:
        await client.contract().evaluate("RichQuery")
    assert "not supported" in str(info.value)


async def test_range_pages_and_history_newest_first(client):
    contract = client.contract()
    await asyncio.gather(*(contract.submit("Put", f"page{i:03d}", str(i)) for i in range(150)))
    keys = (await contract.evaluate("Keys", "page", "pagf")).text().split(",")
    assert keys == [f"page{i:03d}" for i in range(150)]
    for value in ("a", "b"):
        await contract.submit("Put", "h", value)
    await contract.submit("Delete", "h")
    assert (await contract.evaluate("History", "h")).text() == "<deleted>,b,a"


async def test_chaincode_to_chaincode_writes_the_callee_namespace(client):
    await client.contract().submit("Nested", "n1", "v")
    assert (await client.contract("other").evaluate("Get", "n1")).text() == "v"
    assert (await client.contract().evaluate("Get", "n1")).text() == ""


async def test_events_only_from_valid_transactions(client, peer):
    network = client.gateway().network(CHANNEL)
    events = await network.chaincode_events("probe", start_block=peer.ledger.height)
    contract = network.contract("probe")
    await contract.submit("Put", "ev", "0")
    ok = await contract.submit_async("Emit", "first", "1")
    await ok.status()
    received = []
    async def collect():
        async for event in events:
            received.append(event)
            return
    await asyncio.wait_for(collect(), 5)
    assert received[0].event_name == "first" and received[0].payload == b"1"


async def test_restart_keeps_chain_and_state(crypto, tmp_path):
    from testkit.devpeer import Client

    peer = await start_peer(crypto, tmp_path / "data")
    client = Client(peer, crypto, [])
    await client.contract().submit("Put", "persist", "yes")
    height = peer.ledger.height
    for channel in client.channels:
        await channel.close()
    await peer.stop()
    peer = await start_peer(crypto, tmp_path / "data")
    client = Client(peer, crypto, [])
    try:
        assert peer.ledger.height == height
        assert peer.ledger.verify_chain() == height
        assert (await client.contract().evaluate("Get", "persist")).text() == "yes"
        await client.contract().submit("Put", "persist", "again")
        assert peer.ledger.verify_chain() == height + 1
    finally:
        for channel in client.channels:
            await channel.close()
        await peer.stop()
