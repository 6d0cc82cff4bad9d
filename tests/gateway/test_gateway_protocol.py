from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import grpc
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2, transaction_pb2
from gateway_envelopes import endorse_like_a_peer
from hypothesis import given, settings
from hypothesis import strategies as st

from network.gateway import EndorseError, Result, connect, protocol
from network.identity import Identity, is_low_s, verify_signature

NONCE = bytes(range(24))
WHEN = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)


def _build(client, **kwargs):
    defaults = dict(transient={"customer": b"did:example:alice", "kwh": "1234"}, nonce=NONCE, timestamp=WHEN)
    defaults.update(kwargs)
    return protocol.build_proposal(
        client.identity.serialize(), "utilityemissions", "emissions", "Records:RecordEmissions", ["u-1", b"\x00\x01"], **defaults
    )


def test_transaction_id_is_sha256_of_nonce_and_creator(client):
    creator = client.identity.serialize()
    assert protocol.transaction_id(NONCE, creator) == hashlib.sha256(NONCE + creator).hexdigest()
    assert len(protocol.new_nonce()) == 24 and protocol.new_nonce() != protocol.new_nonce()


def test_proposal_decodes_field_by_field(client):
    parts = _build(client, endorsing_organizations=("Auditor1MSP", "Auditor2MSP"))
    proposal = proposal_pb2.Proposal.FromString(parts.proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
    assert channel_header.type == common_pb2.ENDORSER_TRANSACTION == 3
    assert channel_header.channel_id == "utilityemissions"
    assert channel_header.epoch == 0
    assert channel_header.timestamp.ToDatetime(tzinfo=timezone.utc) == WHEN
    assert proposal_pb2.ChaincodeHeaderExtension.FromString(channel_header.extension).chaincode_id.name == "emissions"
    assert signature_header.nonce == NONCE
    assert Identity.from_serialized(signature_header.creator) == client.identity
    assert channel_header.tx_id == parts.transaction_id == hashlib.sha256(NONCE + signature_header.creator).hexdigest()
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    assert spec.chaincode_id.name == "emissions"
    assert list(spec.input.args) == [b"Records:RecordEmissions", b"u-1", b"\x00\x01"]
    assert not spec.input.is_init
    assert dict(payload.TransientMap) == {"customer": b"did:example:alice", "kwh": b"1234"}
    assert parts.endorsing_organizations == ("Auditor1MSP", "Auditor2MSP")
    proposed = parts.proposed_transaction(b"sig")
    assert list(proposed.endorsing_organizations) == ["Auditor1MSP", "Auditor2MSP"]
    assert proposed.transaction_id == parts.transaction_id and proposed.proposal.signature == b"sig"


def test_transient_data_is_excluded_from_the_transaction_and_the_proposal_hash(client):
    with_secret = _build(client)
    without = _build(client, transient=None)
    assert protocol.proposal_hash(with_secret.proposal_bytes) == protocol.proposal_hash(without.proposal_bytes)
    stripped = proposal_pb2.ChaincodeProposalPayload.FromString(protocol.transaction_proposal_payload(with_secret.proposal_bytes))
    assert not stripped.TransientMap and stripped.input


def test_contract_name_prefix():
    assert protocol.transaction_name("Records", "Get") == "Records:Get"
    assert protocol.transaction_name(None, "Get") == "Get"
    with pytest.raises(ValueError, match="must not be empty"):
        protocol.transaction_name(None, "")


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        (dict(channel_id=""), "channel name"),
        (dict(chaincode_name=""), "chaincode name"),
        (dict(args="oops"), "sequence of arguments"),
        (dict(args=[1]), "argument 0 must be str or bytes"),
    ],
)
def test_bad_proposal_input_is_named(client, kwargs, problem):
    values = dict(channel_id="ch", chaincode_name="cc", function="f", args=[])
    values.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=problem):
        protocol.build_proposal(client.identity.serialize(), **values)


def test_verify_signed_proposal_catches_tampering(client, peer):
    parts = _build(client)
    signed = protocol.signed_proposal(parts, client.signer.sign(parts.proposal_bytes))
    decoded = protocol.verify_signed_proposal(signed)
    assert decoded.creator == client.identity and decoded.chaincode_name == "emissions"
    forged = protocol.signed_proposal(parts, peer.signer.sign(parts.proposal_bytes))
    with pytest.raises(ValueError, match="signature does not verify"):
        protocol.verify_signed_proposal(forged)
    with pytest.raises(ValueError, match="malformed"):
        protocol.decode_proposal(b"\xff\xff\xff")


def test_events_and_commit_status_requests(client):
    creator = client.identity.serialize()
    request = gateway_pb2.ChaincodeEventsRequest.FromString(
        protocol.chaincode_events_request("ch", "emissions", creator, start_block=7, after_transaction_id="tx9")
    )
    assert (request.channel_id, request.chaincode_id, request.identity) == ("ch", "emissions", creator)
    assert request.start_position.WhichOneof("Type") == "specified" and request.start_position.specified.number == 7
    assert request.after_transaction_id == "tx9"
    assert protocol.start_position(None).WhichOneof("Type") == "next_commit"
    assert isinstance(protocol.start_position(0), ab_pb2.SeekPosition)
    with pytest.raises(ValueError, match=">= 0"):
        protocol.start_position(-1)
    status = gateway_pb2.CommitStatusRequest.FromString(protocol.commit_status_request("ch", "tx1", creator))
    assert (status.channel_id, status.transaction_id, status.identity) == ("ch", "tx1", creator)


async def test_client_signs_and_reads_the_endorsed_envelope(client, peer):
    channel = grpc.aio.insecure_channel("127.0.0.1:9")  # never dialled: everything below is offline
    try:
        contract = connect(channel, client.identity, client.signer).network("utilityemissions").contract("emissions", "Records")
        proposal = contract.new_proposal("RecordEmissions", "u-1", transient={"kwh": b"42"}, endorsing_organizations=["Auditor2MSP"])
        decoded = protocol.verify_signed_proposal(proposal.signed_proposal)
        assert decoded.args[0] == b"Records:RecordEmissions" and decoded.transient == {"kwh": b"42"}
        assert decoded.transaction_id == proposal.transaction_id
        assert is_low_s(proposal.signature)

        envelope = endorse_like_a_peer(proposal.proposal_bytes, peer, payload=b'{"id": "r1"}')
        protocol.check_endorsed_transaction(envelope, proposal.proposal_bytes)
        from network.gateway import Transaction

        transaction = Transaction.from_envelope(proposal._context, proposal.transaction_id, envelope)
        assert transaction.result == b'{"id": "r1"}' and isinstance(transaction.result, Result)
        assert transaction.result.json() == {"id": "r1"}
        assert transaction.channel_id == "utilityemissions"
        assert protocol.verify_envelope(transaction.envelope) == client.identity
        assert transaction.digest == hashlib.sha256(envelope.payload).digest()
        tx = transaction_pb2.Transaction.FromString(common_pb2.Payload.FromString(transaction.envelope.payload).data)
        action_payload = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
        assert b"42" not in action_payload.chaincode_proposal_payload

        other = contract.new_proposal("RecordEmissions", "u-2")
        with pytest.raises(EndorseError, match="transaction for"):
            Transaction.from_envelope(proposal._context, other.transaction_id, envelope)
        with pytest.raises(ValueError, match="proposal_hash|differs"):
            protocol.check_endorsed_transaction(envelope, other.proposal_bytes)
        with pytest.raises(EndorseError, match="unusable transaction"):
            Transaction.from_envelope(proposal._context, proposal.transaction_id, common_pb2.Envelope(payload=b"\xff"))
    finally:
        await channel.close()


@settings(max_examples=60, deadline=None)
@given(
    args=st.lists(st.binary(max_size=64), max_size=5),
    transient=st.dictionaries(st.text(min_size=1, max_size=8), st.binary(max_size=32), max_size=3),
)
def test_every_proposal_signature_is_low_s_and_verifies(client, args, transient):
    parts = protocol.build_proposal(client.identity.serialize(), "ch", "cc", "fn", args, transient=transient)
    signature = client.signer.sign(parts.proposal_bytes)
    assert is_low_s(signature)
    assert verify_signature(client.identity.credentials, parts.proposal_bytes, signature)
    decoded = protocol.decode_proposal(parts.proposal_bytes)
    assert decoded.args == (b"fn", *args) and decoded.transient == transient
