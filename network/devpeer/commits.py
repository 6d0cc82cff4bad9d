"""Where committed transactions are announced: CommitStatus waiters and pending private data."""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from fabric_protos.ledger.rwset import rwset_pb2

from network.devpeer.ledger import Ledger, TxRecord

__all__ = ["CommitTracker", "TransientStore"]


class CommitTracker:
    """CommitStatus blocks until the transaction is in a committed block, like a real gateway."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._waiters: dict[str, list[asyncio.Future[TxRecord]]] = {}

    async def wait(self, tx_id: str) -> TxRecord:
        # Both this check and `committed` run on the event loop, so no commit slips between them.
        record = self._ledger.transaction(tx_id)
        if record is not None:
            # Read back from disk, so checked against its block's filter (LedgerCorrupt if not).
            self._ledger.block(record.block_number)
            return record
        future: asyncio.Future[TxRecord] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(tx_id, []).append(future)
        try:
            return await future
        finally:
            waiters = self._waiters.get(tx_id)
            if waiters is not None:
                if future in waiters:
                    waiters.remove(future)
                if not waiters:
                    del self._waiters[tx_id]

    def committed(self, block_number: int, tx_ids: list[str], codes: bytes) -> None:
        for index, tx_id in enumerate(tx_ids):
            waiters = self._waiters.pop(tx_id, None)
            for future in waiters or ():
                if not future.done():
                    future.set_result(TxRecord(block_number, index, codes[index]))


class TransientStore:
    """Cleartext private writes from endorsement, kept until their transaction commits."""

    def __init__(self, limit: int = 20_000) -> None:
        self._limit = limit
        self._entries: OrderedDict[str, rwset_pb2.TxPvtReadWriteSet] = OrderedDict()

    def put(self, tx_id: str, private: rwset_pb2.TxPvtReadWriteSet) -> None:
        self._entries[tx_id] = private
        while len(self._entries) > self._limit:
            self._entries.popitem(last=False)  # an endorsement never submitted

    def get(self, tx_id: str) -> rwset_pb2.TxPvtReadWriteSet | None:
        return self._entries.get(tx_id)

    def discard(self, tx_ids: list[str]) -> None:
        for tx_id in tx_ids:
            self._entries.pop(tx_id, None)
