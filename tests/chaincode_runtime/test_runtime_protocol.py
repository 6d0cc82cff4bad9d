"""The shim protocol as the chaincode speaks it: handshake, keepalive, interleaving, completion."""

from __future__ import annotations

import asyncio

import pytest
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_response_pb2

from chaincode.runtime import ChaincodeStub, PeerError, Response, error, run_chaincode_stream, success
from shim_peer import ShimPeer, ready_peer

Message = chaincode_shim_pb2.ChaincodeMessage


class EchoState:
    """Low-level chaincode: args[0] = key; returns the key's value, or 'ran init' for INIT."""

    async def init(self, stub: ChaincodeStub) -> Response:
        return success(b"ran init")

    async def invoke(self, stub: ChaincodeStub) -> Response:
        function, params = stub.function_and_parameters()
        if function == "get":
            try:
                value = await stub.get_state(params[0])
            except PeerError as exc:
                return error(str(exc))
            return success(value or b"<none>")
        if function == "get-two":
            first, second = await asyncio.gather(stub.get_state(params[0]), stub.get_state(params[1]))
            return success(first + b"," + second)
        if function == "raise":
            raise RuntimeError("boom")
        if function == "not-a-response":
            return "oops"  # type: ignore[return-value]
        return error(f"unknown {function}", 404)


async def test_registers_with_its_package_id_then_serves_after_ready():
    peer = ShimPeer(EchoState(), chaincode_id="emissions_1.0:abc123")
    register = await peer.handshake()
    assert chaincode_pb2.ChaincodeID.FromString(register.payload).name == "emissions_1.0:abc123"
    peer.start("tx1", "nope")
    response = await peer.completed("tx1")
    assert (response.status, response.message) == (404, "unknown nope")
    await peer.close()


async def test_init_message_calls_init():
    peer = await ready_peer(EchoState())
    peer.start("tx-init", init=True)
    assert (await peer.completed("tx-init")).payload == b"ran init"
    await peer.close()


async def test_keepalive_is_answered_in_every_state():
    peer = ShimPeer(EchoState())
    await peer.expect(Message.REGISTER)
    peer.send(Message(type=Message.KEEPALIVE))
    await peer.expect(Message.KEEPALIVE)
    peer.send(Message(type=Message.REGISTERED))
    peer.send(Message(type=Message.READY))
    peer.send(Message(type=Message.KEEPALIVE))
    await peer.expect(Message.KEEPALIVE)
    await peer.close()


async def test_ready_with_a_payload_is_accepted():
    # Fabric >= 3.1 puts ChaincodeAdditionalParams in READY; a 2.5-era chaincode ignores it.
    peer = ShimPeer(EchoState())
    await peer.handshake(ready_payload=b"\x08\x01\x10\xe8\x07")
    peer.start("tx1", "get", "k")
    request = await peer.expect(Message.GET_STATE, "tx1")
    peer.respond(request, b"v")
    assert (await peer.completed("tx1")).payload == b"v"
    await peer.close()


async def test_message_out_of_turn_is_answered_with_error():
    peer = ShimPeer(EchoState())
    await peer.expect(Message.REGISTER)
    peer.start("early", "get", "k")  # before REGISTERED
    reply = await peer.expect(Message.ERROR, "early")
    assert b"TRANSACTION" in reply.payload and b"created" in reply.payload
    await peer.close()


async def test_transactions_interleave_on_one_stream():
    peer = await ready_peer(EchoState())
    peer.start("slow", "get", "a")
    slow_request = await peer.expect(Message.GET_STATE, "slow")
    peer.start("fast", "get", "b")
    fast_request = await peer.expect(Message.GET_STATE, "fast")
    peer.respond(fast_request, b"B")
    assert (await peer.completed("fast")).payload == b"B"
    peer.respond(slow_request, b"A")
    assert (await peer.completed("slow")).payload == b"A"
    await peer.close()


async def test_one_outstanding_request_per_transaction():
    peer = await ready_peer(EchoState())
    peer.start("tx1", "get-two", "a", "b")
    first = await peer.expect(Message.GET_STATE, "tx1")
    assert chaincode_shim_pb2.GetState.FromString(first.payload).key == "a"
    next_message = asyncio.ensure_future(peer.receive())
    for _ in range(20):  # let the chaincode run as far as it can without an answer
        await asyncio.sleep(0)
    assert not next_message.done(), "a second request was sent before the first was answered"
    peer.respond(first, b"A")
    second = await next_message
    assert second.type == Message.GET_STATE and chaincode_shim_pb2.GetState.FromString(second.payload).key == "b"
    peer.respond(second, b"B")
    assert (await peer.completed("tx1")).payload == b"A,B"
    await peer.close()


async def test_same_txid_on_two_channels_are_distinct_transactions():
    peer = await ready_peer(EchoState())
    for channel in ("one", "two"):
        peer.send(Message(type=Message.TRANSACTION, txid="tx", channel_id=channel,
                          payload=chaincode_pb2.ChaincodeInput(args=[b"get", channel.encode()]).SerializeToString()))
    requests = [await peer.receive(), await peer.receive()]
    assert {r.channel_id for r in requests} == {"one", "two"}
    for request in reversed(requests):
        peer.respond(request, request.channel_id.encode().upper())
    done = [await peer.receive(), await peer.receive()]
    payloads = {(m.channel_id, proposal_response_pb2.Response.FromString(m.payload).payload) for m in done}
    assert payloads == {("one", b"ONE"), ("two", b"TWO")}
    await peer.close()


async def test_peer_error_reaches_the_chaincode_as_peer_error():
    peer = await ready_peer(EchoState())
    peer.start("tx1", "get", "k")
    peer.fail(await peer.expect(Message.GET_STATE, "tx1"), "private data APIs are not allowed in chaincode Init()")
    response = await peer.completed("tx1")
    assert response.status == 500
    assert response.message == "GET_STATE failed: private data APIs are not allowed in chaincode Init()"
    await peer.close()


async def test_a_raising_chaincode_fails_only_its_transaction():
    peer = await ready_peer(EchoState())
    peer.start("tx1", "raise")
    assert (await peer.completed("tx1")).message == "boom"
    peer.start("tx2", "not-a-response")
    assert "not a Response" in (await peer.completed("tx2")).message
    peer.start("tx3", "nope")
    assert (await peer.completed("tx3")).status == 404
    await peer.close()


async def test_undecodable_transaction_payload_is_answered_with_error():
    peer = await ready_peer(EchoState())
    peer.send(Message(type=Message.TRANSACTION, txid="bad", channel_id="utilityemissions", payload=b"\xff\xff"))
    reply = await peer.expect(Message.ERROR, "bad")
    assert reply.payload.startswith(b"cannot decode transaction")
    await peer.close()


async def test_duplicate_running_txid_is_rejected():
    peer = await ready_peer(EchoState())
    peer.start("tx1", "get", "k")
    request = await peer.expect(Message.GET_STATE, "tx1")
    peer.start("tx1", "get", "k")
    assert b"already running" in (await peer.expect(Message.ERROR, "tx1")).payload
    peer.respond(request, b"v")
    assert (await peer.completed("tx1")).payload == b"v"
    await peer.close()


async def test_end_of_peer_stream_ends_the_chaincode_stream_and_cancels_work():
    cancelled = asyncio.Event()

    class Waits(EchoState):
        async def invoke(self, stub):
            try:
                await stub.get_state("k")
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return success()

    peer = await ready_peer(Waits())
    peer.start("tx1", "get", "k")
    await peer.expect(Message.GET_STATE, "tx1")
    await peer.close()  # returns only once the chaincode stream has ended
    assert cancelled.is_set()


async def test_empty_chaincode_id_is_refused():
    with pytest.raises(ValueError, match="chaincode id"):
        await anext(run_chaincode_stream(EchoState(), _nothing(), ""))


async def _nothing():
    return
    yield


async def test_closing_the_chaincode_stream_cancels_running_transactions():
    started, cancelled = asyncio.Event(), asyncio.Event()

    class Waits(EchoState):
        async def invoke(self, stub):
            if stub.function_and_parameters()[0] != "wait":
                return await super().invoke(stub)
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

    peer = await ready_peer(Waits())
    peer.start("tx-wait", "wait")
    peer.start("tx-get", "get", "k")
    await peer.expect(Message.GET_STATE, "tx-get")  # the stream is now parked at a yield
    assert started.is_set()
    await peer.stream.aclose()  # what an in-process peer does when it drops the chaincode
    assert cancelled.is_set()
