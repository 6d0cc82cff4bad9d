"""protos.Deliver: the block and filtered-block event streams answer as a Fabric 2.5 peer's deliver
service does (blocks as stored, then a status; FORBIDDEN, BAD_REQUEST, NOT_FOUND as refusals that end
the stream), and DeliverWithPrivateData is refused with NOT_IMPLEMENTED after the same checks."""

from __future__ import annotations

import asyncio
import os
import time

import grpc
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import events_pb2_grpc, transaction_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from network.gateway import create_channel
from tests.devpeer.test_integrity import corrupt
from testkit.devpeer import CHANNEL, peer_member, user

Status = common_pb2.Status
V = transaction_pb2.TxValidationCode
MAX = 2**64 - 1


def oldest() -> ab_pb2.SeekPosition:
    return ab_pb2.SeekPosition(oldest=ab_pb2.SeekOldest())


def newest() -> ab_pb2.SeekPosition:
    return ab_pb2.SeekPosition(newest=ab_pb2.SeekNewest())


def at(number: int) -> ab_pb2.SeekPosition:
    return ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=number))


def next_commit() -> ab_pb2.SeekPosition:
    return ab_pb2.SeekPosition(next_commit=ab_pb2.SeekNextCommit())


def seek(member, start, stop, *, channel=CHANNEL, behavior=ab_pb2.SeekInfo.BLOCK_UNTIL_READY, age: float = 0.0, signer=None):
    """A signed deliver request, as the official clients build it."""
    nanos = time.time_ns() - int(age * 1e9)
    header = common_pb2.ChannelHeader(
        type=common_pb2.DELIVER_SEEK_INFO,
        channel_id=channel,
        timestamp=Timestamp(seconds=nanos // 10**9, nanos=nanos % 10**9),
    )
    signature_header = common_pb2.SignatureHeader(creator=member.identity.serialize(), nonce=os.urandom(24))
    payload = common_pb2.Payload(
        header=common_pb2.Header(
            channel_header=header.SerializeToString(), signature_header=signature_header.SerializeToString()
        ),
        data=ab_pb2.SeekInfo(start=start, stop=stop, behavior=behavior).SerializeToString(),
    ).SerializeToString()
    return common_pb2.Envelope(payload=payload, signature=(signer or member.signer).sign(payload))


class Stream:
    """One bidirectional Deliver* call."""

    def __init__(self, channel, method: str) -> None:
        self.call = getattr(events_pb2_grpc.DeliverStub(channel), method)()

    async def send(self, envelope) -> None:
        await self.call.write(envelope)

    async def read(self, timeout: float = 5.0):
        try:
            response = await asyncio.wait_for(self.call.read(), timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                pytest.fail(
                    "protos.Deliver is not served: DevPeer._bind must register it "
                    "(add_deliver_service(self, self._server) from network.devpeer.deliver)"
                )
            raise
        return response

    async def until_status(self, timeout: float = 5.0) -> tuple[list, int]:
        """The responses before the next status, and that status."""
        items = []
        while True:
            response = await self.read(timeout)
            assert response is not grpc.aio.EOF, "the stream ended without a status"
            if response.WhichOneof("Type") == "status":
                return items, response.status
            items.append(response)

    async def ended(self) -> bool:
        return await self.read() is grpc.aio.EOF


@pytest.fixture
async def channel(peer):
    channel = create_channel(peer.address)
    yield channel
    await channel.close()


async def _commit(client, *args) -> str:
    submitted = await client.contract().submit_async(*args)
    assert (await submitted.status()).code == V.VALID
    return submitted.transaction_id


async def test_deliver_serves_the_stored_blocks_then_success_and_keeps_the_stream(client, peer, channel, crypto):
    await _commit(client, "Put", "k", "v")
    member = user(crypto, "Auditor1MSP")
    stream = Stream(channel, "Deliver")
    last = peer.ledger.height - 1
    await stream.send(seek(member, oldest(), at(last)))
    blocks, status = await stream.until_status()
    assert status == Status.SUCCESS
    assert [r.block.SerializeToString() for r in blocks] == [
        peer.ledger.block(n).SerializeToString() for n in range(last + 1)
    ]
    # After SUCCESS the same stream takes another SeekInfo: newest..newest is exactly one block.
    await stream.send(seek(member, newest(), newest()))
    blocks, status = await stream.until_status()
    assert (status, [r.block.header.number for r in blocks]) == (Status.SUCCESS, [last])
    await stream.call.done_writing()
    assert await stream.ended()


async def test_deliver_from_next_commit_waits_for_new_blocks(client, peer, channel, crypto):
    stream = Stream(channel, "Deliver")
    await stream.send(seek(user(crypto, "Auditor1MSP"), next_commit(), at(MAX)))
    tx_id = await _commit(client, "Put", "later", "x")
    response = await stream.read()
    block = response.block
    assert block.header.number == peer.ledger.transaction(tx_id).block_number
    assert block.SerializeToString() == peer.ledger.block(block.header.number).SerializeToString()
    stream.call.cancel()


async def test_filtered_blocks_carry_ids_codes_and_event_names_without_payloads(client, peer, channel, crypto):
    emitted = await _commit(client, "Emit", "happened", "secret payload")
    number = peer.ledger.transaction(emitted).block_number
    stream = Stream(channel, "DeliverFiltered")
    await stream.send(seek(user(crypto, "Auditor2MSP"), oldest(), at(number)))
    blocks, status = await stream.until_status()
    assert status == Status.SUCCESS
    filtered = [r.filtered_block for r in blocks]
    assert [f.number for f in filtered] == list(range(number + 1))
    assert all(f.channel_id == CHANNEL for f in filtered)
    genesis = filtered[0].filtered_transactions[0]
    assert (genesis.type, genesis.tx_validation_code, genesis.HasField("transaction_actions")) == (common_pb2.CONFIG, V.VALID, False)
    (ours,) = [t for t in filtered[number].filtered_transactions if t.txid == emitted]
    assert ours.type == common_pb2.ENDORSER_TRANSACTION and ours.tx_validation_code == V.VALID
    (action,) = ours.transaction_actions.chaincode_actions
    assert action.chaincode_event.chaincode_id == "probe"
    assert action.chaincode_event.event_name == "happened"
    assert action.chaincode_event.tx_id == emitted
    assert action.chaincode_event.payload == b""  # filtered blocks never carry event payloads


async def test_filtered_block_reports_invalid_transactions_with_their_code(client, peer, channel, crypto):
    contract = client.contract()
    await contract.submit("Put", "mvcc", "0")
    stale = await contract.new_proposal("Increment", "mvcc").endorse()
    await contract.submit("Increment", "mvcc")
    status = await (await stale.submit()).status()
    assert status.code == V.MVCC_READ_CONFLICT
    stream = Stream(channel, "DeliverFiltered")
    await stream.send(seek(user(crypto, "Auditor1MSP"), at(status.block_number), at(status.block_number)))
    (response,), code = await stream.until_status()
    assert code == Status.SUCCESS
    (ours,) = [t for t in response.filtered_block.filtered_transactions if t.txid == stale.transaction_id]
    assert ours.tx_validation_code == V.MVCC_READ_CONFLICT


async def test_any_channel_member_may_read_blocks_even_a_peer(channel, crypto):
    # event/Block is /Channel/Application/Readers: members of every role, unlike peer/Propose.
    stream = Stream(channel, "Deliver")
    await stream.send(seek(peer_member(crypto, "Auditor2MSP"), oldest(), oldest()))
    blocks, status = await stream.until_status()
    assert (status, [r.block.header.number for r in blocks]) == (Status.SUCCESS, [0])


@pytest.mark.parametrize("method", ["Deliver", "DeliverFiltered", "DeliverWithPrivateData"])
async def test_a_bad_signature_is_forbidden_and_ends_the_stream(channel, crypto, method):
    forged = seek(user(crypto, "Auditor1MSP"), oldest(), oldest(), signer=user(crypto, "Auditor2MSP").signer)
    stream = Stream(channel, method)
    await stream.send(forged)
    assert await stream.until_status() == ([], Status.FORBIDDEN)
    assert await stream.ended()


async def test_requests_fabric_rejects_are_rejected_with_its_status(peer, channel, crypto):
    member = user(crypto, "Auditor1MSP")
    height = peer.ledger.height
    cases = [
        (seek(member, oldest(), oldest(), age=16 * 60), Status.BAD_REQUEST),  # outside the 15 min window
        (seek(member, at(1), at(0)), Status.BAD_REQUEST),  # start after stop
        (seek(member, oldest(), oldest(), channel="elsewhere"), Status.NOT_FOUND),
        (seek(member, at(height + 5), at(MAX), behavior=ab_pb2.SeekInfo.FAIL_IF_NOT_READY), Status.NOT_FOUND),
        (common_pb2.Envelope(payload=b"\xff not a payload"), Status.BAD_REQUEST),
    ]
    for envelope, expected in cases:
        stream = Stream(channel, "Deliver")
        await stream.send(envelope)
        assert await stream.until_status() == ([], expected)
        assert await stream.ended()


async def test_fail_if_not_ready_serves_what_exists_then_not_found(peer, channel, crypto):
    stream = Stream(channel, "Deliver")
    await stream.send(seek(user(crypto, "Auditor1MSP"), oldest(), at(MAX), behavior=ab_pb2.SeekInfo.FAIL_IF_NOT_READY))
    blocks, status = await stream.until_status()
    assert status == Status.NOT_FOUND
    assert [r.block.header.number for r in blocks] == list(range(peer.ledger.height))


async def test_block_and_private_data_is_not_implemented_for_an_authorised_reader(channel, crypto):
    stream = Stream(channel, "DeliverWithPrivateData")
    await stream.send(seek(user(crypto, "Auditor1MSP"), oldest(), at(MAX)))
    assert await stream.until_status() == ([], Status.NOT_IMPLEMENTED)
    assert await stream.ended()


async def test_a_corrupt_block_is_refused_not_served(client, peer, channel, crypto):
    await _commit(client, "Put", "a", "1")
    number = peer.ledger.height - 1
    corrupt(peer.config.data_dir / "ledger.sqlite", "data", number)
    stream = Stream(channel, "Deliver")
    await stream.send(seek(user(crypto, "Auditor1MSP"), oldest(), at(number)))
    blocks, status = await stream.until_status()
    assert status == Status.SERVICE_UNAVAILABLE
    assert [r.block.header.number for r in blocks] == list(range(number))  # the intact ones before it
