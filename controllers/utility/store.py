"""The utility's own records (SQLite): which DID holds which account, onboardings in flight,
revoked consents and the access tokens it granted.

Account numbers live here and nowhere public; subscription ids are random and are all a URL shows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from credentials.consent import Period
from controllers.consent.tokens import AccessToken
from controllers.workflow.database import ControllerDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY,
    service_point TEXT NOT NULL,
    subscription_id TEXT NOT NULL UNIQUE,
    holder_did TEXT
);
CREATE TABLE IF NOT EXISTS onboardings (
    onboarding_id TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(account),
    invitation_msg_id TEXT UNIQUE,
    connection_id TEXT,
    cred_ex_id TEXT UNIQUE,
    state TEXT NOT NULL,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS revocations (consent_id TEXT PRIMARY KEY, revoked_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY,
    consent_id TEXT NOT NULL,
    utility_id TEXT NOT NULL,
    account TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Onboarding:
    onboarding_id: str
    account: str
    invitation_msg_id: str | None
    connection_id: str | None
    cred_ex_id: str | None
    state: str  # invited, connected, offered, issued, done, failed
    reason: str | None


@dataclass(frozen=True)
class AccountRecord:
    account: str
    service_point: str
    subscription_id: str
    holder_did: str | None


class UtilityStore(ControllerDatabase):
    SCHEMA = _SCHEMA

    # accounts
    def add_account(self, account: str, service_point: str) -> AccountRecord:
        """The account's record, created with a fresh subscription id on first sight."""
        self._db.execute(
            "INSERT OR IGNORE INTO accounts (account, service_point, subscription_id) VALUES (?, ?, ?)",
            (account, service_point, secrets.token_urlsafe(18)),
        )
        found = self.account(account)
        assert found is not None
        return found

    def account(self, account: str) -> AccountRecord | None:
        row = self._db.execute("SELECT * FROM accounts WHERE account=?", (account,)).fetchone()
        return AccountRecord(*row) if row else None

    def account_by_subscription(self, subscription_id: str) -> AccountRecord | None:
        row = self._db.execute("SELECT * FROM accounts WHERE subscription_id=?", (subscription_id,)).fetchone()
        return AccountRecord(*row) if row else None

    def bind(self, account: str, holder_did: str) -> None:
        self._db.execute("UPDATE accounts SET holder_did=? WHERE account=?", (holder_did, account))

    def bound_did(self, account: str) -> str | None:
        record = self.account(account)
        return record.holder_did if record else None

    # onboardings
    def add_onboarding(self, onboarding_id: str, account: str, invitation_msg_id: str) -> None:
        self._db.execute(
            "INSERT INTO onboardings (onboarding_id, account, invitation_msg_id, state) VALUES (?, ?, ?, 'invited')",
            (onboarding_id, account, invitation_msg_id),
        )

    def onboarding(self, **where: str) -> Onboarding | None:
        (column, value), = where.items()
        if column not in {"onboarding_id", "invitation_msg_id", "connection_id", "cred_ex_id"}:
            raise ValueError(f"cannot look onboardings up by {column}")
        row = self._db.execute(f"SELECT * FROM onboardings WHERE {column}=?", (value,)).fetchone()
        return Onboarding(*row) if row else None

    def update_onboarding(self, onboarding_id: str, **values: str | None) -> None:
        allowed = {"connection_id", "cred_ex_id", "state", "reason"}
        if not values or set(values) - allowed:
            raise ValueError(f"onboarding fields are {sorted(allowed)}")
        assignments = ", ".join(f"{k}=?" for k in values)
        self._db.execute(
            f"UPDATE onboardings SET {assignments} WHERE onboarding_id=?", (*values.values(), onboarding_id)
        )

    def onboardings_in_state(self, *states: str) -> list[Onboarding]:
        marks = ",".join("?" * len(states))
        rows = self._db.execute(f"SELECT * FROM onboardings WHERE state IN ({marks})", states).fetchall()
        return [Onboarding(*r) for r in rows]

    # revocations
    def revoke(self, consent_id: str, now: datetime) -> None:
        self._db.execute("INSERT OR IGNORE INTO revocations VALUES (?, ?)", (consent_id, now.isoformat()))

    def is_revoked(self, consent_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM revocations WHERE consent_id=?", (consent_id,)).fetchone() is not None

    # tokens
    def save_token(self, token: AccessToken) -> None:
        self._db.execute(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                token.digest,
                token.consent_id,
                token.utility_id,
                token.account,
                token.period.start.isoformat(),
                token.period.end.isoformat(),
                " ".join(sorted(token.scope)),
                token.expires.isoformat(),
            ),
        )

    def token(self, digest: str) -> AccessToken | None:
        row = self._db.execute("SELECT * FROM tokens WHERE digest=?", (digest,)).fetchone()
        if not row:
            return None
        return AccessToken(
            digest=row[0],
            consent_id=row[1],
            utility_id=row[2],
            account=row[3],
            period=Period(date.fromisoformat(row[4]), date.fromisoformat(row[5])),
            scope=frozenset(row[6].split()),
            expires=datetime.fromisoformat(row[7]),
        )
