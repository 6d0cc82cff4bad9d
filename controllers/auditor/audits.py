"""`AuditBook`: the auditor's audits in the controller's WorkflowStore (kind "audit").

Every change names the version it read (a concurrent change fails instead of being lost) and is
checked against the moves the record allows. An audit is filed under the agent exchange ids it
waits on, in the same write as the step that started the exchange.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from controllers.auditor.record import KIND, AuditRecord, AuditState
from controllers.workflow import WorkflowStore

__all__ = ["AuditBook"]


class AuditBook:
    def __init__(self, store: WorkflowStore) -> None:
        self.store = store

    def create(self, request: dict[str, Any], invitation_msg_id: str) -> AuditRecord:
        audit_id = str(uuid.uuid4())
        record = self.store.put(KIND, audit_id, AuditState.REQUESTED, {"request": request, "invitation_msg_id": invitation_msg_id},
                                refs=[invitation_msg_id])
        return AuditRecord.of(record)

    def get(self, audit_id: str) -> AuditRecord | None:
        record = self.store.get(KIND, audit_id)
        return AuditRecord.of(record) if record else None

    def find(self, ref: str) -> AuditRecord | None:
        """The audit waiting on the agent exchange (or invitation) `ref`."""
        record = self.store.find(KIND, ref)
        return AuditRecord.of(record) if record else None

    def all(self, states: Iterable[AuditState] | None = None) -> list[AuditRecord]:
        wanted = None if states is None else [str(s) for s in states]
        return [AuditRecord.of(r) for r in self.store.list(KIND, states=wanted)]

    def open(self) -> list[AuditRecord]:
        return self.all([s for s in AuditState if not s.final])

    def move(self, audit: AuditRecord, state: AuditState, *, refs: Iterable[str] = (), **data: Any) -> AuditRecord:
        """Go to `state`, merging `data` in; a failure keeps the step it happened in, for retry."""
        audit.check_move(state)
        merged = {**audit.data, **data}
        if state == AuditState.FAILED:
            merged["failed_in"] = str(audit.state)
        elif "reason" not in data:
            merged.pop("reason", None)
        return self._write(audit, state, merged, refs)

    def save(self, audit: AuditRecord, *, refs: Iterable[str] = (), **data: Any) -> AuditRecord:
        """Keep the state, merge `data` in (a step inside a state: one period anchored, say)."""
        return self._write(audit, audit.state, {**audit.data, **data}, refs)

    def reopen(self, audit: AuditRecord, state: AuditState, **data: Any) -> AuditRecord:
        """A failed audit goes back to `state` (the operator's retry); the reason goes."""
        if audit.state != AuditState.FAILED:
            raise ValueError(f"audit {audit.audit_id} is {audit.state}, not failed")
        merged = {k: v for k, v in audit.data.items() if k not in {"reason", "failed_in"}}
        return self._write(audit, state, {**merged, **data}, ())

    def _write(self, audit: AuditRecord, state: AuditState, data: dict[str, Any], refs: Iterable[str]) -> AuditRecord:
        record = self.store.update(KIND, audit.audit_id, expected_version=audit.version, state=str(state),
                                   data=data, refs=refs)
        return AuditRecord.of(record)
