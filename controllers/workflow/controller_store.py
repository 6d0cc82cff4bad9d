"""`ControllerStore`: base of a controller's typed store, a thin layer over a WorkflowStore.

It keeps the facts a controller needs across restarts (its DID, a key, ...) as kind "meta", one
workflow per fact. Given a path it opens and owns the WorkflowStore; given a WorkflowStore it
shares it and leaves closing it to whoever opened it.
"""

from __future__ import annotations

from pathlib import Path

from controllers.workflow.store import WorkflowStore

__all__ = ["ControllerStore", "META"]

META = "meta"
_SET = "set"


class ControllerStore:
    def __init__(self, store: WorkflowStore | Path | str) -> None:
        self._owned = not isinstance(store, WorkflowStore)
        self.workflows = WorkflowStore(store) if self._owned else store

    def close(self) -> None:
        if self._owned:
            self.workflows.close()

    def get_meta(self, name: str) -> str | None:
        record = self.workflows.get(META, name)
        return None if record is None else record.data["value"]

    def set_meta(self, name: str, value: str) -> None:
        """Record `value` for `name`; StaleVersion if another writer changed it at the same time."""
        record, created = self.workflows.put_if_absent(META, name, _SET, {"value": value})
        if not created and record.data.get("value") != value:
            self.workflows.update(META, name, expected_version=record.version, data={"value": value})
