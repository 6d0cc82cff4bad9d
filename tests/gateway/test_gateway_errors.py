"""Error decoding and transport options against a tiny grpc.aio server on 127.0.0.1:0.

The server only returns what the protocol says a gateway returns on failure (a status with
google.rpc.Status details) and records requests; it is not a gateway. Real behaviour is tested
against the dev peer.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.peer import chaincode_event_pb2, transaction_pb2
from google.protobuf import any_pb2
from google.rpc import status_pb2

from network.gateway import (
    ChaincodeEventsError,
    CommitError,
    CommitStatusError,
    Deadlines,
    EndorseError,
    ErrorDetail,
    EvaluateError,
    FileCheckpointer,
    GatewayError,
    InMemoryCheckpointer,
    SubmitError,
    connect,
    create_channel,
    protocol,
)
from network.gateway import SubmittedTransaction
from network.identity import verify_signature

DETAILS = (
    ErrorDetail("peer0.auditor1.example.com:7051", "Auditor1MSP", "chaincode response 500, record exists"),
    ErrorDetail("peer0.auditor2.example.com:7051", "Auditor2MSP", "chaincode response 500, record exists"),
)


def _trailers(code: grpc.StatusCode, message: str) -> tuple[tuple[str, bytes], ...]:
    status = status_pb2.Status(code=code.value[0], message=message)
    for detail in DETAILS:
        packed = any_pb2.Any()
        packed.Pack(gateway_pb2.ErrorDetail(address=detail.address, msp_id=detail.msp_id, message=detail.message))
        status.details.append(packed)
    return (("grpc-status-details-bin", status.SerializeToString()),)


class FailingGateway(gateway_pb2_grpc.GatewayServicer):
    def __init__(self) -> None:
        self.requests: list[object] = []
        self.commit_code = transaction_pb2.MVCC_READ_CONFLICT
        self.events: list[gateway_pb2.ChaincodeEventsResponse] = []

    async def _fail(self, context, code, message):
        await context.abort(code, message, trailing_metadata=_trailers(code, message))

    async def Evaluate(self, request, context):
        self.requests.append(request)
        if request.transaction_id and protocol.decode_proposal(request.proposed_transaction.proposal_bytes).args[0] == b"slow":
            await asyncio.sleep(5)
        await self._fail(context, grpc.StatusCode.UNKNOWN, "evaluate call to endorser returned error: chaincode response 500, record exists")

    async def Endorse(self, request, context):
        self.requests.append(request)
        await self._fail(context, grpc.StatusCode.ABORTED, "failed to endorse transaction, see attached details for more info")

    async def Submit(self, request, context):
        self.requests.append(request)
        await self._fail(context, grpc.StatusCode.UNAVAILABLE, "no orderers could be reached")

    async def CommitStatus(self, request, context):
        self.requests.append(request)
        inner = gateway_pb2.CommitStatusRequest.FromString(request.request)
        if inner.transaction_id == "unknown":
            await self._fail(context, grpc.StatusCode.PERMISSION_DENIED, "requesting identity is not a channel member")
        return gateway_pb2.CommitStatusResponse(result=self.commit_code, block_number=9)

    async def ChaincodeEvents(self, request, context):
        self.requests.append(request)
        for response in self.events:
            yield response
        await self._fail(context, grpc.StatusCode.INVALID_ARGUMENT, "chaincode events stream ended")


@pytest.fixture
async def server():
    servicer = FailingGateway()
    grpc_server = grpc.aio.server()
    gateway_pb2_grpc.add_GatewayServicer_to_server(servicer, grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    await grpc_server.start()
    yield servicer, f"127.0.0.1:{port}"
    await grpc_server.stop(None)


@pytest.fixture
async def contract(server, client):
    _, target = server
    channel = create_channel(target)
    yield connect(channel, client.identity, client.signer).network("utilityemissions").contract("emissions")
    await channel.close()


def _assert_details(error: GatewayError) -> None:
    assert error.details == DETAILS
    assert "Auditor2MSP at peer0.auditor2.example.com:7051" in str(error)


async def test_evaluate_error_carries_step_code_and_details(contract):
    with pytest.raises(EvaluateError) as caught:
        await contract.evaluate("GetRecord", "r1")
    error = caught.value
    assert isinstance(error, GatewayError) and error.step == "evaluate"
    assert error.code == grpc.StatusCode.UNKNOWN and "chaincode response 500" in error.message
    assert error.transaction_id and error.transaction_id in str(error)
    _assert_details(error)


async def test_endorse_error(server, contract, client):
    servicer, _ = server
    with pytest.raises(EndorseError) as caught:
        await contract.submit("RecordEmissions", "r1", transient={"kwh": b"1"}, endorsing_organizations=["Auditor1MSP"])
    assert caught.value.step == "endorse" and caught.value.code == grpc.StatusCode.ABORTED
    _assert_details(caught.value)
    request = servicer.requests[-1]
    assert isinstance(request, gateway_pb2.EndorseRequest)
    assert list(request.endorsing_organizations) == ["Auditor1MSP"] and request.channel_id == "utilityemissions"
    assert request.transaction_id == caught.value.transaction_id
    assert verify_signature(client.identity.credentials, request.proposed_transaction.proposal_bytes, request.proposed_transaction.signature)


async def test_submit_error(server, contract, client, peer):
    from gateway_envelopes import endorse_like_a_peer
    from network.gateway import Transaction

    proposal = contract.new_proposal("RecordEmissions", "r1")
    transaction = Transaction.from_envelope(proposal._context, proposal.transaction_id, endorse_like_a_peer(proposal.proposal_bytes, peer))
    with pytest.raises(SubmitError) as caught:
        await transaction.submit()
    assert caught.value.step == "submit" and caught.value.code == grpc.StatusCode.UNAVAILABLE
    _assert_details(caught.value)
    request = server[0].requests[-1]
    assert request.prepared_transaction == transaction.envelope
    assert protocol.verify_envelope(request.prepared_transaction) == client.identity


async def test_commit_status_and_commit_errors(server, contract, client):
    servicer, _ = server
    submitted = SubmittedTransaction(contract._context, "tx-1", "utilityemissions", b"")
    status = await submitted.status()
    assert (status.block_number, status.code, status.code_name, status.successful) == (9, 11, "MVCC_READ_CONFLICT", False)
    signed = servicer.requests[-1]
    assert verify_signature(client.identity.credentials, signed.request, signed.signature)
    with pytest.raises(CommitError) as caught:
        await submitted.committed()
    error = caught.value
    assert isinstance(error, GatewayError) and error.step == "commit" and error.code is None
    assert (error.validation_code, error.validation_code_name, error.block_number) == (11, "MVCC_READ_CONFLICT", 9)
    assert "MVCC_READ_CONFLICT (11)" in str(error) and "tx-1" in str(error)
    servicer.commit_code = transaction_pb2.VALID
    assert (await submitted.committed()).successful
    with pytest.raises(CommitStatusError) as denied:
        await SubmittedTransaction(contract._context, "unknown", "utilityemissions", b"").status()
    assert denied.value.code == grpc.StatusCode.PERMISSION_DENIED and denied.value.step == "commit_status"


async def test_deadline_exceeded_is_reported_per_step(server, client):
    _, target = server
    channel = create_channel(target)
    try:
        contract = connect(channel, client.identity, client.signer, deadlines=Deadlines(evaluate=0.2)).network("c").contract("cc")
        with pytest.raises(EvaluateError) as caught:
            await contract.evaluate("slow")
        assert caught.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        await channel.close()


def _event_block(number: int, *tx_ids: str) -> gateway_pb2.ChaincodeEventsResponse:
    return gateway_pb2.ChaincodeEventsResponse(
        block_number=number,
        events=[
            chaincode_event_pb2.ChaincodeEvent(chaincode_id="emissions", tx_id=tx, event_name="RecordCreated", payload=b'{"id": "%s"}' % tx.encode())
            for tx in tx_ids
        ],
    )


async def test_chaincode_events_resume_from_a_checkpoint(server, client, tmp_path):
    servicer, target = server
    servicer.events = [_event_block(4, "a", "b"), _event_block(6, "c")]
    channel = create_channel(target)
    try:
        network = connect(channel, client.identity, client.signer).network("utilityemissions")
        checkpointer = FileCheckpointer(tmp_path / "events.json")
        seen = []
        events = await network.chaincode_events("emissions", checkpoint=checkpointer)
        with pytest.raises(ChaincodeEventsError) as ended:
            async with events:
                async for event in events:
                    seen.append((event.block_number, event.transaction_id, event.event_name, event.json()))
                    checkpointer.checkpoint_chaincode_event(event)
        assert ended.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert seen == [(4, "a", "RecordCreated", {"id": "a"}), (4, "b", "RecordCreated", {"id": "b"}), (6, "c", "RecordCreated", {"id": "c"})]
        first = servicer.requests[-1]
        assert verify_signature(client.identity.credentials, first.request, first.signature)
        first_request = gateway_pb2.ChaincodeEventsRequest.FromString(first.request)
        assert first_request.start_position.WhichOneof("Type") == "next_commit"
        assert (first_request.channel_id, first_request.chaincode_id) == ("utilityemissions", "emissions")
        assert not first_request.after_transaction_id

        # A restarted listener resumes in block 6 after transaction c: the checkpoint beats start_block.
        restarted = FileCheckpointer(tmp_path / "events.json")
        assert (restarted.block_number, restarted.transaction_id) == (6, "c")
        events = await network.chaincode_events("emissions", checkpoint=restarted, start_block=0)
        with pytest.raises(ChaincodeEventsError):
            async for _ in events:
                pass
        request = gateway_pb2.ChaincodeEventsRequest.FromString(servicer.requests[-1].request)
        assert request.start_position.specified.number == 6 and request.after_transaction_id == "c"

        # An empty checkpoint falls back to start_block.
        servicer.events = []
        events = await network.chaincode_events("emissions", checkpoint=InMemoryCheckpointer(), start_block=2)
        with pytest.raises(ChaincodeEventsError):
            await events.__anext__()
        request = gateway_pb2.ChaincodeEventsRequest.FromString(servicer.requests[-1].request)
        assert request.start_position.specified.number == 2
    finally:
        await channel.close()


async def test_tls_and_mutual_tls(crypto, client):
    peer_node = crypto.org("Auditor1MSP").peers[0]
    user = crypto.org("Auditor1MSP").user("User1")
    servicer = FailingGateway()
    grpc_server = grpc.aio.server()
    gateway_pb2_grpc.add_GatewayServicer_to_server(servicer, grpc_server)
    credentials = grpc.ssl_server_credentials(
        [(peer_node.tls_key.read_bytes(), peer_node.tls_cert.read_bytes())],
        root_certificates=peer_node.tls_ca.read_bytes(),
        require_client_auth=True,
    )
    port = grpc_server.add_secure_port("127.0.0.1:0", credentials)
    await grpc_server.start()
    try:
        channel = create_channel(
            f"127.0.0.1:{port}",
            tls_root_certificates=user.tls_ca,
            client_certificate=user.tls_cert,
            client_key=user.tls_key,
            server_name_override="peer0.auditor1.example.com",
        )
        submitted = SubmittedTransaction(
            connect(channel, client.identity, client.signer)._context, "tx", "utilityemissions", b""
        )
        assert (await submitted.status(timeout=5)).code_name == "MVCC_READ_CONFLICT"
        await channel.close()
        # Without a client certificate the server refuses the handshake.
        channel = create_channel(f"127.0.0.1:{port}", tls_root_certificates=user.tls_ca)
        with pytest.raises(CommitStatusError) as caught:
            await SubmittedTransaction(connect(channel, client.identity, client.signer)._context, "tx", "c", b"").status(timeout=5)
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE
        await channel.close()
    finally:
        await grpc_server.stop(None)


def test_channel_options_are_checked(tmp_path):
    with pytest.raises(ValueError, match="host:port"):
        create_channel("localhost")
    with pytest.raises(ValueError, match="both a client certificate and its key"):
        create_channel("h:1", tls_root_certificates=b"x", client_certificate=b"c")
    with pytest.raises(ValueError, match="without tls_root_certificates"):
        create_channel("h:1", server_name_override="peer0")
    with pytest.raises(ValueError, match="cannot read"):
        create_channel("h:1", tls_root_certificates=tmp_path / "missing.crt")
