"""`ControllerStore`: base of a controller's typed store, a thin layer over a WorkflowStore.

It keeps the facts a controller needs across restarts (its DID, a key, ...) as kind "meta", one
workflow per fact. Given a path it opens and owns the WorkflowStore; given a WorkflowStore it
shares it and leaves closing it to whoever opened it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from controllers.workflow.store import WorkflowStore

__all__ = ["ControllerStore", "LegacyStore", "META"]

META = "meta"
_SET = "set"


class LegacyStore(Exception):
    """A file written by a version that kept hand-written tables: opening it would silently forget
    its DID, accounts and revocations, so it is refused."""


class ControllerStore:
    def __init__(self, store: WorkflowStore | Path | str, *, scope: str = "") -> None:
        """`scope`: one party's part of a store several share (a customer's wallet in the customer
        service's store): its kinds are `<kind>:<scope>`, so nothing it lists, finds or reads is
        another's."""
        self._owned = not isinstance(store, WorkflowStore)
        if self._owned:
            _refuse_legacy(Path(store))
        self.workflows = WorkflowStore(store) if self._owned else store
        if ":" in scope:
            raise ValueError("a store scope must not contain ':'")
        self.scope = scope

    def kind(self, name: str) -> str:
        """The kind `name` has in this store: scoped when the store is shared."""
        return f"{name}:{self.scope}" if self.scope else name

    def close(self) -> None:
        if self._owned:
            self.workflows.close()

    def get_meta(self, name: str) -> str | None:
        record = self.workflows.get(self.kind(META), name)
        return None if record is None else record.data["value"]

    def set_meta(self, name: str, value: str) -> None:
        """Record `value` for `name`; StaleVersion if another writer changed it at the same time."""
        record, created = self.workflows.put_if_absent(self.kind(META), name, _SET, {"value": value})
        if not created and record.data.get("value") != value:
            self.workflows.update(self.kind(META), name, expected_version=record.version, data={"value": value})


def _refuse_legacy(path: Path) -> None:
    if not path.exists():
        return
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "meta" in tables:  # every store of the old layout had one; the workflow store has none
        raise LegacyStore(f"{path} was written by an older version of this controller (hand-written tables); "
                          f"move it aside to start afresh")
