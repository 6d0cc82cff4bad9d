"""`AuditRecord`: one customer's audit, from invitation to the credentials its wallet stored.

The record owns its states (as ACA-Py's exchange records own theirs): the typed values below, the
moves allowed between them, and which of them wait on an agent rather than on a person. It is
kept in the controller's WorkflowStore (kind "audit"), filed under the agent exchange ids it waits
on, so a webhook naming an exchange finds its audit.

    requested -> connected -> account proven -> consent proposed -> consent requested
    -> consent held -> bills fetched -> deposited -> anchored -> credentials offered -> done

`anchored` and `credentials offered` hold once every billing period of the bill reached them; each
period keeps its own step (pending, anchored, offering, offered, stored) in `periods`. `done` means
the customer's wallet stored every credential (the issuer's exchange reached "done", which ACA-Py
enters on the holder's ack, sent after the holder stored it). A later fetch under the same consent
goes from `done` back to `bills fetched` and adds only periods not anchored before.

Final: declined (the customer said no), revoked (the consent was withdrawn at the utility),
expired (the consent ran out before the bill was fetched), failed (with the reason; `retry`
takes it back to the step it failed in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from controllers.workflow import WorkflowRecord

__all__ = ["AuditState", "AuditRecord", "PeriodStep", "IllegalMove", "KIND"]

KIND = "audit"


class AuditState(StrEnum):
    REQUESTED = "requested"
    CONNECTED = "connected"
    ACCOUNT_PROVEN = "account proven"
    CONSENT_PROPOSED = "consent proposed"
    CONSENT_REQUESTED = "consent requested"
    CONSENT_HELD = "consent held"
    BILLS_FETCHED = "bills fetched"
    DEPOSITED = "deposited"
    ANCHORED = "anchored"
    CREDENTIALS_OFFERED = "credentials offered"
    DONE = "done"
    DECLINED = "declined"
    REVOKED = "revoked"
    EXPIRED = "expired"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in _FINAL

    @property
    def waits_on_agent(self) -> str | None:
        """What the audit waits for when another party's agent (not a person) must answer; such a
        wait can die silently, so the sweep gives it a deadline."""
        return _AGENT_WAITS.get(self)


S = AuditState
_FINAL = frozenset({S.DONE, S.DECLINED, S.REVOKED, S.EXPIRED, S.FAILED})
_AGENT_WAITS = {
    S.CONNECTED: "account proof",
    S.CONSENT_REQUESTED: "consent issuance",
    S.CREDENTIALS_OFFERED: "credential storage",
}
_ENDINGS = {S.FAILED, S.DECLINED, S.REVOKED, S.EXPIRED}
_MOVES: dict[AuditState, frozenset[AuditState]] = {
    S.REQUESTED: frozenset({S.CONNECTED}),
    S.CONNECTED: frozenset({S.ACCOUNT_PROVEN}),
    S.ACCOUNT_PROVEN: frozenset({S.CONSENT_PROPOSED}),
    S.CONSENT_PROPOSED: frozenset({S.CONSENT_REQUESTED, S.CONSENT_HELD}),
    S.CONSENT_REQUESTED: frozenset({S.CONSENT_HELD}),
    S.CONSENT_HELD: frozenset({S.BILLS_FETCHED}),
    S.BILLS_FETCHED: frozenset({S.BILLS_FETCHED, S.DEPOSITED}),
    S.DEPOSITED: frozenset({S.ANCHORED}),
    S.ANCHORED: frozenset({S.CREDENTIALS_OFFERED, S.DONE}),
    S.CREDENTIALS_OFFERED: frozenset({S.DONE, S.ANCHORED}),  # back: unanswered offers withdrawn, made again
    S.DONE: frozenset({S.BILLS_FETCHED}),  # a later fetch under the same consent
}


class IllegalMove(Exception):
    def __init__(self, audit_id: str, old: AuditState, new: AuditState) -> None:
        super().__init__(f"audit {audit_id}: cannot go from {old} to {new}")


class PeriodStep(StrEnum):
    PENDING = "pending"
    ANCHORED = "anchored"
    OFFERING = "offering"  # written before the offer goes out: a restart looks for it at the agent
    OFFERED = "offered"
    STORED = "stored"


@dataclass(frozen=True)
class AuditRecord:
    audit_id: str
    state: AuditState
    version: int
    updated: float
    data: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, record: WorkflowRecord) -> AuditRecord:
        return cls(record.key, AuditState(record.state), record.version, record.updated_at, record.data)

    def check_move(self, new: AuditState) -> None:
        """Raise IllegalMove unless the record may go from its state to `new`."""
        if new in _ENDINGS and not self.state.final:
            return  # any step may fail, and any consent may be declined, revoked or run out
        if new not in _MOVES.get(self.state, frozenset()):
            raise IllegalMove(self.audit_id, self.state, new)

    # -- what the audit holds, by name ------------------------------------------------------------
    @property
    def request(self) -> dict[str, Any]:
        return self.data["request"]

    @property
    def reason(self) -> str | None:
        return self.data.get("reason")

    @property
    def periods(self) -> list[dict[str, Any]]:
        return list(self.data.get("periods") or [])

    def anchored(self, record_id: Any) -> dict[str, Any] | None:
        """What the audit anchored for the ledger record `record_id` (what its credential is made of)."""
        for period in self.periods:
            anchored = period.get("anchored") or {}
            if (anchored.get("anchor") or {}).get("record_id") == record_id:
                return anchored
        return None

    # The exchanges and facts the consent half collected.
    @property
    def connection_id(self) -> str | None:
        return self.data.get("connection_id")

    @property
    def pres_ex_id(self) -> str | None:
        return self.data.get("pres_ex_id")

    @property
    def cred_ex_id(self) -> str | None:
        """The consent exchange."""
        return self.data.get("cred_ex_id")

    @property
    def account(self) -> dict[str, Any] | None:
        return self.data.get("account")

    @property
    def consent(self) -> dict[str, Any] | None:
        return self.data.get("consent")

    def view(self) -> dict[str, Any]:
        """What the operator API shows: state, reason, and each period's step and ledger record; no
        customer identifiers."""
        return {
            "audit_id": self.audit_id,
            "state": str(self.state),
            "reason": self.reason,
            "updated": self.updated,
            "request": self.request,
            "periods": [
                {"start": p["start"], "end": p["end"], "step": p["step"],
                 "record_id": (p.get("anchored") or {}).get("anchor", {}).get("record_id"),
                 # electricity (Scope 2) in kWh, or gas (Scope 1) in the bill's unit
                 **({"gas": p["gas"], "unit": p["unit"]} if "gas" in p else {"kwh": p["kwh"]})}
                for p in self.periods
            ],
        }
