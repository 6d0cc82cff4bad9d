"""`AuditRequest`: what an audit asks the customer to consent to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from credentials import vocabulary as v
from credentials.consent import Period

__all__ = ["AuditRequest"]


@dataclass(frozen=True)
class AuditRequest:
    period: Period
    scope: frozenset[str]
    purpose: str
    consent_days: int = 30
    # The account the customer asked to have audited, when it said; a wallet may hold several
    # accounts, and without it the customer's wallet chooses which one to prove.
    account: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.end.isoformat(),
            "scope": sorted(self.scope),
            "purpose": self.purpose,
            "consent_days": self.consent_days,
            "account": self.account,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AuditRequest:
        try:
            return cls(
                period=Period(date.fromisoformat(d["period_start"]), date.fromisoformat(d["period_end"])),
                scope=frozenset(d.get("scope") or [v.SCOPE_USAGE]),
                purpose=str(d["purpose"]),
                consent_days=int(d.get("consent_days", 30)),
                account=str(d["account"]) if d.get("account") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"audit request needs period_start, period_end (dates) and purpose: {exc}") from None
