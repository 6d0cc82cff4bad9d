"""A peer-like gRPC client for the CCaaS server: dials Connect and plays one Get transaction."""

from __future__ import annotations

import asyncio

import grpc
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, chaincode_shim_pb2_grpc, proposal_response_pb2

Message = chaincode_shim_pb2.ChaincodeMessage
CHANNEL = "utilityemissions"


async def run_put_then_get(channel: grpc.aio.Channel) -> list[Message]:
    """Speak as a Fabric peer: REGISTERED, READY, then Get("k") answered with "v"."""
    outgoing: asyncio.Queue[Message | None] = asyncio.Queue()

    async def requests():
        while (message := await outgoing.get()) is not None:
            yield message

    call = chaincode_shim_pb2_grpc.ChaincodeStub(channel).Connect(requests())
    seen = [await call.read()]
    outgoing.put_nowait(Message(type=Message.REGISTERED))
    outgoing.put_nowait(Message(type=Message.READY))
    outgoing.put_nowait(Message(type=Message.TRANSACTION, txid="tx1", channel_id=CHANNEL,
                                payload=chaincode_pb2.ChaincodeInput(args=[b"Get", b"k"]).SerializeToString()))
    seen.append(await call.read())
    outgoing.put_nowait(Message(type=Message.RESPONSE, txid="tx1", channel_id=CHANNEL, payload=b"v"))
    seen.append(await call.read())
    outgoing.put_nowait(None)
    assert await call.read() == grpc.aio.EOF
    return seen


def check_exchange(seen: list[Message]) -> None:
    register, get, completed = seen
    assert chaincode_pb2.ChaincodeID.FromString(register.payload).name == "conformance:abc"
    assert (get.type, chaincode_shim_pb2.GetState.FromString(get.payload).key) == (Message.GET_STATE, "k")
    assert completed.type == Message.COMPLETED
    assert proposal_response_pb2.Response.FromString(completed.payload).payload == b"v"
