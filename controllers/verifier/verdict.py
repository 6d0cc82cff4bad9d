"""A verifier's answer: each check with its outcome, and one word for the whole.

`verified` only when every check passed. `rejected` when a check failed on evidence (a bad proof, a
record that does not match). `error` when a check could not be made (the ledger unreachable): then
nothing is claimed either way, and the reasons say what could not be asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Check", "Verdict", "VERIFIED", "REJECTED", "ERROR"]

VERIFIED, REJECTED, ERROR = "verified", "rejected", "error"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    status: str
    checks: tuple[Check, ...] = ()
    credential_id: str | None = None
    record_id: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)  # what was verified: period, kWh, tCO2e, issuer

    def __post_init__(self) -> None:
        if self.status not in (VERIFIED, REJECTED, ERROR):
            raise ValueError(f"verdict status must be verified, rejected or error, got {self.status!r}")
        if self.status == VERIFIED and (not self.checks or not all(c.ok for c in self.checks)):
            raise ValueError("a verdict is verified only when every check passed")

    @property
    def verified(self) -> bool:
        return self.status == VERIFIED

    @property
    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.ok]

    def to_json(self, *, figures: bool = True) -> dict[str, Any]:
        """`figures=False` leaves out the summary (kWh, tCO2e, period): for callers who are not the
        verifier's operator."""
        return {
            "status": self.status, "verified": self.verified, "reasons": self.reasons,
            "credential_id": self.credential_id, "record_id": self.record_id,
            "summary": self.summary if figures else {},
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Verdict:
        return cls(document["status"], tuple(Check(c["name"], c["ok"], c.get("detail", "")) for c in document["checks"]),
                   document.get("credential_id"), document.get("record_id"), dict(document.get("summary") or {}))
