"""A wallet controller's own records, in the customer service's WorkflowStore, scoped to the
customer's sub-wallet (or a file of its own): its DID (kind "meta") and every consent request (kind "consent", keyed by the agent's credential exchange id,
filed under its consent id once approved) with the state the person left it in. Survives
restarts, so a request that arrived while nobody looked is still pending afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controllers.workflow import WorkflowRecord
from controllers.workflow import ControllerStore

__all__ = ["CustomerStore", "ConsentRecord", "CONSENT"]

CONSENT = "consent"


@dataclass(frozen=True)
class ConsentRecord:
    cred_ex_id: str
    connection_id: str | None
    state: str  # pending, approved, issued, declined, failed, revoked
    proposal: dict[str, Any]  # the credential the auditor proposed
    consent_id: str | None
    credential: dict[str, Any] | None  # the signed consent, once issued
    reason: str | None
    version: int  # what update checks: the record is unchanged since this was read

    @classmethod
    def of(cls, record: WorkflowRecord) -> ConsentRecord:
        d = record.data
        return cls(record.key, d.get("connection_id"), record.state, d["proposal"], d.get("consent_id"),
                   d.get("credential"), d.get("reason"), record.version)


class CustomerStore(ControllerStore):
    """Constructed from its file's path (it then owns the WorkflowStore) or on a WorkflowStore."""

    def add_request(self, cred_ex_id: str, connection_id: str | None, proposal: dict[str, Any]) -> bool:
        """True if new (webhooks may repeat)."""
        _, created = self.workflows.put_if_absent(
            self.kind(CONSENT), cred_ex_id, "pending", {"connection_id": connection_id, "proposal": proposal})
        return created

    def update(self, record: ConsentRecord, **values: Any) -> ConsentRecord:
        """Set fields of `record` as it was read; StaleVersion if it changed since."""
        allowed = {"state", "consent_id", "credential", "reason"}
        if not values or set(values) - allowed:
            raise ValueError(f"consent fields are {sorted(allowed)}")
        data = {"connection_id": record.connection_id, "proposal": record.proposal, "consent_id": record.consent_id,
                "credential": record.credential, "reason": record.reason}
        data.update((k, v) for k, v in values.items() if k != "state")
        updated = self.workflows.update(self.kind(CONSENT), record.cred_ex_id, expected_version=record.version,
                                        state=values.get("state"), data=data,
                                        refs=[values["consent_id"]] if values.get("consent_id") else [])
        return ConsentRecord.of(updated)

    def get(self, cred_ex_id: str) -> ConsentRecord | None:
        record = self.workflows.get(self.kind(CONSENT), cred_ex_id)
        return ConsentRecord.of(record) if record else None

    def by_consent_id(self, consent_id: str) -> ConsentRecord | None:
        record = self.workflows.find(self.kind(CONSENT), consent_id)
        # An approval that failed to go out leaves its consent id filed but no longer the record's.
        if record is None or record.data.get("consent_id") != consent_id:
            return None
        return ConsentRecord.of(record)

    def all(self, *states: str) -> list[ConsentRecord]:
        """Consent requests, oldest first, optionally only those in `states`."""
        return [ConsentRecord.of(r) for r in self.workflows.list(self.kind(CONSENT), states=states or None)]
