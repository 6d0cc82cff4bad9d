"""The chaincode side of the shim protocol over one Connect stream.

REGISTER -> REGISTERED -> READY, then the peer sends TRANSACTION/INIT messages. Each transaction
runs as its own task, so transactions interleave on the stream; within one transaction, requests
to the peer (GET_STATE, PUT_STATE, ...) are strictly one at a time, because the peer matches a
RESPONSE to its transaction by (channel id, txid) only.

Only message types a Fabric 2.5 peer knows are ever sent (no WRITE_BATCH_STATE or
GET_STATE_MULTIPLE), and a READY payload (Fabric >= 3.1 announces batch support in it) is ignored.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable

from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2
from google.protobuf.message import DecodeError

from chaincode.runtime.chaincode import Chaincode
from chaincode.runtime.errors import PeerError, ProtocolError
from chaincode.runtime.proposal import ProposalError, decode_signed_proposal
from chaincode.runtime.response import ERROR, Response
from chaincode.runtime.stub import ChaincodeStub

Message = chaincode_shim_pb2.ChaincodeMessage
TxKey = tuple[str, str]  # (channel id, txid): a txid is only unique within a channel

log = logging.getLogger(__name__)
_END = object()


class _State(enum.Enum):
    CREATED = "created"
    ESTABLISHED = "established"
    READY = "ready"


async def run_chaincode_stream(
    chaincode: Chaincode, incoming: AsyncIterable[Message], chaincode_id: str
) -> AsyncIterator[Message]:
    """Yield the chaincode's messages for one Connect stream, REGISTER first, reacting to `incoming`.

    Ends when `incoming` ends; transactions still running then are cancelled (their peer is gone).
    """
    if not chaincode_id:
        raise ValueError("chaincode id must not be empty (it is the package id the peer knows the chaincode by)")
    outbox: asyncio.Queue[Message | object] = asyncio.Queue()
    session = _Session(chaincode, outbox.put_nowait)
    yield Message(type=Message.REGISTER, payload=chaincode_pb2.ChaincodeID(name=chaincode_id).SerializeToString())
    reader = asyncio.create_task(session.read(incoming), name="chaincode-stream-reader")
    reader.add_done_callback(lambda _: outbox.put_nowait(_END))
    try:
        while (message := await outbox.get()) is not _END:
            yield message  # type: ignore[misc]
        reader.result()  # surfaces a failure of the incoming stream
    finally:
        reader.cancel()
        await session.cancel_transactions()
        await asyncio.gather(reader, return_exceptions=True)


class _Session:
    def __init__(self, chaincode: Chaincode, send: Callable[[Message], None]):
        self._chaincode = chaincode
        self._send = send
        self._state = _State.CREATED
        self._transactions: dict[TxKey, asyncio.Task[None]] = {}
        self._pending: dict[TxKey, asyncio.Future[Message]] = {}

    async def read(self, incoming: AsyncIterable[Message]) -> None:
        async for message in incoming:
            self._dispatch(message)

    async def cancel_transactions(self) -> None:
        tasks = list(self._transactions.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _dispatch(self, message: Message) -> None:
        kind = message.type
        if kind == Message.KEEPALIVE:
            self._send(Message(type=Message.KEEPALIVE))
        elif self._state is _State.READY:
            self._dispatch_ready(message)
        elif self._state is _State.CREATED and kind == Message.REGISTERED:
            self._state = _State.ESTABLISHED
        elif self._state is _State.ESTABLISHED and kind == Message.READY:
            self._state = _State.READY
            log.info("chaincode registered with the peer and ready")
        else:
            self._reject(message, f"cannot handle {_name(kind)} in state {self._state.value}")

    def _dispatch_ready(self, message: Message) -> None:
        kind = message.type
        if kind in (Message.RESPONSE, Message.ERROR):
            future = self._pending.get((message.channel_id, message.txid))
            if future is None or future.done():
                log.warning("ignoring %s for transaction %s: no request is waiting", _name(kind), _short(message.txid))
            else:
                future.set_result(message)
        elif kind in (Message.TRANSACTION, Message.INIT):
            self._start_transaction(message)
        elif kind in (Message.REGISTERED, Message.READY):
            pass  # repeated handshake messages are harmless
        else:
            self._reject(message, f"cannot handle {_name(kind)} in state ready")

    def _start_transaction(self, message: Message) -> None:
        key = (message.channel_id, message.txid)
        if key in self._transactions:
            self._reject(message, f"transaction {message.txid} is already running on channel {message.channel_id}")
            return
        task = asyncio.create_task(self._execute(message), name=f"chaincode-tx-{_short(message.txid)}")
        self._transactions[key] = task
        task.add_done_callback(lambda _: self._transactions.pop(key, None))

    async def _execute(self, message: Message) -> None:
        reply = await self._run_transaction(message)
        self._send(reply)

    async def _run_transaction(self, message: Message) -> Message:
        try:
            chaincode_input = chaincode_pb2.ChaincodeInput.FromString(message.payload)
            proposal = decode_signed_proposal(message.proposal) if message.HasField("proposal") else None
        except (DecodeError, ProposalError) as exc:
            return _error_reply(message, f"cannot decode transaction: {exc}")
        link = _TransactionLink(self, message.channel_id, message.txid)
        stub = ChaincodeStub(link.ask, message.channel_id, message.txid, chaincode_input.args, proposal)
        entry = self._chaincode.init if message.type == Message.INIT else self._chaincode.invoke
        try:
            response = await entry(stub)
        except Exception as exc:  # noqa: BLE001 - a failing chaincode fails its transaction, not the stream
            log.exception("chaincode raised in transaction %s", _short(message.txid))
            response = Response(ERROR, str(exc) or type(exc).__name__)
        if not isinstance(response, Response):
            response = Response(ERROR, f"chaincode returned {type(response).__name__}, not a Response")
        completed = Message(
            type=Message.COMPLETED,
            payload=response.to_proto().SerializeToString(),
            txid=message.txid,
            channel_id=message.channel_id,
        )
        if stub.event is not None:
            completed.chaincode_event.CopyFrom(stub.event)
        return completed

    async def request(self, key: TxKey, message: Message) -> Message:
        """Send one request and wait for the peer's RESPONSE or ERROR for that transaction."""
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            self._send(message)
            return await future
        finally:
            self._pending.pop(key, None)

    def _reject(self, message: Message, reason: str) -> None:
        log.error("protocol: %s", reason)
        self._send(_error_reply(message, reason))


class _TransactionLink:
    """One transaction's requests to the peer, serialised: at most one awaits an answer."""

    def __init__(self, session: _Session, channel_id: str, tx_id: str):
        self._session = session
        self._channel_id = channel_id
        self._tx_id = tx_id
        self._lock = asyncio.Lock()

    async def ask(self, message_type: int, payload: bytes) -> bytes:
        request = Message(type=message_type, payload=payload, txid=self._tx_id, channel_id=self._channel_id)
        async with self._lock:
            reply = await self._session.request((self._channel_id, self._tx_id), request)
        if reply.type == Message.RESPONSE:
            return reply.payload
        if reply.type == Message.ERROR:
            raise PeerError(f"{_name(message_type)} failed: {reply.payload.decode('utf-8', 'replace')}")
        raise ProtocolError(f"peer answered {_name(message_type)} with {_name(reply.type)}")


def _error_reply(message: Message, reason: str) -> Message:
    return Message(type=Message.ERROR, payload=reason.encode(), txid=message.txid, channel_id=message.channel_id)


def _name(kind: int) -> str:
    try:
        return Message.Type.Name(kind)
    except ValueError:
        return f"message type {kind}"


def _short(tx_id: str) -> str:
    return tx_id[:8]
