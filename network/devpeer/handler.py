"""The peer side of the chaincode shim protocol, for one (org, chaincode) connection.

Handshake: the chaincode sends REGISTER, the peer answers REGISTERED then READY. Per transaction
the peer sends TRANSACTION and serves the chaincode's state requests (RESPONSE / ERROR) until the
chaincode ends it with COMPLETED or ERROR. Transactions interleave on one stream, keyed by
(channel, txid). The peer never sends KEEPALIVE: fabric-shim 2.5.8 exits when it receives one.

Range queries answer in batches of 100 with has_more / QUERY_STATE_NEXT. A paginated range
(GET_STATE_BY_RANGE whose metadata is a QueryMetadata with a page size or bookmark) answers, as
Fabric's handler does, with the whole page in one QueryResponse (has_more false) carrying a
QueryResponseMetadata{fetched_records_count, bookmark}; the bookmark is the next key, "" when none
is left. Private ranges ignore pagination metadata, as in Fabric.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_pb2, proposal_response_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from network.devpeer.ledger import Ledger
from network.devpeer.simulation import RANGE_BATCH, RangeQuery, SimulationError, TxSimulator

__all__ = ["ChaincodeHandler", "TxContext", "ExecutionResult", "ChaincodeUnavailable"]

log = logging.getLogger(__name__)
Message = chaincode_shim_pb2.ChaincodeMessage
T = Message.Type


class ChaincodeUnavailable(ConnectionError):
    """The chaincode is not connected (or went away mid-transaction)."""


@dataclass(frozen=True)
class ExecutionResult:
    response: proposal_response_pb2.Response
    event: bytes  # serialized ChaincodeEvent (chaincode_id and tx_id filled in), b"" when none


# Runs a nested chaincode call for INVOKE_CHAINCODE: (target name, ChaincodeInput, parent) -> result.
Invoker = Callable[[str, chaincode_pb2.ChaincodeInput, "TxContext"], Awaitable[Message]]


@dataclass(eq=False)
class TxContext:
    channel_id: str
    tx_id: str
    namespace: str
    signed_proposal: proposal_pb2.SignedProposal
    simulator: TxSimulator
    ledger: Ledger
    timestamp: Timestamp | None = None
    invoker: Invoker | None = None
    iterators: dict[str, "_Iterator"] = field(default_factory=dict)


@dataclass
class _Iterator:
    range: RangeQuery | None = None
    history: list[bytes] | None = None  # serialized KeyModification, newest first


class ChaincodeHandler:
    def __init__(
        self,
        name: str,
        connect: Callable[[], Awaitable[object]],
        *,
        execute_timeout: float = 30.0,
        register_timeout: float = 30.0,
    ) -> None:
        self.name = name
        self._connect = connect
        self._execute_timeout = execute_timeout
        self._register_timeout = register_timeout
        self._stream = None
        self._reader: asyncio.Task | None = None
        self._pending: dict[tuple[str, str], tuple[asyncio.Future, TxContext]] = {}
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._outbox: asyncio.Queue[Message] | None = None
        self._writer: asyncio.Task | None = None

    # -- connection ----------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def ensure_connected(self) -> None:
        if self.connected:
            return
        async with self._lock:
            if self.connected:
                return
            try:
                stream = await self._connect()
            except Exception as exc:  # noqa: BLE001 - any dial failure means "unavailable"
                raise ChaincodeUnavailable(f"chaincode {self.name} is not available: {exc}") from exc
            try:
                await asyncio.wait_for(self._handshake(stream), self._register_timeout)
            except Exception as exc:
                await stream.close()
                raise ChaincodeUnavailable(f"chaincode {self.name} did not register: {exc}") from exc
            self._stream = stream
            # One writer: gRPC streams take one write at a time, and order must be kept.
            self._outbox = asyncio.Queue()
            self._writer = asyncio.create_task(self._write_loop(stream, self._outbox), name=f"chaincode-{self.name}-w")
            self._reader = asyncio.create_task(self._read_loop(stream), name=f"chaincode-{self.name}")

    async def _handshake(self, stream) -> None:
        first = await stream.receive()
        if first is None:
            raise ConnectionError("stream closed before REGISTER")
        if first.type != T.REGISTER:
            raise ConnectionError(f"expected REGISTER, got {T.Name(first.type)}")
        chaincode_id = chaincode_pb2.ChaincodeID.FromString(first.payload)
        log.info("chaincode %s registered as %r", self.name, chaincode_id.name)
        await stream.send(Message(type=T.REGISTERED))
        await stream.send(Message(type=T.READY))

    async def close(self) -> None:
        stream = self._stream
        for task in (self._reader, self._writer, *self._tasks):
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001
                    pass
        if stream is not None:
            await stream.close()
        self._fail_pending("the peer is shutting down")

    def _fail_pending(self, reason: str) -> None:
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(ChaincodeUnavailable(f"chaincode {self.name}: {reason}"))
        self._pending.clear()

    # -- execution -----------------------------------------------------------------------------
    async def execute(self, ctx: TxContext, chaincode_input: chaincode_pb2.ChaincodeInput) -> Message:
        """Run one transaction; returns the chaincode's COMPLETED or ERROR message."""
        await self.ensure_connected()
        key = (ctx.channel_id, ctx.tx_id)
        if key in self._pending:
            raise SimulationError(f"transaction {ctx.tx_id} is already executing on chaincode {self.name}")
        if self._stream is None:
            raise ChaincodeUnavailable(f"chaincode {self.name} is not connected")
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[key] = (future, ctx)
        try:
            self._send(
                Message(
                    type=T.TRANSACTION,
                    payload=chaincode_input.SerializeToString(),
                    txid=ctx.tx_id,
                    channel_id=ctx.channel_id,
                    proposal=ctx.signed_proposal,
                )
            )
            return await asyncio.wait_for(future, self._execute_timeout)
        except asyncio.TimeoutError:
            raise SimulationError(
                f"timeout expired while executing transaction on chaincode {self.name} after {self._execute_timeout:g}s"
            ) from None
        finally:
            self._pending.pop(key, None)

    async def run(self, ctx: TxContext, chaincode_input: chaincode_pb2.ChaincodeInput) -> ExecutionResult:
        """Execute and turn the chaincode's answer into a Response (ERROR -> status 500)."""
        message = await self.execute(ctx, chaincode_input)
        if message.type == T.ERROR:
            return ExecutionResult(proposal_response_pb2.Response(status=500, message=message.payload.decode("utf-8", "replace")), b"")
        response = proposal_response_pb2.Response.FromString(message.payload)
        event = b""
        if message.HasField("chaincode_event") and (message.chaincode_event.event_name or message.chaincode_event.payload):
            chaincode_event = message.chaincode_event
            chaincode_event.chaincode_id = self.name
            chaincode_event.tx_id = ctx.tx_id
            event = chaincode_event.SerializeToString()
        return ExecutionResult(response, event)

    # -- reading the stream --------------------------------------------------------------------
    async def _read_loop(self, stream) -> None:
        try:
            while True:
                message = await stream.receive()
                if message is None:
                    break
                self._dispatch(message)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a broken stream must not take the peer down
            log.exception("chaincode %s stream failed", self.name)
        finally:
            self._fail_pending("the chaincode stream ended")
            self._stream = None
            if self._writer is not None:
                self._writer.cancel()

    def _dispatch(self, message: Message) -> None:
        kind = message.type
        if kind == T.KEEPALIVE:
            return  # the chaincode may ping; the peer does not answer with one of its own
        entry = self._pending.get((message.channel_id, message.txid))
        if kind in (T.COMPLETED, T.ERROR):
            if entry is not None and not entry[0].done():
                entry[0].set_result(message)
            return
        if entry is None:
            self._reply_error(message, f"[{message.txid[:8]}] no transaction context for {T.Name(kind)}")
            return
        ctx = entry[1]
        if kind == T.INVOKE_CHAINCODE:
            task = asyncio.create_task(self._invoke(message, ctx))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        try:
            payload = self._serve(kind, message.payload, ctx)
        except SimulationError as exc:
            self._reply_error(message, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - malformed payloads come back as ERROR, as on a real peer
            self._reply_error(message, f"{T.Name(kind)} failed: {exc}")
            return
        self._send(Message(type=T.RESPONSE, payload=payload, txid=message.txid, channel_id=message.channel_id))

    def _send(self, message: Message) -> None:
        if self._outbox is not None and self._stream is not None:
            self._outbox.put_nowait(message)  # else the stream is gone: the chaincode cannot read it

    async def _write_loop(self, stream, outbox: asyncio.Queue) -> None:
        try:
            while True:
                await stream.send(await outbox.get())
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the reader notices the broken stream and fails pending work
            log.exception("chaincode %s: sending failed", self.name)

    def _reply_error(self, request: Message, text: str) -> None:
        self._send(Message(type=T.ERROR, payload=text.encode(), txid=request.txid, channel_id=request.channel_id))

    # -- state requests ------------------------------------------------------------------------
    def _serve(self, kind: int, payload: bytes, ctx: TxContext) -> bytes:
        sim, ns = ctx.simulator, ctx.namespace
        if kind == T.GET_STATE:
            req = chaincode_shim_pb2.GetState.FromString(payload)
            if req.collection:
                return sim.get_private(ns, req.collection, req.key)
            return sim.get_state(ns, req.key)
        if kind == T.PUT_STATE:
            req = chaincode_shim_pb2.PutState.FromString(payload)
            if req.collection:
                sim.put_private(ns, req.collection, req.key, req.value)
            else:
                sim.put_state(ns, req.key, req.value)
            return b""
        if kind == T.DEL_STATE:
            req = chaincode_shim_pb2.DelState.FromString(payload)
            if req.collection:
                sim.put_private(ns, req.collection, req.key, None)
            else:
                sim.del_state(ns, req.key)
            return b""
        if kind == T.GET_PRIVATE_DATA_HASH:
            req = chaincode_shim_pb2.GetState.FromString(payload)
            return sim.get_private_hash(ns, req.collection, req.key)
        if kind == T.GET_STATE_BY_RANGE:
            req = chaincode_shim_pb2.GetStateByRange.FromString(payload)
            metadata = chaincode_shim_pb2.QueryMetadata.FromString(req.metadata)
            if req.collection:
                # As in Fabric, private ranges ignore pagination metadata and iterate in batches.
                query = sim.private_range(ns, req.collection, req.startKey, req.endKey)
            elif metadata.pageSize or metadata.bookmark:
                return self._paginated(sim, ns, req, metadata)
            else:
                query = sim.range_query(ns, req.startKey, req.endKey)
            return self._page(ctx, uuid.uuid4().hex, _Iterator(range=query))
        if kind == T.QUERY_STATE_NEXT:
            req = chaincode_shim_pb2.QueryStateNext.FromString(payload)
            iterator = ctx.iterators.get(req.id)
            if iterator is None:
                raise SimulationError(f"query iterator {req.id} not found")
            return self._page(ctx, req.id, iterator)
        if kind == T.QUERY_STATE_CLOSE:
            req = chaincode_shim_pb2.QueryStateClose.FromString(payload)
            ctx.iterators.pop(req.id, None)
            return chaincode_shim_pb2.QueryResponse(has_more=False, id=req.id).SerializeToString()
        if kind == T.GET_HISTORY_FOR_KEY:
            req = chaincode_shim_pb2.GetHistoryForKey.FromString(payload)
            modifications = [
                kv_query_result_pb2.KeyModification(
                    tx_id=entry.tx_id,
                    value=entry.value,
                    is_delete=entry.is_delete,
                    timestamp=Timestamp(seconds=entry.seconds, nanos=entry.nanos),
                ).SerializeToString()
                for entry in sim.history(ns, req.key)
            ]
            return self._page(ctx, uuid.uuid4().hex, _Iterator(history=modifications))
        if kind == T.GET_STATE_METADATA:
            req = chaincode_shim_pb2.GetStateMetadata.FromString(payload)
            if req.collection:
                raise SimulationError("private data metadata is not supported by the dev peer")
            entries = sim.get_state_metadata(ns, req.key)
            return chaincode_shim_pb2.StateMetadataResult(
                entries=[chaincode_shim_pb2.StateMetadata(metakey=k, value=v) for k, v in entries]
            ).SerializeToString()
        if kind == T.PUT_STATE_METADATA:
            req = chaincode_shim_pb2.PutStateMetadata.FromString(payload)
            if req.collection:
                raise SimulationError("private data metadata is not supported by the dev peer")
            sim.put_state_metadata(ns, req.key, req.metadata.metakey, req.metadata.value)
            return b""
        if kind == T.GET_QUERY_RESULT:
            raise SimulationError(
                "GetQueryResult (rich query) is not supported: the dev peer keeps state in SQLite, "
                "like a LevelDB peer; use key or range queries"
            )
        if kind == T.PURGE_PRIVATE_DATA:
            raise SimulationError("PurgePrivateData is not supported by the dev peer")
        raise SimulationError(f"message type {T.Name(kind)} is not supported by the dev peer")

    @staticmethod
    def _paginated(sim: TxSimulator, ns: str, req, metadata) -> bytes:
        """A whole page in one response, has_more false, with QueryResponseMetadata: Fabric's
        handler neither batches a paginated page nor keeps its iterator open."""
        page = sim.paginated_range(ns, req.startKey, req.endKey, metadata.pageSize, metadata.bookmark)
        return chaincode_shim_pb2.QueryResponse(
            results=[
                chaincode_shim_pb2.QueryResultBytes(
                    resultBytes=kv_query_result_pb2.KV(namespace=ns, key=k, value=v).SerializeToString()
                )
                for k, v in page.items
            ],
            has_more=False,
            id=uuid.uuid4().hex,
            metadata=chaincode_shim_pb2.QueryResponseMetadata(
                fetched_records_count=len(page.items), bookmark=page.bookmark
            ).SerializeToString(),
        ).SerializeToString()

    def _page(self, ctx: TxContext, iterator_id: str, iterator: _Iterator) -> bytes:
        if iterator.range is not None:
            batch, more = iterator.range.next_batch(ctx.ledger)
            namespace = iterator.range.namespace
            results = [
                chaincode_shim_pb2.QueryResultBytes(
                    resultBytes=kv_query_result_pb2.KV(namespace=namespace, key=k, value=v).SerializeToString()
                )
                for k, v in batch
            ]
        else:
            assert iterator.history is not None
            page, iterator.history = iterator.history[:RANGE_BATCH], iterator.history[RANGE_BATCH:]
            more = bool(iterator.history)
            results = [chaincode_shim_pb2.QueryResultBytes(resultBytes=b) for b in page]
        if more:
            ctx.iterators[iterator_id] = iterator
        else:
            ctx.iterators.pop(iterator_id, None)
        return chaincode_shim_pb2.QueryResponse(results=results, has_more=more, id=iterator_id).SerializeToString()

    # -- chaincode to chaincode ----------------------------------------------------------------
    async def _invoke(self, request: Message, ctx: TxContext) -> None:
        try:
            spec = chaincode_pb2.ChaincodeSpec.FromString(request.payload)
            target, _, channel = spec.chaincode_id.name.partition("/")
            target = target.split(":", 1)[0]
            if channel and channel != ctx.channel_id:
                raise SimulationError("invoking a chaincode on another channel is not supported by the dev peer")
            if target == self.name:
                raise SimulationError(f"chaincode {self.name} cannot invoke itself")
            if ctx.invoker is None:
                raise SimulationError("chaincode to chaincode invocation is not available here")
            reply = await ctx.invoker(target, spec.input, ctx)
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the calling chaincode
            self._reply_error(request, str(exc))
            return
        self._send(
            Message(type=T.RESPONSE, payload=reply.SerializeToString(), txid=request.txid, channel_id=request.channel_id)
        )
