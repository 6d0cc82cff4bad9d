"""The Node CCaaS chaincode, checked with a minimal peer written here: the chaincode-side facts the dev
peer relies on (REGISTER first, one request at a time, COMPLETED carrying the Response) hold for the
official fabric-shim independently of the dev peer."""

from __future__ import annotations

import asyncio
import datetime

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_pb2, proposal_response_pb2
from fabric_protos.peer.chaincode_shim_pb2_grpc import ChaincodeStub

from testkit.policy import require
from tests.conformance.node_tools import node_problem, start_node_chaincode

Msg = chaincode_shim_pb2.ChaincodeMessage
CHANNEL = "utilityemissions"

pytestmark = pytest.mark.needs_node


@pytest.fixture(scope="module")
def node_chaincode(tmp_path_factory):
    problem = node_problem()
    require(problem is None, problem or "")
    chaincode = start_node_chaincode(tmp_path_factory.mktemp("node-cc"))
    yield chaincode
    chaincode.process.stop()


def _creator_proposal(msp_id: str) -> proposal_pb2.SignedProposal:
    """A proposal whose only meaningful part is the creator: contract APIs read the client identity
    from it on every transaction. The signature is never checked on the chaincode side."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "User1@auditor1.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    creator = identities_pb2.SerializedIdentity(
        mspid=msp_id, id_bytes=cert.public_bytes(serialization.Encoding.PEM)
    ).SerializeToString()
    header = common_pb2.Header(
        channel_header=common_pb2.ChannelHeader(type=common_pb2.ENDORSER_TRANSACTION, channel_id=CHANNEL).SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=b"n" * 24).SerializeToString(),
    )
    # fabric-shim refuses a proposal without a payload (it reads the transient map from it).
    payload = proposal_pb2.ChaincodeProposalPayload(input=b"unused").SerializeToString()
    proposal = proposal_pb2.Proposal(header=header.SerializeToString(), payload=payload)
    return proposal_pb2.SignedProposal(proposal_bytes=proposal.SerializeToString(), signature=b"unchecked")


class MiniPeer:
    """Just enough of the peer side of protos.Chaincode/Connect to drive one transaction at a time."""

    def __init__(self, address: str) -> None:
        self._channel = grpc.aio.insecure_channel(address)
        self._outbox: asyncio.Queue[Msg] = asyncio.Queue()
        self._stream = None
        self.state: dict[str, bytes] = {}
        self.proposal = _creator_proposal("Auditor1MSP")

    async def _requests(self):
        while True:
            yield await self._outbox.get()

    async def connect(self) -> Msg:
        self._stream = ChaincodeStub(self._channel).Connect(self._requests())
        register = await self._read()
        await self._outbox.put(Msg(type=Msg.REGISTERED))
        await self._outbox.put(Msg(type=Msg.READY))
        return register

    async def _read(self) -> Msg:
        return await asyncio.wait_for(self._stream.read(), timeout=10)

    async def invoke(self, txid: str, *args: str) -> tuple[Msg, list[int]]:
        """Sends TRANSACTION, serves GET_STATE/PUT_STATE from a dict; returns the final message."""
        payload = chaincode_pb2.ChaincodeInput(args=[a.encode() for a in args]).SerializeToString()
        await self._outbox.put(Msg(
            type=Msg.TRANSACTION, txid=txid, channel_id=CHANNEL, payload=payload, proposal=self.proposal
        ))
        asked: list[int] = []
        while True:
            message = await self._read()
            if message.type in (Msg.COMPLETED, Msg.ERROR):
                return message, asked
            asked.append(message.type)
            assert message.txid == txid and message.channel_id == CHANNEL
            if message.type == Msg.GET_STATE:
                key = chaincode_shim_pb2.GetState.FromString(message.payload).key
                reply = self.state.get(key, b"")
            elif message.type == Msg.PUT_STATE:
                put = chaincode_shim_pb2.PutState.FromString(message.payload)
                self.state[put.key] = put.value
                reply = b""
            else:
                raise AssertionError(f"unexpected request {Msg.Type.Name(message.type)}")
            await self._outbox.put(Msg(type=Msg.RESPONSE, txid=txid, channel_id=CHANNEL, payload=reply))

    async def close(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
        await self._channel.close()


async def test_registers_with_its_package_id_and_runs_transactions(node_chaincode):
    peer = MiniPeer(node_chaincode.address)
    try:
        register = await peer.connect()
        assert register.type == Msg.REGISTER
        assert chaincode_pb2.ChaincodeID.FromString(register.payload).name == "conformance:1"

        done, asked = await peer.invoke("tx1", "Increment", "counter")
        assert Msg.Type.Name(done.type) == "COMPLETED", done.payload
        response = proposal_response_pb2.Response.FromString(done.payload)
        assert (response.status, response.payload) == (200, b"1"), response.message
        assert asked == [Msg.GET_STATE, Msg.PUT_STATE]
        assert peer.state == {"counter": b"1"}

        done, _ = await peer.invoke("tx2", "Whoami")
        response = proposal_response_pb2.Response.FromString(done.payload)
        assert (response.status, response.payload) == (200, b"Auditor1MSP"), response.message

        done, _ = await peer.invoke("tx3", "Fail", "deliberate")
        response = proposal_response_pb2.Response.FromString(done.payload)
        assert (Msg.Type.Name(done.type), response.status, response.message) == ("COMPLETED", 500, "deliberate")
    finally:
        await peer.close()
