"""ChaincodeStub: what a chaincode can ask of the peer during one transaction.

Every ledger call becomes one request on the shim stream tagged with this transaction's id and
channel. Reads see committed state only (Fabric has no read-your-writes inside a transaction).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property

from fabric_protos.peer import chaincode_event_pb2, chaincode_pb2, chaincode_shim_pb2, proposal_response_pb2

from chaincode.runtime import keys
from chaincode.runtime.errors import PeerError, ProtocolError
from chaincode.runtime.identity import ClientIdentity
from chaincode.runtime.proposal import Creator, ProposalInfo, Timestamp
from chaincode.runtime.queries import (
    KV,
    Asker,
    KeyModification,
    QueryIterator,
    QueryPage,
    decode_key_modification,
    decode_kv,
    read_page,
)
from chaincode.runtime.response import Response

Message = chaincode_shim_pb2.ChaincodeMessage

VALIDATION_PARAMETER = "VALIDATION_PARAMETER"


class ChaincodeStub:
    def __init__(
        self,
        ask: Asker,
        channel_id: str,
        tx_id: str,
        args: Sequence[bytes],
        proposal: ProposalInfo | None = None,
    ):
        self._ask = ask
        self.channel_id = channel_id
        self.tx_id = tx_id
        self.args: tuple[bytes, ...] = tuple(args)
        self._proposal = proposal
        self.event: chaincode_event_pb2.ChaincodeEvent | None = None

    # --- transaction facts -------------------------------------------------------------------

    @cached_property
    def string_args(self) -> tuple[str, ...]:
        return tuple(_decode_utf8(arg, f"argument {index}") for index, arg in enumerate(self.args))

    def function_and_parameters(self) -> tuple[str, list[str]]:
        if not self.args:
            return "", []
        function, *parameters = self.string_args
        return function, parameters

    @property
    def proposal(self) -> ProposalInfo:
        if self._proposal is None:
            raise ValueError("the peer sent this transaction without a signed proposal")
        return self._proposal

    @property
    def creator(self) -> Creator:
        return self.proposal.creator

    @cached_property
    def client_identity(self) -> ClientIdentity:
        return ClientIdentity.from_creator(self.creator)

    @property
    def transient(self) -> Mapping[str, bytes]:
        return self.proposal.transient

    @property
    def tx_timestamp(self) -> Timestamp:
        return self.proposal.timestamp

    @property
    def binding(self) -> bytes:
        return self.proposal.binding

    # --- public state --------------------------------------------------------------------------

    async def get_state(self, key: str) -> bytes | None:
        """The committed value, or None when the key does not exist."""
        return await self._get("", keys.validate_key(key))

    async def put_state(self, key: str, value: bytes | str) -> None:
        await self._put("", keys.validate_key(key), value)

    async def delete_state(self, key: str) -> None:
        await self._ask(Message.DEL_STATE, chaincode_shim_pb2.DelState(key=keys.validate_key(key)).SerializeToString())

    def get_state_by_range(self, start_key: str, end_key: str) -> QueryIterator[KV]:
        """Simple keys in [start_key, end_key); an empty bound means open-ended."""
        start, end = _simple_range(start_key, end_key)
        return self._range_iterator("", start, end)

    async def get_state_by_range_with_pagination(
        self, start_key: str, end_key: str, page_size: int, bookmark: str = ""
    ) -> QueryPage[KV]:
        start, end = _simple_range(start_key, end_key)
        return await self._range_page(start, end, page_size, bookmark)

    def get_state_by_partial_composite_key(self, object_type: str, attributes: Sequence[str]) -> QueryIterator[KV]:
        start, end = keys.partial_composite_key_range(object_type, attributes)
        return self._range_iterator("", start, end)

    async def get_state_by_partial_composite_key_with_pagination(
        self, object_type: str, attributes: Sequence[str], page_size: int, bookmark: str = ""
    ) -> QueryPage[KV]:
        start, end = keys.partial_composite_key_range(object_type, attributes)
        return await self._range_page(start, end, page_size, bookmark)

    def get_query_result(self, query: str) -> QueryIterator[KV]:
        """A rich (CouchDB selector) query; only peers with CouchDB state databases support it."""
        return self._query_iterator("", query)

    async def get_query_result_with_pagination(self, query: str, page_size: int, bookmark: str = "") -> QueryPage[KV]:
        request = chaincode_shim_pb2.GetQueryResult(query=query, metadata=_query_metadata(page_size, bookmark))
        payload = await self._ask(Message.GET_QUERY_RESULT, request.SerializeToString())
        return await read_page(self._ask, payload, decode_kv)

    def get_history_for_key(self, key: str) -> QueryIterator[KeyModification]:
        """Every committed change of the key, newest first."""
        request = chaincode_shim_pb2.GetHistoryForKey(key=keys.validate_key(key)).SerializeToString()
        return QueryIterator(
            self._ask, lambda: self._ask(Message.GET_HISTORY_FOR_KEY, request), decode_key_modification
        )

    @staticmethod
    def create_composite_key(object_type: str, attributes: Sequence[str]) -> str:
        return keys.create_composite_key(object_type, attributes)

    @staticmethod
    def split_composite_key(key: str) -> tuple[str, list[str]]:
        return keys.split_composite_key(key)

    # --- state metadata (key-level endorsement policies) ---------------------------------------

    async def get_state_metadata(self, key: str) -> dict[str, bytes]:
        return await self._get_metadata("", keys.validate_key(key))

    async def set_state_metadata(self, key: str, metakey: str, value: bytes) -> None:
        await self._put_metadata("", keys.validate_key(key), metakey, value)

    async def get_state_validation_parameter(self, key: str) -> bytes | None:
        return (await self.get_state_metadata(key)).get(VALIDATION_PARAMETER)

    async def set_state_validation_parameter(self, key: str, policy: bytes) -> None:
        await self.set_state_metadata(key, VALIDATION_PARAMETER, policy)

    # --- private data --------------------------------------------------------------------------

    async def get_private_data(self, collection: str, key: str) -> bytes | None:
        return await self._get(_collection(collection), keys.validate_key(key))

    async def put_private_data(self, collection: str, key: str, value: bytes | str) -> None:
        await self._put(_collection(collection), keys.validate_key(key), value)

    async def delete_private_data(self, collection: str, key: str) -> None:
        request = chaincode_shim_pb2.DelState(key=keys.validate_key(key), collection=_collection(collection))
        await self._ask(Message.DEL_STATE, request.SerializeToString())

    async def purge_private_data(self, collection: str, key: str) -> None:
        request = chaincode_shim_pb2.PurgePrivateState(key=keys.validate_key(key), collection=_collection(collection))
        await self._ask(Message.PURGE_PRIVATE_DATA, request.SerializeToString())

    async def get_private_data_hash(self, collection: str, key: str) -> bytes | None:
        """SHA-256 of the private value; readable by channel members outside the collection too."""
        request = chaincode_shim_pb2.GetState(key=keys.validate_key(key), collection=_collection(collection))
        value = await self._ask(Message.GET_PRIVATE_DATA_HASH, request.SerializeToString())
        return value or None

    def get_private_data_by_range(self, collection: str, start_key: str, end_key: str) -> QueryIterator[KV]:
        start, end = _simple_range(start_key, end_key)
        return self._range_iterator(_collection(collection), start, end)

    def get_private_data_by_partial_composite_key(
        self, collection: str, object_type: str, attributes: Sequence[str]
    ) -> QueryIterator[KV]:
        start, end = keys.partial_composite_key_range(object_type, attributes)
        return self._range_iterator(_collection(collection), start, end)

    def get_private_data_query_result(self, collection: str, query: str) -> QueryIterator[KV]:
        return self._query_iterator(_collection(collection), query)

    async def get_private_data_metadata(self, collection: str, key: str) -> dict[str, bytes]:
        return await self._get_metadata(_collection(collection), keys.validate_key(key))

    async def set_private_data_metadata(self, collection: str, key: str, metakey: str, value: bytes) -> None:
        await self._put_metadata(_collection(collection), keys.validate_key(key), metakey, value)

    async def get_private_data_validation_parameter(self, collection: str, key: str) -> bytes | None:
        return (await self.get_private_data_metadata(collection, key)).get(VALIDATION_PARAMETER)

    async def set_private_data_validation_parameter(self, collection: str, key: str, policy: bytes) -> None:
        await self.set_private_data_metadata(collection, key, VALIDATION_PARAMETER, policy)

    # --- events and chaincode-to-chaincode calls ------------------------------------------------

    def set_event(self, name: str, payload: bytes | str = b"") -> None:
        """Attach one event to the transaction; a later call replaces it (Fabric allows one)."""
        if not isinstance(name, str) or not name:
            raise ValueError("event name must be a non-empty string")
        data = payload.encode() if isinstance(payload, str) else payload
        if not isinstance(data, bytes):
            raise TypeError(f"event payload must be bytes or str, got {type(payload).__name__}")
        self.event = chaincode_event_pb2.ChaincodeEvent(event_name=name, payload=data)

    async def invoke_chaincode(
        self, chaincode_name: str, args: Sequence[bytes | str], channel: str | None = None
    ) -> Response:
        """Call another chaincode on the same peer (same channel unless `channel` is given)."""
        if not chaincode_name:
            raise ValueError("chaincode name must not be empty")
        target = f"{chaincode_name}/{channel}" if channel else chaincode_name
        spec = chaincode_pb2.ChaincodeSpec(
            chaincode_id=chaincode_pb2.ChaincodeID(name=target),
            input=chaincode_pb2.ChaincodeInput(args=[a.encode() if isinstance(a, str) else a for a in args]),
        )
        payload = await self._ask(Message.INVOKE_CHAINCODE, spec.SerializeToString())
        # The peer wraps the callee's final message (COMPLETED or ERROR) in its RESPONSE.
        outcome = Message.FromString(payload)
        if outcome.type == Message.COMPLETED:
            return Response.from_proto(proposal_response_pb2.Response.FromString(outcome.payload))
        if outcome.type == Message.ERROR:
            raise PeerError(f"chaincode {target!r} failed: {outcome.payload.decode('utf-8', 'replace')}")
        raise ProtocolError(f"unexpected {Message.Type.Name(outcome.type)} as the result of invoking {target!r}")

    # --- plumbing ------------------------------------------------------------------------------

    async def _get(self, collection: str, key: str) -> bytes | None:
        request = chaincode_shim_pb2.GetState(key=key, collection=collection)
        value = await self._ask(Message.GET_STATE, request.SerializeToString())
        return value or None

    async def _put(self, collection: str, key: str, value: bytes | str) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else value
        if not isinstance(data, bytes):
            raise TypeError(f"value for {key!r} must be bytes or str, got {type(value).__name__}")
        if not data:
            # The ledger stores an empty value as a delete; say so rather than delete silently.
            raise ValueError(f"value for {key!r} is empty; use delete to remove a key")
        request = chaincode_shim_pb2.PutState(key=key, value=data, collection=collection)
        await self._ask(Message.PUT_STATE, request.SerializeToString())

    async def _get_metadata(self, collection: str, key: str) -> dict[str, bytes]:
        request = chaincode_shim_pb2.GetStateMetadata(key=key, collection=collection)
        payload = await self._ask(Message.GET_STATE_METADATA, request.SerializeToString())
        result = chaincode_shim_pb2.StateMetadataResult.FromString(payload)
        return {entry.metakey: bytes(entry.value) for entry in result.entries}

    async def _put_metadata(self, collection: str, key: str, metakey: str, value: bytes) -> None:
        if not metakey:
            raise ValueError("metadata key must not be empty")
        request = chaincode_shim_pb2.PutStateMetadata(
            key=key, collection=collection, metadata=chaincode_shim_pb2.StateMetadata(metakey=metakey, value=value)
        )
        await self._ask(Message.PUT_STATE_METADATA, request.SerializeToString())

    def _range_iterator(self, collection: str, start: str, end: str) -> QueryIterator[KV]:
        request = chaincode_shim_pb2.GetStateByRange(startKey=start, endKey=end, collection=collection)
        data = request.SerializeToString()
        return QueryIterator(self._ask, lambda: self._ask(Message.GET_STATE_BY_RANGE, data), decode_kv)

    async def _range_page(self, start: str, end: str, page_size: int, bookmark: str) -> QueryPage[KV]:
        request = chaincode_shim_pb2.GetStateByRange(
            startKey=start, endKey=end, metadata=_query_metadata(page_size, bookmark)
        )
        payload = await self._ask(Message.GET_STATE_BY_RANGE, request.SerializeToString())
        return await read_page(self._ask, payload, decode_kv)

    def _query_iterator(self, collection: str, query: str) -> QueryIterator[KV]:
        if not isinstance(query, str) or not query:
            raise ValueError("query must be a non-empty string")
        data = chaincode_shim_pb2.GetQueryResult(query=query, collection=collection).SerializeToString()
        return QueryIterator(self._ask, lambda: self._ask(Message.GET_QUERY_RESULT, data), decode_kv)


def _simple_range(start_key: str, end_key: str) -> tuple[str, str]:
    for bound, what in ((start_key, "start key"), (end_key, "end key")):
        if not isinstance(bound, str):
            raise TypeError(f"{what} must be a str, got {type(bound).__name__}")
        keys.validate_simple_key(bound, what)
    return start_key or keys.EMPTY_START_KEY_SUBSTITUTE, end_key


def _collection(collection: str) -> str:
    if not isinstance(collection, str) or not collection:
        raise ValueError("collection must be a non-empty string")
    return collection


def _query_metadata(page_size: int, bookmark: str) -> bytes:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size <= 0:
        raise ValueError(f"page size must be a positive int, got {page_size!r}")
    return chaincode_shim_pb2.QueryMetadata(pageSize=page_size, bookmark=bookmark).SerializeToString()


def _decode_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} is not valid UTF-8 (byte {exc.start})") from None
