"""The channel ledger in one SQLite file: blocks, transaction index, world state, history, private data.

One block and every state change it causes are written in ONE sqlite transaction, so a crash leaves
either the whole block or none of it. WAL mode lets simulations read while the committer writes.
Keys are stored as UTF-8 BLOBs so range scans order them bytewise, as Fabric's state databases do.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fabric_protos.common import common_pb2

from network.devpeer.blocks import header_hash
from network.devpeer.integrity import ChainBreak, read_block, walk_chain

__all__ = ["Ledger", "LedgerError", "LedgerCorrupt", "Version", "StateValue", "HistoryEntry", "BlockUpdates", "TxRecord",
           "verify_ledger_file"]

Version = tuple[int, int]  # (block number, transaction number inside the block)


class LedgerError(RuntimeError):
    """The ledger on disk is inconsistent or does not belong to this channel."""


class LedgerCorrupt(LedgerError):
    """A stored block, or the index beside it, no longer agrees with the chain: never serve it."""

    def __init__(self, path: Path, problem: object) -> None:
        super().__init__(f"ledger at {path} is corrupt: {problem}; restore it from a backup or another peer")


Progress = Callable[[int, int], None]


def _checked(path: Path, check: Callable[[], object]):
    try:
        return check()
    except ChainBreak as exc:
        raise LedgerCorrupt(path, exc) from None
    except sqlite3.OperationalError:
        raise  # locked, missing table: not a damaged file
    except sqlite3.DatabaseError as exc:  # "database disk image is malformed" and the like
        raise LedgerCorrupt(path, f"SQLite cannot read it ({exc})") from None


def verify_ledger_file(path: Path, progress: Progress | None = None) -> int:
    """Check a ledger file read-only (a running peer may be serving it); returns its block count."""
    path = Path(path)
    if not path.is_file():
        raise LedgerError(f"no dev peer ledger at {path}")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)

    def verify() -> int:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blocks'").fetchone() is None:
            raise LedgerError(f"{path} is not a dev peer ledger (it has no blocks table)")
        return walk_chain(conn, progress)

    try:
        return _checked(path, verify)
    except sqlite3.OperationalError as exc:
        raise LedgerError(f"cannot read the ledger at {path}: {exc}") from None
    finally:
        conn.close()


@dataclass(frozen=True)
class StateValue:
    value: bytes
    version: Version
    metadata: bytes  # serialized KVMetadataWrite entries, b"" when none


@dataclass(frozen=True)
class HistoryEntry:
    tx_id: str
    value: bytes
    is_delete: bool
    seconds: int
    nanos: int


@dataclass(frozen=True)
class TxRecord:
    block_number: int
    tx_number: int
    code: int


@dataclass
class BlockUpdates:
    """Everything the valid transactions of one block change; written together with the block."""

    # (namespace, key) -> (value or None for delete, version, metadata or None to keep existing)
    public: dict[tuple[str, str], tuple[bytes | None, Version, bytes | None]] = field(default_factory=dict)
    history: list[tuple[str, str, Version, str, bytes, bool, int, int]] = field(default_factory=list)
    # (namespace, collection, key hash) -> (value hash or None for delete, version)
    hashed: dict[tuple[str, str, bytes], tuple[bytes | None, Version]] = field(default_factory=dict)
    # (namespace, collection, key) -> (value or None for delete, version)
    private: dict[tuple[str, str, str], tuple[bytes | None, Version]] = field(default_factory=dict)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL, block BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
    tx_id TEXT PRIMARY KEY, block INTEGER NOT NULL, tx INTEGER NOT NULL, code INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (
    ns TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, block INTEGER NOT NULL, tx INTEGER NOT NULL,
    metadata BLOB NOT NULL DEFAULT x'', PRIMARY KEY (ns, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    ns TEXT NOT NULL, key BLOB NOT NULL, block INTEGER NOT NULL, tx INTEGER NOT NULL, tx_id TEXT NOT NULL,
    value BLOB NOT NULL, is_delete INTEGER NOT NULL, seconds INTEGER NOT NULL, nanos INTEGER NOT NULL,
    PRIMARY KEY (ns, key, block, tx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pvt_hash (
    ns TEXT NOT NULL, coll TEXT NOT NULL, key_hash BLOB NOT NULL, value_hash BLOB NOT NULL,
    block INTEGER NOT NULL, tx INTEGER NOT NULL, PRIMARY KEY (ns, coll, key_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pvt (
    ns TEXT NOT NULL, coll TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
    block INTEGER NOT NULL, tx INTEGER NOT NULL, PRIMARY KEY (ns, coll, key)
) WITHOUT ROWID;
"""


def _key(key: str) -> bytes:
    return key.encode("utf-8", "surrogatepass")


def _str(key: bytes) -> str:
    return key.decode("utf-8", "surrogatepass")


class Ledger:
    """Thread-aware: each thread gets its own connection (simulations read on the event loop,
    the committer writes from a worker thread)."""

    def __init__(self, path: Path, channel: str) -> None:
        self.path = Path(path)
        self.channel = channel
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _checked(self.path, self._open)

    def _open(self) -> None:
        conn = self._conn()
        conn.executescript(_SCHEMA)
        row = conn.execute("SELECT value FROM meta WHERE name = 'channel'").fetchone()
        if row is None:
            with conn:
                conn.execute("INSERT INTO meta VALUES ('channel', ?)", (self.channel,))
        elif row[0] != self.channel:
            raise LedgerError(f"ledger {self.path} belongs to channel {row[0]!r}, not {self.channel!r}")
        self._height, self._last_hash = self._read_tip(conn)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a block reported committed survives power loss too, not just a killed process.
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
            conns = self.__dict__.setdefault("_all_conns", [])
            conns.append(conn)
        return conn

    def close(self) -> None:
        for conn in self.__dict__.get("_all_conns", []):
            conn.close()
        self.__dict__["_all_conns"] = []
        self._local = threading.local()

    @staticmethod
    def _read_tip(conn: sqlite3.Connection) -> tuple[int, bytes]:
        row = conn.execute("SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1").fetchone()
        return (0, b"") if row is None else (row[0] + 1, row[1])

    # -- chain -------------------------------------------------------------------------------
    @property
    def height(self) -> int:
        return self._height

    @property
    def last_hash(self) -> bytes:
        return self._last_hash

    def block(self, number: int) -> common_pb2.Block | None:
        """The stored block, checked again as it is read back: corruption after start is refused
        (LedgerCorrupt), not served."""
        block = _checked(self.path, lambda: read_block(self._conn(), number))
        if block is None and 0 <= number < self._height:
            raise LedgerCorrupt(self.path, f"block {number} is missing")  # below the height: it was committed
        return block

    def block_number_by_hash(self, block_hash: bytes) -> int | None:
        """The number of the block whose header hash is `block_hash` (read it with `block`)."""
        row = self._conn().execute("SELECT number FROM blocks WHERE hash = ?", (block_hash,)).fetchone()
        return None if row is None else row[0]

    def transaction(self, tx_id: str) -> TxRecord | None:
        row = self._conn().execute("SELECT block, tx, code FROM txs WHERE tx_id = ?", (tx_id,)).fetchone()
        return None if row is None else TxRecord(*row)

    def verify_chain(self, progress: Progress | None = None) -> int:
        """Check every block (numbering, links, data hashes, stored hashes, transaction filters
        against the index); LedgerCorrupt names the first block that fails. Returns the height."""
        return _checked(self.path, lambda: walk_chain(self._conn(), progress))

    # -- world state ---------------------------------------------------------------------------
    def get_state(self, ns: str, key: str) -> StateValue | None:
        row = self._conn().execute(
            "SELECT value, block, tx, metadata FROM state WHERE ns = ? AND key = ?", (ns, _key(key))
        ).fetchone()
        return None if row is None else StateValue(row[0], (row[1], row[2]), row[3])

    def get_version(self, ns: str, key: str) -> Version | None:
        row = self._conn().execute("SELECT block, tx FROM state WHERE ns = ? AND key = ?", (ns, _key(key))).fetchone()
        return None if row is None else (row[0], row[1])

    def range(
        self,
        ns: str,
        start: str,
        end: str,
        *,
        after: str | None = None,
        limit: int | None = None,
        end_inclusive: bool = False,
    ) -> list[tuple[str, StateValue]]:
        """Keys in [start, end) bytewise (strictly after `after` when given); empty end = unbounded."""
        sql = "SELECT key, value, block, tx, metadata FROM state WHERE ns = ?"
        params: list[object] = [ns]
        if after is not None:
            sql += " AND key > ?"
            params.append(_key(after))
        sql += " AND key >= ?"
        params.append(_key(start))
        if end:
            sql += " AND key <= ?" if end_inclusive else " AND key < ?"
            params.append(_key(end))
        sql += " ORDER BY key"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._conn().execute(sql, params).fetchall()
        return [(_str(key), StateValue(value, (block, tx), metadata)) for key, value, block, tx, metadata in rows]

    def history(self, ns: str, key: str) -> list[HistoryEntry]:
        rows = self._conn().execute(
            "SELECT tx_id, value, is_delete, seconds, nanos FROM history WHERE ns = ? AND key = ? "
            "ORDER BY block DESC, tx DESC",
            (ns, _key(key)),
        )
        return [HistoryEntry(tx_id, value, bool(is_delete), s, n) for tx_id, value, is_delete, s, n in rows]

    # -- private data --------------------------------------------------------------------------
    def get_private_hash(self, ns: str, coll: str, key_hash: bytes) -> tuple[bytes, Version] | None:
        row = self._conn().execute(
            "SELECT value_hash, block, tx FROM pvt_hash WHERE ns = ? AND coll = ? AND key_hash = ?",
            (ns, coll, key_hash),
        ).fetchone()
        return None if row is None else (row[0], (row[1], row[2]))

    def get_private(self, ns: str, coll: str, key: str) -> tuple[bytes, Version] | None:
        row = self._conn().execute(
            "SELECT value, block, tx FROM pvt WHERE ns = ? AND coll = ? AND key = ?", (ns, coll, _key(key))
        ).fetchone()
        return None if row is None else (row[0], (row[1], row[2]))

    def private_range(
        self, ns: str, coll: str, start: str, end: str, *, after: str | None = None, limit: int | None = None
    ) -> list[tuple[str, bytes]]:
        sql = "SELECT key, value FROM pvt WHERE ns = ? AND coll = ? AND key >= ?"
        params: list[object] = [ns, coll, _key(start)]
        if after is not None:
            sql += " AND key > ?"
            params.append(_key(after))
        if end:
            sql += " AND key < ?"
            params.append(_key(end))
        sql += " ORDER BY key"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [(_str(key), value) for key, value in self._conn().execute(sql, params).fetchall()]

    # -- commit ------------------------------------------------------------------------------
    def append(
        self,
        block: common_pb2.Block,
        tx_ids: list[str],
        codes: bytes,
        updates: BlockUpdates,
    ) -> None:
        """Write a block, its transaction index and its state updates atomically."""
        number = block.header.number
        if number != self._height:
            raise LedgerError(f"block {number} appended at height {self._height}")
        if block.header.previous_hash != self._last_hash:
            raise LedgerError(f"block {number} does not link to the current tip")
        block_hash = header_hash(block.header)
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT INTO blocks VALUES (?, ?, ?)", (number, block_hash, block.SerializeToString()))
            # The first occurrence of a transaction id owns it; duplicates stay in their block only.
            conn.executemany(
                "INSERT OR IGNORE INTO txs VALUES (?, ?, ?, ?)",
                [(tx_id, number, i, codes[i]) for i, tx_id in enumerate(tx_ids) if tx_id],
            )
            self._write_public(conn, updates)
            self._write_private(conn, updates)
            conn.executemany(
                "INSERT OR REPLACE INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (ns, _key(key), v[0], v[1], tx_id, value, int(is_delete), s, n)
                    for ns, key, v, tx_id, value, is_delete, s, n in updates.history
                ],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._height = number + 1
        self._last_hash = block_hash

    @staticmethod
    def _write_public(conn: sqlite3.Connection, updates: BlockUpdates) -> None:
        deletes, upserts, keep_meta = [], [], []
        for (ns, key), (value, (blk, tx), metadata) in updates.public.items():
            if value is None:
                deletes.append((ns, _key(key)))
            elif metadata is None:
                keep_meta.append((ns, _key(key), value, blk, tx))
            else:
                upserts.append((ns, _key(key), value, blk, tx, metadata))
        conn.executemany("DELETE FROM state WHERE ns = ? AND key = ?", deletes)
        conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?, ?, ?, ?, ?)", upserts)
        # A value written without a metadata write keeps the key's existing metadata, as in Fabric.
        conn.executemany(
            "INSERT INTO state (ns, key, value, block, tx) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, block = excluded.block, tx = excluded.tx",
            keep_meta,
        )

    @staticmethod
    def _write_private(conn: sqlite3.Connection, updates: BlockUpdates) -> None:
        for (ns, coll, key_hash), (value_hash, (blk, tx)) in updates.hashed.items():
            if value_hash is None:
                conn.execute("DELETE FROM pvt_hash WHERE ns = ? AND coll = ? AND key_hash = ?", (ns, coll, key_hash))
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO pvt_hash VALUES (?, ?, ?, ?, ?, ?)", (ns, coll, key_hash, value_hash, blk, tx)
                )
        for (ns, coll, key), (value, (blk, tx)) in updates.private.items():
            if value is None:
                conn.execute("DELETE FROM pvt WHERE ns = ? AND coll = ? AND key = ?", (ns, coll, _key(key)))
            else:
                conn.execute("INSERT OR REPLACE INTO pvt VALUES (?, ?, ?, ?, ?, ?)", (ns, coll, _key(key), value, blk, tx))
