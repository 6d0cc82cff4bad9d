"""Results of range, composite key, rich and history queries.

The peer returns query results in batches (QueryResponse, at most 100 records unless paginated)
and keeps an iterator open on its side while `has_more` is set; the next batch is fetched with
QUERY_STATE_NEXT and an abandoned iterator is released with QUERY_STATE_CLOSE.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.peer import chaincode_shim_pb2

from chaincode.runtime.proposal import Timestamp

Message = chaincode_shim_pb2.ChaincodeMessage


@dataclass(frozen=True, slots=True)
class KV:
    key: str
    value: bytes


@dataclass(frozen=True, slots=True)
class KeyModification:
    tx_id: str
    value: bytes
    timestamp: Timestamp
    is_delete: bool


@dataclass(frozen=True, slots=True)
class QueryPage[T]:
    """One page of a paginated query; pass `bookmark` to the next call to continue."""

    records: list[T]
    bookmark: str
    fetched_records_count: int


class Asker(Protocol):
    async def __call__(self, message_type: int, payload: bytes) -> bytes: ...


def decode_kv(data: bytes) -> KV:
    kv = kv_query_result_pb2.KV.FromString(data)
    return KV(kv.key, bytes(kv.value))


def decode_key_modification(data: bytes) -> KeyModification:
    km = kv_query_result_pb2.KeyModification.FromString(data)
    return KeyModification(km.tx_id, bytes(km.value), Timestamp(km.timestamp.seconds, km.timestamp.nanos), km.is_delete)


class QueryIterator[T]:
    """Async iterator over a peer-side query; the query is only sent when iteration starts.

    Use `async for` to read everything, or `async with` when you may stop early, so the peer's
    iterator is closed.
    """

    def __init__(self, ask: Asker, open_query: Callable[[], Awaitable[bytes]], decode: Callable[[bytes], T]):
        self._ask = ask
        self._open_query = open_query
        self._decode = decode
        self._batch: list[bytes] = []
        self._position = 0
        self._query_id = ""
        self._has_more = True
        self._started = False
        self._closed = False

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while self._position >= len(self._batch):
            if self._closed or not self._has_more:
                raise StopAsyncIteration
            if self._started:
                payload = await self._ask(Message.QUERY_STATE_NEXT, _next_request(self._query_id))
            else:
                self._started = True
                payload = await self._open_query()
            self._accept(chaincode_shim_pb2.QueryResponse.FromString(payload))
        record = self._batch[self._position]
        self._position += 1
        return self._decode(record)

    async def close(self) -> None:
        # The peer frees its iterator by itself once it has sent the last batch (has_more false).
        if self._closed:
            return
        self._closed = True
        if self._started and self._has_more:
            request = chaincode_shim_pb2.QueryStateClose(id=self._query_id).SerializeToString()
            await self._ask(Message.QUERY_STATE_CLOSE, request)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _accept(self, response: chaincode_shim_pb2.QueryResponse) -> None:
        self._batch = [result.resultBytes for result in response.results]
        self._position = 0
        self._has_more = response.has_more
        self._query_id = response.id


async def read_page[T](ask: Asker, first_payload: bytes, decode: Callable[[bytes], T]) -> QueryPage[T]:
    """Collect a paginated query's page; its metadata (bookmark, count) comes with the first batch."""
    response = chaincode_shim_pb2.QueryResponse.FromString(first_payload)
    metadata = chaincode_shim_pb2.QueryResponseMetadata.FromString(response.metadata)
    records = [decode(result.resultBytes) for result in response.results]
    while response.has_more:
        payload = await ask(Message.QUERY_STATE_NEXT, _next_request(response.id))
        response = chaincode_shim_pb2.QueryResponse.FromString(payload)
        records.extend(decode(result.resultBytes) for result in response.results)
    return QueryPage(records, metadata.bookmark, metadata.fetched_records_count)


def _next_request(query_id: str) -> bytes:
    return chaincode_shim_pb2.QueryStateNext(id=query_id).SerializeToString()
