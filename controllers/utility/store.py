"""The utility's own records, in its WorkflowStore: which DID holds which account (kind "account"),
onboardings in flight ("onboarding"), revoked consents ("revocation") and the access tokens it
granted ("token", keyed by the token's digest).

An onboarding is filed under the agent ids a webhook names (invitation message, connection,
credential exchange); an account is keyed by its subscription id and filed under its number. Account numbers live here and nowhere
public; subscription ids are random and are all a URL shows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from controllers.consent.tokens import AccessToken
from controllers.workflow import WorkflowRecord, WorkflowStoreError
from controllers.workflow import ControllerStore
from credentials.consent import Period

__all__ = ["UtilityStore", "Onboarding", "AccountRecord", "ONBOARDING", "ACCOUNT", "TOKEN", "REVOCATION"]

ONBOARDING, ACCOUNT, TOKEN, REVOCATION = "onboarding", "account", "token", "revocation"
_REFS = ("invitation_msg_id", "connection_id", "cred_ex_id")  # the ids an onboarding is found by


@dataclass(frozen=True)
class Onboarding:
    onboarding_id: str
    account: str
    invitation_msg_id: str | None
    connection_id: str | None
    cred_ex_id: str | None
    state: str  # invited, connected, offered, issued, done, failed
    reason: str | None
    version: int  # what update_onboarding checks: the record is unchanged since this was read
    # Who names the credential's subject DID: "holder" (in its request) or, once a holder could not,
    # "connection" (the offer is bound to the did:key of the wallet's connection key).
    binding: str = "holder"

    @classmethod
    def of(cls, record: WorkflowRecord) -> Onboarding:
        d = record.data
        return cls(record.key, d["account"], d.get("invitation_msg_id"), d.get("connection_id"), d.get("cred_ex_id"),
                   record.state, d.get("reason"), record.version, d.get("binding") or "holder")


SERVICES = ("electricity", "gas")  # what an account is metered for


@dataclass(frozen=True)
class AccountRecord:
    account: str
    service_point: str
    subscription_id: str
    holder_did: str | None
    service: str = "electricity"

    @classmethod
    def of(cls, record: WorkflowRecord) -> AccountRecord:
        d = record.data
        return cls(d["account"], d["service_point"], record.key, d.get("holder_did"), d.get("service", "electricity"))


class UtilityStore(ControllerStore):
    """Constructed from its file's path (it then owns the WorkflowStore) or on a WorkflowStore."""

    # accounts
    # An account's record is keyed by its random subscription id and found by its number through a
    # reference: store errors name a record by its key, and an account number must not reach a log.
    def add_account(self, account: str, service_point: str, service: str = "electricity") -> AccountRecord:
        """The account's record, created with a fresh subscription id on first sight."""
        found = self.workflows.find(ACCOUNT, account)
        if found is not None:
            return AccountRecord.of(found)
        try:
            record = self.workflows.put(ACCOUNT, secrets.token_urlsafe(18), "unbound",
                                        {"account": account, "service_point": service_point, "service": service},
                                        refs=[account])
        except WorkflowStoreError:  # another writer added it since: theirs stands
            record = self.workflows.find(ACCOUNT, account)
            if record is None:
                raise
        return AccountRecord.of(record)

    def account(self, account: str) -> AccountRecord | None:
        record = self.workflows.find(ACCOUNT, account)
        return AccountRecord.of(record) if record else None

    def account_by_subscription(self, subscription_id: str) -> AccountRecord | None:
        record = self.workflows.get(ACCOUNT, subscription_id)
        return AccountRecord.of(record) if record else None

    def bind(self, account: str, holder_did: str) -> None:
        """Bind the account to `holder_did`; StaleVersion if it changed while being read."""
        record = self.workflows.find(ACCOUNT, account)
        if record is None:
            raise LookupError("no such account to bind")
        self.workflows.update(ACCOUNT, record.key, expected_version=record.version, state="bound",
                              data={**record.data, "holder_did": holder_did})

    def bound_did(self, account: str) -> str | None:
        record = self.account(account)
        return record.holder_did if record else None

    # onboardings
    def add_onboarding(self, onboarding_id: str, account: str, invitation_msg_id: str) -> Onboarding:
        record = self.workflows.put(ONBOARDING, onboarding_id, "invited",
                                    {"account": account, "invitation_msg_id": invitation_msg_id},
                                    refs=[invitation_msg_id])
        return Onboarding.of(record)

    def onboarding(self, **where: str) -> Onboarding | None:
        """The onboarding with the one id given: onboarding_id, or an agent id it is filed under."""
        (column, value), = where.items()
        if column == "onboarding_id":
            record = self.workflows.get(ONBOARDING, value)
        elif column in _REFS:
            record = self.workflows.find(ONBOARDING, value)
            # All three kinds of id share the onboarding's references: check it is the one asked.
            record = record if record is not None and record.data.get(column) == value else None
        else:
            raise ValueError(f"cannot look onboardings up by {column}")
        return Onboarding.of(record) if record else None

    def update_onboarding(self, onboarding: Onboarding, **values: str | None) -> Onboarding:
        """Set fields of `onboarding` as it was read; StaleVersion if it changed since."""
        allowed = {"connection_id", "cred_ex_id", "state", "reason", "binding"}
        if not values or set(values) - allowed:
            raise ValueError(f"onboarding fields are {sorted(allowed)}")
        fields = {"account": onboarding.account, "invitation_msg_id": onboarding.invitation_msg_id,
                  "connection_id": onboarding.connection_id, "cred_ex_id": onboarding.cred_ex_id,
                  "reason": onboarding.reason, "binding": onboarding.binding}
        data = {**fields, **{k: v for k, v in values.items() if k != "state"}}
        record = self.workflows.update(
            ONBOARDING, onboarding.onboarding_id, expected_version=onboarding.version, state=values.get("state"),
            data=data, refs=[v for k, v in values.items() if k in _REFS and v],
        )
        return Onboarding.of(record)

    def onboardings_in_state(self, *states: str) -> list[Onboarding]:
        return [Onboarding.of(r) for r in self.workflows.list(ONBOARDING, states=states)]

    # revocations
    def revoke(self, consent_id: str, now: datetime) -> None:
        """Record the revocation; the first one recorded stands."""
        self.workflows.put_if_absent(REVOCATION, consent_id, "revoked", {"revoked_at": now.isoformat()})

    def is_revoked(self, consent_id: str) -> bool:
        return self.workflows.get(REVOCATION, consent_id) is not None

    # tokens
    def save_token(self, token: AccessToken) -> None:
        self.workflows.put(TOKEN, token.digest, "granted", {
            "consent_id": token.consent_id,
            "utility_id": token.utility_id,
            "account": token.account,
            "period_start": token.period.start.isoformat(),
            "period_end": token.period.end.isoformat(),
            "scope": sorted(token.scope),
            "expires": token.expires.isoformat(),
        })

    def token(self, digest: str) -> AccessToken | None:
        record = self.workflows.get(TOKEN, digest)
        if record is None:
            return None
        d = record.data
        return AccessToken(
            digest=record.key,
            consent_id=d["consent_id"],
            utility_id=d["utility_id"],
            account=d["account"],
            period=Period(date.fromisoformat(d["period_start"]), date.fromisoformat(d["period_end"])),
            scope=frozenset(d["scope"]),
            expires=datetime.fromisoformat(d["expires"]),
        )
