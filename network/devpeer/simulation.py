"""Transaction simulation: what a chaincode reads and writes during endorsement, as a read-write set.

Fabric semantics: reads return COMMITTED state and record its version (no read-your-writes);
writes are last-wins with an empty value meaning delete; sets are sorted by key; range queries
record the keys they returned (RangeQueryInfo) so commit can detect phantoms; private data goes to
the public set only as SHA-256 hashes while the cleartext travels separately. A transaction may
run paginated queries or write, not both (Fabric's txSimulator rule, with its error messages); a
read-only transaction with paginated queries may still be submitted and is validated as usual.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2

from network.devpeer.collections import Collection
from network.devpeer.ledger import HistoryEntry, Ledger, Version

__all__ = ["SimulationError", "TxSimulator", "RangeQuery", "RangePage", "SimulationResults", "RANGE_BATCH", "TOTAL_QUERY_LIMIT"]

RANGE_BATCH = 100  # the shim's default page of range query results
TOTAL_QUERY_LIMIT = 100_000  # core.yaml ledger.state.totalQueryLimit: the largest page a query returns


class SimulationError(Exception):
    """The chaincode asked for something the peer refuses; the message goes back as ERROR."""


def _version(version: Version | None) -> kv_rwset_pb2.Version | None:
    return None if version is None else kv_rwset_pb2.Version(block_num=version[0], tx_num=version[1])


def _read(key: str, version: Version | None) -> kv_rwset_pb2.KVRead:
    read = kv_rwset_pb2.KVRead(key=key)
    if version is not None:
        read.version.CopyFrom(_version(version))
    return read


@dataclass
class RangeQuery:
    """A live range iterator: pages through committed state, recording what it hands out."""

    namespace: str
    start: str
    end: str
    info: kv_rwset_pb2.RangeQueryInfo | None  # None for private ranges (Fabric records none)
    collection: str = ""
    _after: str | None = None
    done: bool = False

    def next_batch(self, ledger: Ledger) -> tuple[list[tuple[str, bytes]], bool]:
        """Up to RANGE_BATCH (key, value) pairs and whether more remain."""
        if self.done:
            return [], False
        if self.collection:
            rows = ledger.private_range(
                self.namespace, self.collection, self.start, self.end, after=self._after, limit=RANGE_BATCH + 1
            )
            items = [(k, v, None) for k, v in rows]
        else:
            rows = ledger.range(self.namespace, self.start, self.end, after=self._after, limit=RANGE_BATCH + 1)
            items = [(k, v.value, v.version) for k, v in rows]
        batch, more = items[:RANGE_BATCH], len(items) > RANGE_BATCH
        if self.info is not None:
            self.info.raw_reads.kv_reads.extend(_read(k, v) for k, _, v in batch)
        if batch:
            self._after = batch[-1][0]
        if not more:
            self.done = True
            if self.info is not None:
                self.info.itr_exhausted = True
        return [(k, v) for k, v, _ in batch], more


@dataclass(frozen=True)
class RangePage:
    """One page of a paginated range query, as Fabric's handler returns it in a single response."""

    items: list[tuple[str, bytes]]
    bookmark: str  # the first key of the next page, "" when the range is done


@dataclass(frozen=True)
class SimulationResults:
    public: bytes  # serialized TxReadWriteSet
    private: rwset_pb2.TxPvtReadWriteSet | None  # cleartext private writes, None when there are none
    written_collections: frozenset[tuple[str, str]]  # (namespace, collection)
    written_namespaces: frozenset[str]


@dataclass
class _Namespace:
    reads: dict[str, Version | None] = field(default_factory=dict)
    writes: dict[str, bytes | None] = field(default_factory=dict)
    metadata_writes: dict[str, dict[str, bytes]] = field(default_factory=dict)
    ranges: list[kv_rwset_pb2.RangeQueryInfo] = field(default_factory=list)
    # collection -> key hash -> version
    hashed_reads: dict[str, dict[bytes, Version | None]] = field(default_factory=dict)
    # collection -> key -> value or None
    private_writes: dict[str, dict[str, bytes | None]] = field(default_factory=dict)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class TxSimulator:
    def __init__(
        self,
        ledger: Ledger,
        creator_msp_id: str,
        collections: Mapping[str, Mapping[str, Collection]],
        *,
        tx_id: str = "",
    ) -> None:
        self._ledger = ledger
        self._creator_msp_id = creator_msp_id
        self._collections = collections
        self._tx_id = tx_id
        self._namespaces: dict[str, _Namespace] = {}
        # Fabric's txSimulator keeps paginated queries and writes apart: a paginated page is
        # only meaningful to a read-only transaction (its bookmark says nothing about later writes).
        self._write_performed = False
        self._paginated_performed = False

    def _before_write(self) -> None:
        if self._paginated_performed:
            # Fabric's own wording, typo included, so clients matching on it behave the same.
            raise SimulationError(
                f"txid [{self._tx_id}]: unsuppored transaction. Transaction has already performed a paginated "
                "query. Writes are not allowed"
            )
        self._write_performed = True

    def _ns(self, namespace: str) -> _Namespace:
        ns = self._namespaces.get(namespace)
        if ns is None:
            ns = self._namespaces[namespace] = _Namespace()
        return ns

    # -- public state ---------------------------------------------------------------------------
    def get_state(self, namespace: str, key: str) -> bytes:
        _check_key(key)
        value = self._ledger.get_state(namespace, key)
        self._ns(namespace).reads[key] = None if value is None else value.version
        return b"" if value is None else value.value

    def put_state(self, namespace: str, key: str, value: bytes) -> None:
        _check_key(key)
        self._before_write()
        self._ns(namespace).writes[key] = value if value else None

    def del_state(self, namespace: str, key: str) -> None:
        _check_key(key)
        self._before_write()
        self._ns(namespace).writes[key] = None

    def get_state_metadata(self, namespace: str, key: str) -> list[tuple[str, bytes]]:
        _check_key(key)
        value = self._ledger.get_state(namespace, key)
        self._ns(namespace).reads[key] = None if value is None else value.version
        if value is None or not value.metadata:
            return []
        stored = kv_rwset_pb2.KVMetadataWrite.FromString(value.metadata)
        return [(entry.name, entry.value) for entry in stored.entries]

    def put_state_metadata(self, namespace: str, key: str, name: str, value: bytes) -> None:
        _check_key(key)
        self._before_write()
        # Fabric's handler replaces the key's metadata with this single entry for the transaction.
        self._ns(namespace).metadata_writes[key] = {name: value}

    def range_query(self, namespace: str, start: str, end: str) -> RangeQuery:
        info = kv_rwset_pb2.RangeQueryInfo(start_key=start, end_key=end)
        info.raw_reads.SetInParent()
        self._ns(namespace).ranges.append(info)
        return RangeQuery(namespace, start, end, info)

    def paginated_range(self, namespace: str, start: str, end: str, page_size: int, bookmark: str) -> RangePage:
        """Fabric's GetStateRangeScanIteratorWithPagination as the handler drives it: the page
        starts at the bookmark (a key, inclusive) when one is given, holds up to `page_size` keys
        (no positive size = up to the total query limit), and its bookmark is the key that follows.
        The keys read are recorded for phantom detection like any range query's."""
        if self._write_performed:
            raise SimulationError(
                f"txid [{self._tx_id}]: unsuppored transaction. Paginated queries are supported only in a "
                "read-only transaction"
            )
        self._paginated_performed = True
        first = bookmark or start
        limit = page_size if 0 < page_size < TOTAL_QUERY_LIMIT else TOTAL_QUERY_LIMIT
        rows = self._ledger.range(namespace, first, end, limit=limit + 1)
        page = rows[:limit]
        info = kv_rwset_pb2.RangeQueryInfo(start_key=first)
        info.raw_reads.kv_reads.extend(_read(key, value.version) for key, value in page)
        # A full page never asks the iterator for more, so Fabric leaves it unexhausted and records
        # the last key returned as the range's end; a short page ran off the end of the range.
        info.itr_exhausted = len(page) < limit
        info.end_key = end if info.itr_exhausted or not page else page[-1][0]
        self._ns(namespace).ranges.append(info)
        next_key = rows[limit][0] if len(rows) > limit else ""
        return RangePage([(key, value.value) for key, value in page], next_key)

    def history(self, namespace: str, key: str) -> list[HistoryEntry]:
        _check_key(key)
        return self._ledger.history(namespace, key)

    # -- private data ---------------------------------------------------------------------------
    def _collection(self, namespace: str, name: str) -> Collection:
        collection = self._collections.get(namespace, {}).get(name)
        if collection is None:
            raise SimulationError(f"collection {name} not defined in the collection config for chaincode {namespace}")
        return collection

    def _record_hashed_read(self, namespace: str, collection: str, key_hash: bytes) -> bytes | None:
        found = self._ledger.get_private_hash(namespace, collection, key_hash)
        self._ns(namespace).hashed_reads.setdefault(collection, {})[key_hash] = None if found is None else found[1]
        return None if found is None else found[0]

    def get_private(self, namespace: str, collection: str, key: str) -> bytes:
        _check_key(key)
        coll = self._collection(namespace, collection)
        if coll.member_only_read and not coll.is_member(self._creator_msp_id):
            raise SimulationError(
                f"tx creator does not have read access permission on privatedata in chaincodeName:{namespace} "
                f"collectionName: {collection}"
            )
        self._record_hashed_read(namespace, collection, _sha256(key.encode()))
        found = self._ledger.get_private(namespace, collection, key)
        return b"" if found is None else found[0]

    def get_private_hash(self, namespace: str, collection: str, key: str) -> bytes:
        _check_key(key)
        self._collection(namespace, collection)
        return self._record_hashed_read(namespace, collection, _sha256(key.encode())) or b""

    def put_private(self, namespace: str, collection: str, key: str, value: bytes | None) -> None:
        _check_key(key)
        coll = self._collection(namespace, collection)
        if coll.member_only_write and not coll.is_member(self._creator_msp_id):
            raise SimulationError(
                f"tx creator does not have write access permission on privatedata in chaincodeName:{namespace} "
                f"collectionName: {collection}"
            )
        self._before_write()
        self._ns(namespace).private_writes.setdefault(collection, {})[key] = value or None

    def private_range(self, namespace: str, collection: str, start: str, end: str) -> RangeQuery:
        coll = self._collection(namespace, collection)
        if coll.member_only_read and not coll.is_member(self._creator_msp_id):
            raise SimulationError(
                f"tx creator does not have read access permission on privatedata in chaincodeName:{namespace} "
                f"collectionName: {collection}"
            )
        return RangeQuery(namespace, start, end, None, collection=collection)

    # -- results --------------------------------------------------------------------------------
    def results(self) -> SimulationResults:
        public = rwset_pb2.TxReadWriteSet(data_model=rwset_pb2.TxReadWriteSet.KV)
        private = rwset_pb2.TxPvtReadWriteSet(data_model=rwset_pb2.TxReadWriteSet.KV)
        written_collections: set[tuple[str, str]] = set()
        written_namespaces: set[str] = set()
        for namespace in sorted(self._namespaces):
            ns = self._namespaces[namespace]
            kv = kv_rwset_pb2.KVRWSet(
                reads=[_read(k, ns.reads[k]) for k in sorted(ns.reads)],
                range_queries_info=ns.ranges,
                writes=[
                    kv_rwset_pb2.KVWrite(key=k, is_delete=ns.writes[k] is None, value=ns.writes[k] or b"")
                    for k in sorted(ns.writes)
                ],
                metadata_writes=[
                    kv_rwset_pb2.KVMetadataWrite(
                        key=k,
                        entries=[kv_rwset_pb2.KVMetadataEntry(name=n, value=v) for n, v in sorted(entries.items())],
                    )
                    for k, entries in sorted(ns.metadata_writes.items())
                ],
            )
            if ns.writes or ns.metadata_writes:
                written_namespaces.add(namespace)
            ns_set = rwset_pb2.NsReadWriteSet(namespace=namespace, rwset=kv.SerializeToString(deterministic=True))
            ns_private = rwset_pb2.NsPvtReadWriteSet(namespace=namespace)
            for collection in sorted(set(ns.hashed_reads) | set(ns.private_writes)):
                reads = ns.hashed_reads.get(collection, {})
                writes = ns.private_writes.get(collection, {})
                hashed = kv_rwset_pb2.HashedRWSet(
                    hashed_reads=[
                        _hashed_read(key_hash, reads[key_hash]) for key_hash in sorted(reads)
                    ],
                    hashed_writes=sorted(
                        (
                            kv_rwset_pb2.KVWriteHash(
                                key_hash=_sha256(k.encode()),
                                is_delete=v is None,
                                value_hash=b"" if v is None else _sha256(v),
                            )
                            for k, v in writes.items()
                        ),
                        key=lambda w: w.key_hash,
                    ),
                )
                coll_set = rwset_pb2.CollectionHashedReadWriteSet(
                    collection_name=collection, hashed_rwset=hashed.SerializeToString(deterministic=True)
                )
                if writes:
                    pvt_kv = kv_rwset_pb2.KVRWSet(
                        writes=[
                            kv_rwset_pb2.KVWrite(key=k, is_delete=writes[k] is None, value=writes[k] or b"")
                            for k in sorted(writes)
                        ]
                    ).SerializeToString(deterministic=True)
                    coll_set.pvt_rwset_hash = _sha256(pvt_kv)
                    ns_private.collection_pvt_rwset.append(
                        rwset_pb2.CollectionPvtReadWriteSet(collection_name=collection, rwset=pvt_kv)
                    )
                    written_collections.add((namespace, collection))
                ns_set.collection_hashed_rwset.append(coll_set)
            public.ns_rwset.append(ns_set)
            if ns_private.collection_pvt_rwset:
                private.ns_pvt_rwset.append(ns_private)
        return SimulationResults(
            public=public.SerializeToString(deterministic=True),
            private=private if private.ns_pvt_rwset else None,
            written_collections=frozenset(written_collections),
            written_namespaces=frozenset(written_namespaces),
        )


def _hashed_read(key_hash: bytes, version: Version | None) -> kv_rwset_pb2.KVReadHash:
    read = kv_rwset_pb2.KVReadHash(key_hash=key_hash)
    if version is not None:
        read.version.CopyFrom(_version(version))
    return read


def _check_key(key: str) -> None:
    if not key:
        raise SimulationError("key must not be an empty string")
