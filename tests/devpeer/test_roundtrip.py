"""Smoke: submit, evaluate, commit status, block contents."""

from __future__ import annotations

from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import transaction_pb2


async def test_submit_then_evaluate(client, peer):
    contract = client.contract()
    result = await contract.submit("Put", "k1", "v1")
    assert result.text() == "v1"
    assert (await contract.evaluate("Get", "k1")).text() == "v1"


async def test_block_carries_one_endorsement_per_org_signed_by_peers(client, peer):
    contract = client.contract()
    submitted = await contract.submit_async("Put", "k2", "v2")
    status = await submitted.status()
    assert status.successful
    block = peer.ledger.block(status.block_number)
    envelope = common_pb2.Envelope.FromString(block.data.data[0])
    payload = common_pb2.Payload.FromString(envelope.payload)
    tx = transaction_pb2.Transaction.FromString(payload.data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    endorsers = [identities_pb2.SerializedIdentity.FromString(e.endorser) for e in action.action.endorsements]
    assert sorted(e.mspid for e in endorsers) == ["Auditor1MSP", "Auditor2MSP"]
    assert all(b"peer0." in e.id_bytes or len(e.id_bytes) > 0 for e in endorsers)
    codes = block.metadata.metadata[common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER]
    assert codes[0] == transaction_pb2.VALID
