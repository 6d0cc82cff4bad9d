"""`WorkflowStore`: one SQLite table of (kind, key) -> state, data, version.

A controller writes each step of an exchange here before acting on it, and on start lists the
workflows not yet in a final state to resume them. A workflow may also be filed under references
(the agent's exchange ids), so a webhook that names an exchange finds the workflow it belongs to;
a reference is written in the same transaction as the step that made it. Updates are optimistic: the caller names the
version it read, and a concurrent writer's change makes the update fail instead of being lost.
WAL mode lets readers (status pages) run while a writer commits.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["WorkflowStore", "WorkflowRecord", "WorkflowStoreError", "WorkflowExists", "StaleVersion"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workflow (
    kind       TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    created_at REAL    NOT NULL,
    updated_at REAL    NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS workflow_by_state ON workflow (kind, state);
-- Other names a workflow answers to (an agent's exchange ids): a webhook names the exchange, and
-- this finds the workflow waiting on it. A reference belongs to one workflow of a kind.
CREATE TABLE IF NOT EXISTS workflow_ref (
    kind TEXT NOT NULL,
    ref  TEXT NOT NULL,
    key  TEXT NOT NULL,
    PRIMARY KEY (kind, ref)
);
"""


class WorkflowStoreError(Exception):
    pass


class WorkflowExists(WorkflowStoreError):
    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"workflow {kind}/{key} already exists")


class StaleVersion(WorkflowStoreError):
    def __init__(self, kind: str, key: str, expected: int, actual: int | None) -> None:
        self.expected, self.actual = expected, actual
        now = "is gone" if actual is None else f"is at version {actual}"
        super().__init__(f"workflow {kind}/{key} changed under us: expected version {expected}, it {now}")


@dataclass(frozen=True)
class WorkflowRecord:
    kind: str
    key: str
    state: str
    data: dict[str, Any] = field(repr=False)
    version: int
    created_at: float
    updated_at: float


class WorkflowStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared under a lock: controllers are single-process asyncio programs and
        # every statement here is short, so this is simpler than a pool and as fast.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> WorkflowStore:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def put(self, kind: str, key: str, state: str, data: Mapping[str, Any] | None = None, *,
            refs: Iterable[str] = ()) -> WorkflowRecord:
        """Create a workflow at version 1; WorkflowExists if (kind, key) is taken."""
        record, created = self.put_if_absent(kind, key, state, data, refs=refs)
        if not created:
            raise WorkflowExists(kind, key)
        return record

    def put_if_absent(self, kind: str, key: str, state: str, data: Mapping[str, Any] | None = None, *,
                      refs: Iterable[str] = ()) -> tuple[WorkflowRecord, bool]:
        """Create a workflow at version 1 unless (kind, key) is taken; returns the stored workflow
        and whether this call created it (if not, nothing is written, `refs` included)."""
        _check(kind, key, state)
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT * FROM workflow WHERE kind = ? AND key = ?", (kind, key)).fetchone()
                if row is None:
                    self._db.execute(
                        "INSERT INTO workflow VALUES (?, ?, ?, ?, 1, ?, ?)",
                        (kind, key, state, _dump(data or {}), now, now),
                    )
                    self._file(kind, key, refs)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        if row is not None:
            return _record(row), False
        return WorkflowRecord(kind, key, state, dict(data or {}), 1, now, now), True

    def _file(self, kind: str, key: str, refs: Iterable[str]) -> None:
        for ref in refs:
            if not isinstance(ref, str) or not ref:
                raise ValueError(f"workflow reference must be a non-empty string, got {ref!r}")
            owner = self._db.execute("SELECT key FROM workflow_ref WHERE kind = ? AND ref = ?", (kind, ref)).fetchone()
            if owner is not None and owner[0] != key:
                # The reference itself stays out of the message: it may be an account number.
                raise WorkflowStoreError(f"a reference given already belongs to workflow {kind}/{owner[0]}")
            self._db.execute("INSERT OR IGNORE INTO workflow_ref VALUES (?, ?, ?)", (kind, ref, key))

    def find(self, kind: str, ref: str) -> WorkflowRecord | None:
        """The workflow of `kind` filed under reference `ref`, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT w.* FROM workflow_ref r JOIN workflow w ON w.kind = r.kind AND w.key = r.key "
                "WHERE r.kind = ? AND r.ref = ?", (kind, ref)).fetchone()
        return _record(row) if row else None

    def get(self, kind: str, key: str) -> WorkflowRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM workflow WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return _record(row) if row else None

    def update(
        self,
        kind: str,
        key: str,
        *,
        expected_version: int,
        state: str | None = None,
        data: Mapping[str, Any] | None = None,
        refs: Iterable[str] = (),
    ) -> WorkflowRecord:
        """Set state and/or replace data (and file it under more `refs`), if the stored version is
        still `expected_version`."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT * FROM workflow WHERE kind = ? AND key = ?", (kind, key)).fetchone()
                if row is None or row[4] != expected_version:
                    raise StaleVersion(kind, key, expected_version, None if row is None else row[4])
                current = _record(row)
                new_state = current.state if state is None else state
                new_data = current.data if data is None else dict(data)
                _check(kind, key, new_state)
                self._db.execute(
                    "UPDATE workflow SET state = ?, data = ?, version = ?, updated_at = ? WHERE kind = ? AND key = ?",
                    (new_state, _dump(new_data), expected_version + 1, now, kind, key),
                )
                self._file(kind, key, refs)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return WorkflowRecord(kind, key, new_state, new_data, expected_version + 1, current.created_at, now)

    def delete(self, kind: str, key: str) -> bool:
        with self._lock:
            self._db.execute("DELETE FROM workflow_ref WHERE kind = ? AND key = ?", (kind, key))
            return self._db.execute("DELETE FROM workflow WHERE kind = ? AND key = ?", (kind, key)).rowcount > 0

    def list(self, kind: str | None = None, *, states: Iterable[str] | None = None) -> list[WorkflowRecord]:
        """Workflows, oldest first, optionally of one kind and in some states."""
        sql, args = "SELECT * FROM workflow WHERE 1 = 1", []
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if states is not None:
            wanted = list(states)
            if not wanted:
                return []
            sql += f" AND state IN ({', '.join('?' * len(wanted))})"
            args.extend(wanted)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created_at, kind, key", args).fetchall()
        return [_record(r) for r in rows]


def _check(kind: str, key: str, state: str) -> None:
    for name, value in (("kind", kind), ("key", key), ("state", state)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"workflow {name} must be a non-empty string, got {value!r}")


def _dump(data: Mapping[str, Any]) -> str:
    try:
        return json.dumps(data, sort_keys=True, separators=(",", ":"))
    except TypeError as exc:
        raise ValueError(f"workflow data must be JSON-serialisable: {exc}") from None


def _record(row: tuple) -> WorkflowRecord:
    kind, key, state, data, version, created, updated = row
    return WorkflowRecord(kind, key, state, json.loads(data), version, created, updated)
