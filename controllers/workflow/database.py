"""A controller's own SQLite file: opened in WAL mode with its schema, plus a small `meta` table
for the facts a controller keeps across restarts (its DID, its keys' ids, ...)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

_META = "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"


class ControllerDatabase:
    """Base of the controllers' stores; subclasses set SCHEMA (idempotent CREATE ... IF NOT EXISTS)."""

    SCHEMA = ""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: every statement is its own transaction, so a crash never loses an
        # acknowledged step and never leaves half of one.
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_META + self.SCHEMA)

    def close(self) -> None:
        self._db.close()

    def get_meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, name: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))
