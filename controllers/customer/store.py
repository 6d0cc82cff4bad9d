"""The wallet controller's own records (SQLite, in its data dir): its DID, its connections and
every consent request with the state the person left it in. Survives restarts, so a request
that arrived while nobody looked is still pending afterwards."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from controllers.workflow.database import ControllerDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS consents (
    cred_ex_id TEXT PRIMARY KEY,
    connection_id TEXT,
    state TEXT NOT NULL,          -- pending, approved, issued, declined, failed, revoked
    proposal TEXT NOT NULL,       -- the credential the auditor proposed (JSON)
    consent_id TEXT UNIQUE,
    credential TEXT,              -- the signed consent, once issued (JSON)
    reason TEXT
);
"""


@dataclass(frozen=True)
class ConsentRecord:
    cred_ex_id: str
    connection_id: str | None
    state: str
    proposal: dict[str, Any]
    consent_id: str | None
    credential: dict[str, Any] | None
    reason: str | None


class CustomerStore(ControllerDatabase):
    SCHEMA = _SCHEMA

    def add_request(self, cred_ex_id: str, connection_id: str | None, proposal: dict[str, Any]) -> bool:
        """True if new (webhooks may repeat)."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO consents (cred_ex_id, connection_id, state, proposal) VALUES (?, ?, 'pending', ?)",
            (cred_ex_id, connection_id, json.dumps(proposal)),
        )
        return cur.rowcount == 1

    def update(self, cred_ex_id: str, **values: Any) -> None:
        allowed = {"state", "consent_id", "credential", "reason"}
        if not values or set(values) - allowed:
            raise ValueError(f"consent fields are {sorted(allowed)}")
        if "credential" in values and values["credential"] is not None:
            values["credential"] = json.dumps(values["credential"])
        sets = ", ".join(f"{k}=?" for k in values)
        self._db.execute(f"UPDATE consents SET {sets} WHERE cred_ex_id=?", (*values.values(), cred_ex_id))

    def get(self, cred_ex_id: str) -> ConsentRecord | None:
        row = self._db.execute("SELECT * FROM consents WHERE cred_ex_id=?", (cred_ex_id,)).fetchone()
        return _record(row) if row else None

    def by_consent_id(self, consent_id: str) -> ConsentRecord | None:
        row = self._db.execute("SELECT * FROM consents WHERE consent_id=?", (consent_id,)).fetchone()
        return _record(row) if row else None

    def all(self, *states: str) -> list[ConsentRecord]:
        if states:
            marks = ",".join("?" * len(states))
            rows = self._db.execute(f"SELECT * FROM consents WHERE state IN ({marks}) ORDER BY rowid", states)
        else:
            rows = self._db.execute("SELECT * FROM consents ORDER BY rowid")
        return [_record(r) for r in rows.fetchall()]


def _record(row: tuple) -> ConsentRecord:
    return ConsentRecord(
        cred_ex_id=row[0],
        connection_id=row[1],
        state=row[2],
        proposal=json.loads(row[3]),
        consent_id=row[4],
        credential=json.loads(row[5]) if row[5] else None,
        reason=row[6],
    )
