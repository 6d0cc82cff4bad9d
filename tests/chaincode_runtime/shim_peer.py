"""A scripted peer for the chaincode side of the shim protocol, built from real ChaincodeMessages.

Tests play the peer: they read what the chaincode sends and answer as Fabric 2.5's
core/chaincode/handler.go would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_pb2, proposal_response_pb2

from chaincode.runtime import run_chaincode_stream

Message = chaincode_shim_pb2.ChaincodeMessage
CHANNEL = "utilityemissions"
# What a Fabric 2.5 peer understands from a chaincode; anything else would break the stream.
PEER_KNOWN_TYPES = {
    Message.REGISTER, Message.COMPLETED, Message.ERROR, Message.KEEPALIVE, Message.GET_STATE,
    Message.PUT_STATE, Message.DEL_STATE, Message.INVOKE_CHAINCODE, Message.GET_STATE_BY_RANGE,
    Message.GET_QUERY_RESULT, Message.QUERY_STATE_NEXT, Message.QUERY_STATE_CLOSE,
    Message.GET_HISTORY_FOR_KEY, Message.GET_STATE_METADATA, Message.PUT_STATE_METADATA,
    Message.GET_PRIVATE_DATA_HASH, Message.PURGE_PRIVATE_DATA,
}


class ShimPeer:
    def __init__(self, chaincode, chaincode_id: str = "conformance_1.0:0123abcd"):
        self._inbox: asyncio.Queue[Message | None] = asyncio.Queue()
        self.stream = run_chaincode_stream(chaincode, self._incoming(), chaincode_id)

    async def _incoming(self) -> AsyncIterator[Message]:
        while (message := await self._inbox.get()) is not None:
            yield message

    def send(self, message: Message) -> None:
        self._inbox.put_nowait(message)

    async def receive(self) -> Message:
        # A bound on waiting so a protocol bug fails the test instead of hanging it.
        message = await asyncio.wait_for(anext(self.stream), 5)
        assert message.type in PEER_KNOWN_TYPES, f"chaincode sent {Message.Type.Name(message.type)}"
        return message

    async def expect(self, message_type: int, txid: str | None = None) -> Message:
        message = await self.receive()
        assert Message.Type.Name(message.type) == Message.Type.Name(message_type), message
        if txid is not None:
            assert message.txid == txid
            assert message.channel_id == CHANNEL
        return message

    async def handshake(self, ready_payload: bytes = b"") -> Message:
        register = await self.expect(Message.REGISTER)
        self.send(Message(type=Message.REGISTERED))
        self.send(Message(type=Message.READY, payload=ready_payload))
        return register

    def start(self, txid: str, *args: str | bytes, proposal: proposal_pb2.SignedProposal | None = None,
              init: bool = False) -> None:
        message = Message(
            type=Message.INIT if init else Message.TRANSACTION,
            payload=chaincode_pb2.ChaincodeInput(args=[_bytes(a) for a in args]).SerializeToString(),
            txid=txid,
            channel_id=CHANNEL,
        )
        if proposal is not None:
            message.proposal.CopyFrom(proposal)
        self.send(message)

    def respond(self, request: Message, payload: bytes = b"") -> None:
        self.send(Message(type=Message.RESPONSE, payload=payload, txid=request.txid, channel_id=request.channel_id))

    def fail(self, request: Message, reason: str) -> None:
        self.send(Message(type=Message.ERROR, payload=reason.encode(), txid=request.txid, channel_id=request.channel_id))

    async def completed(self, txid: str) -> proposal_response_pb2.Response:
        message = await self.expect(Message.COMPLETED, txid)
        self.last_completed = message
        return proposal_response_pb2.Response.FromString(message.payload)

    async def close(self) -> None:
        self.send(None)
        async for _ in self.stream:
            pass


async def ready_peer(chaincode) -> ShimPeer:
    peer = ShimPeer(chaincode)
    await peer.handshake()
    return peer


def query_response(results: Sequence[bytes], *, has_more: bool = False, query_id: str = "q1",
                   metadata: bytes = b"") -> bytes:
    return chaincode_shim_pb2.QueryResponse(
        results=[chaincode_shim_pb2.QueryResultBytes(resultBytes=r) for r in results],
        has_more=has_more, id=query_id, metadata=metadata,
    ).SerializeToString()


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


# --- identities and signed proposals -------------------------------------------------------------

def make_certificate(common_name: str = "user1", units: Sequence[str] = ("client",),
                     attributes: Mapping[str, str] | None = None) -> tuple[bytes, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "auditor1.example.com")]
        + [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit) for unit in units]
        + [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca.auditor1.example.com")])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
    )
    if attributes is not None:
        value = json.dumps({"attrs": dict(attributes)}).encode()
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1"), value), critical=False
        )
    certificate = builder.sign(key, hashes.SHA256())
    return certificate.public_bytes(serialization.Encoding.PEM), key


def make_signed_proposal(
    txid: str, args: Sequence[str], *, msp_id: str = "Auditor1MSP", certificate_pem: bytes | None = None,
    key: ec.EllipticCurvePrivateKey | None = None, transient: Mapping[str, bytes] | None = None,
    seconds: int = 1_714_564_800, nanos: int = 123_456_789, nonce: bytes = b"n" * 24, epoch: int = 0,
) -> proposal_pb2.SignedProposal:
    if certificate_pem is None:
        certificate_pem, key = make_certificate()
    creator = identities_pb2.SerializedIdentity(mspid=msp_id, id_bytes=certificate_pem).SerializeToString()
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION, tx_id=txid, channel_id=CHANNEL, epoch=epoch,
        extension=proposal_pb2.ChaincodeHeaderExtension(
            chaincode_id=chaincode_pb2.ChaincodeID(name="conformance")).SerializeToString(),
    )
    channel_header.timestamp.seconds = seconds
    channel_header.timestamp.nanos = nanos
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
    )
    invocation = chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=chaincode_pb2.ChaincodeSpec(
        chaincode_id=chaincode_pb2.ChaincodeID(name="conformance"),
        input=chaincode_pb2.ChaincodeInput(args=[a.encode() for a in args]),
    ))
    payload = proposal_pb2.ChaincodeProposalPayload(input=invocation.SerializeToString(), TransientMap=transient or {})
    proposal_bytes = proposal_pb2.Proposal(
        header=header.SerializeToString(), payload=payload.SerializeToString()
    ).SerializeToString()
    signature = key.sign(proposal_bytes, ec.ECDSA(hashes.SHA256())) if key else b""
    return proposal_pb2.SignedProposal(proposal_bytes=proposal_bytes, signature=signature)


def expected_binding(nonce: bytes, creator: bytes, epoch: int) -> bytes:
    return hashlib.sha256(nonce + creator + epoch.to_bytes(8, "little")).digest()
