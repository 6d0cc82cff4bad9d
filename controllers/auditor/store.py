"""The auditor's audits in flight (SQLite): one row per customer audit, the exchange ids it waits
on and the state it reached, so a restarted controller picks every audit up where it was."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from controllers.workflow.database import ControllerDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audits (
    audit_id TEXT PRIMARY KEY,
    request TEXT NOT NULL,        -- what to ask consent for (period, scope, purpose, days valid)
    invitation_msg_id TEXT UNIQUE,
    connection_id TEXT,
    pres_ex_id TEXT UNIQUE,
    cred_ex_id TEXT UNIQUE,
    account TEXT,                 -- from the verified account credential (private to the auditor)
    consent TEXT,                 -- the consent credential received (JSON)
    state TEXT NOT NULL,
    reason TEXT,
    updated REAL NOT NULL
);
"""
_FIELDS = ("invitation_msg_id", "connection_id", "pres_ex_id", "cred_ex_id", "account", "consent", "state", "reason")


@dataclass(frozen=True)
class Audit:
    audit_id: str
    request: dict[str, Any]
    invitation_msg_id: str | None
    connection_id: str | None
    pres_ex_id: str | None
    cred_ex_id: str | None
    account: dict[str, Any] | None
    consent: dict[str, Any] | None
    state: str
    reason: str | None
    updated: float


class AuditorStore(ControllerDatabase):
    SCHEMA = _SCHEMA

    def add(self, audit_id: str, request: dict[str, Any], invitation_msg_id: str, now: float) -> None:
        self._db.execute(
            "INSERT INTO audits (audit_id, request, invitation_msg_id, state, updated) VALUES (?, ?, ?, 'invited', ?)",
            (audit_id, json.dumps(request), invitation_msg_id, now),
        )

    def update(self, audit_id: str, now: float, **values: Any) -> None:
        if not values or set(values) - set(_FIELDS):
            raise ValueError(f"audit fields are {_FIELDS}")
        for name in ("account", "consent"):
            if values.get(name) is not None:
                values[name] = json.dumps(values[name])
        sets = ", ".join(f"{k}=?" for k in values)
        self._db.execute(f"UPDATE audits SET {sets}, updated=? WHERE audit_id=?", (*values.values(), now, audit_id))

    def find(self, **where: str) -> Audit | None:
        (column, value), = where.items()
        if column not in {"audit_id", "invitation_msg_id", "connection_id", "pres_ex_id", "cred_ex_id"}:
            raise ValueError(f"cannot look audits up by {column}")
        row = self._db.execute(f"SELECT * FROM audits WHERE {column}=?", (value,)).fetchone()
        return _audit(row) if row else None

    def in_states(self, *states: str) -> list[Audit]:
        marks = ",".join("?" * len(states))
        return [_audit(r) for r in self._db.execute(f"SELECT * FROM audits WHERE state IN ({marks})", states)]


def _audit(row: tuple) -> Audit:
    return Audit(
        audit_id=row[0],
        request=json.loads(row[1]),
        invitation_msg_id=row[2],
        connection_id=row[3],
        pres_ex_id=row[4],
        cred_ex_id=row[5],
        account=json.loads(row[6]) if row[6] else None,
        consent=json.loads(row[7]) if row[7] else None,
        state=row[8],
        reason=row[9],
        updated=row[10],
    )
