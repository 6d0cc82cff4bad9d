"""The auditor's side of the consent flow, one audit per customer:

invited -> connected -> proving (present-proof v2, DIF: the UtilityAccountCredential)
-> proposing (issue-credential v2 proposal of a DataAccessConsentCredential)
-> consented (the customer issued it; the agent stored it)
-> fetched (consent presented to the utility, token granted, feed downloaded and aggregated)
or declined / refused / failed, each with a reason.

Webhooks only say "look again": each step re-reads the record from the agent, so duplicate or
out-of-order deliveries and controller restarts (`start()` runs `resume`) just repeat a check.
Exchanges that die silently are caught by `sweep` (the app runs it every `sweep_interval`), which
fails audits waiting longer than the exchange timeout with an `ExchangeTimeout` reason and abandons
the exchange at the agent. One lock per audit keeps webhooks, `resume` and `sweep` from taking the
same step twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from controllers.acapy import AcaPyAdmin, AdminApiError, ExchangeTimeout
from controllers.consent import vocabulary as v
from controllers.consent.errors import ConsentError
from controllers.consent.model import ConsentTerms, Period, consent_credential, new_consent_id, parse_consent
from controllers.greenbutton import GreenButtonError, PeriodUsage, electricity_usage_by_period, parse_bytes
from controllers.auditor.store import Audit, AuditorStore

LOG = logging.getLogger(__name__)
# States `resume` picks up after a restart.
WAITING = ("invited", "connected", "proving", "proposing", "requested")
# States in which the audit waits on the other party's agent, not on a person: only these can die
# silently (an invitation may wait for days; a proposal waits for the customer to decide).
AGENT_STEPS = {"proving": "account proof", "requested": "consent issuance"}
# Which record of an audit each webhook topic is about (topic -> audit column = payload key).
_TOPIC_KEYS = {"connections": "invitation_msg_id", "present_proof_v2_0": "pres_ex_id", "issue_credential_v2_0": "cred_ex_id"}
_PROPOSAL_KEY = "z" + "1" * 8  # placeholder: the customer puts its own key agreement key in


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


@dataclass
class AuditorConfig:
    data_dir: Path
    utility_urls: dict[str, str] = field(default_factory=dict)  # EIA utility id -> utility service URL
    exchange_timeout: float = 60.0  # seconds an agent step may stay silent before `sweep` fails it
    sweep_interval: float = 15.0  # seconds between the app's sweeps

    def __post_init__(self) -> None:
        if self.exchange_timeout <= 0 or self.sweep_interval <= 0:
            raise ValueError("exchange_timeout and sweep_interval must be positive (seconds)")


@dataclass(frozen=True)
class FetchResult:
    feed: bytes
    usage: list[PeriodUsage]


class AuditorFlow:
    def __init__(self, config: AuditorConfig, admin: AcaPyAdmin, http: aiohttp.ClientSession):
        self.config, self.admin, self.http = config, admin, http
        self.store = AuditorStore(config.data_dir / "auditor.sqlite3")
        self.did = ""
        self.results: dict[str, FetchResult] = {}
        self._tasks: set[asyncio.Task] = set()
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)  # audit id -> its lock

    async def start(self) -> None:
        self.did = (await self.admin.ensure_did_key(self.store.get_meta("did"))).did
        self.store.set_meta("did", self.did)
        await self.resume()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.store.close()

    # -- starting an audit ------------------------------------------------------------------------
    async def new_audit(self, request: AuditRequest) -> tuple[str, dict[str, Any]]:
        audit_id = str(uuid.uuid4())
        # auto_accept: the decision to connect was taken in making the invitation.
        invitation = await self.admin.create_invitation(alias=f"audit {audit_id}", auto_accept=True)
        self.store.add(audit_id, request.to_json(), invitation.invitation_msg_id, time.time())
        LOG.info("audit %s: invitation created", audit_id)
        return audit_id, invitation.invitation

    def audit(self, audit_id: str) -> Audit | None:
        return self.store.find(audit_id=audit_id)

    # -- webhooks -------------------------------------------------------------------------------
    async def on_webhook(self, topic: str, payload: dict[str, Any]) -> None:
        column = _TOPIC_KEYS.get(topic)
        value = payload.get(column) if column else None
        found = self.store.find(**{column: value}) if column and isinstance(value, str) else None
        if found is None:
            return
        async with self._locks[found.audit_id]:
            audit = self.store.find(audit_id=found.audit_id)  # as the last holder of the lock left it
            assert audit is not None
            if topic == "connections":
                await self._on_connection(payload)
            elif topic == "present_proof_v2_0":
                await self._on_presentation(audit)
            else:
                await self._on_credential(audit)

    def _set(self, audit: Audit, **values: Any) -> None:
        self.store.update(audit.audit_id, time.time(), **values)
        if "state" in values:
            LOG.info("audit %s: %s", audit.audit_id, values["state"])

    async def _on_connection(self, payload: dict[str, Any]) -> None:
        if payload.get("state") not in {"active", "completed"}:
            return
        msg_id = payload.get("invitation_msg_id")
        audit = self.store.find(invitation_msg_id=msg_id) if msg_id else None
        if audit is None or audit.state != "invited":
            return
        self._set(audit, connection_id=payload["connection_id"], state="connected")
        await self._ask_account_proof(self.store.find(audit_id=audit.audit_id))

    async def _ask_account_proof(self, audit: Audit | None) -> None:
        assert audit is not None and audit.connection_id
        account_field: dict[str, Any] = {"path": ["$.credentialSubject.accountId"]}
        wanted = AuditRequest.from_json(audit.request).account
        if wanted:
            account_field["filter"] = {"type": "string", "const": wanted}
        definition = {
            "id": str(uuid.uuid4()),
            "input_descriptors": [
                {
                    "id": "utility-account",
                    "name": "Utility account",
                    "schema": [{"uri": v.VC_TYPE_IRI}, {"uri": v.ACCOUNT_TYPE_IRI}],
                    # ACA-Py's holder needs a constraints object (without one it fails with a 500).
                    "constraints": {"fields": [account_field]},
                }
            ],
        }
        pres = await self.admin.send_presentation_request(
            audit.connection_id, definition, challenge=str(uuid.uuid4()), comment="Proof of utility account"
        )
        self._set(audit, pres_ex_id=pres.pres_ex_id, state="proving")

    async def _on_presentation(self, audit: Audit) -> None:
        if audit.state != "proving" or audit.pres_ex_id is None:
            return
        pres = await self.admin.presentation_exchange(audit.pres_ex_id)
        if pres.state == "abandoned":
            self._set(audit, state="failed", reason=f"account proof failed: {pres.error_msg or 'abandoned'}"[:200])
            return
        if pres.state != "done":
            return
        if pres.verified is not True:
            self._set(audit, state="refused", reason="account proof did not verify")
            return
        creds = (pres.presentation or {}).get("verifiableCredential") or []
        accounts = [c for c in creds if v.ACCOUNT_TYPE in (c.get("type") or [])]
        if len(accounts) != 1:
            self._set(audit, state="refused", reason="expected exactly one account credential")
            return
        subject = accounts[0].get("credentialSubject") or {}
        holder = (pres.presentation or {}).get("holder") or subject.get("id")
        if subject.get("id") != holder:
            self._set(audit, state="refused", reason="account credential is not the presenter's")
            return
        wanted = AuditRequest.from_json(audit.request).account
        if wanted and subject.get("accountId") != wanted:
            self._set(audit, state="refused", reason="account credential is for another account than the one asked for")
            return
        account = {"utility_id": subject.get("utilityEiaId"), "account": subject.get("accountId"), "holder": subject.get("id")}
        self._set(audit, account=account)
        await self._propose(self.store.find(audit_id=audit.audit_id))

    async def _propose(self, audit: Audit | None) -> None:
        assert audit is not None and audit.account and audit.connection_id
        request = AuditRequest.from_json(audit.request)
        terms = ConsentTerms(
            utility_id=audit.account["utility_id"],
            account=audit.account["account"],
            period=request.period,
            scope=request.scope,
            purpose=request.purpose,
            expires=datetime.now(UTC).replace(microsecond=0) + timedelta(days=request.consent_days),
            key_agreement=_PROPOSAL_KEY,
        )
        draft = consent_credential(
            consent_id=new_consent_id(), issuer=audit.account["holder"], subject=self.did, terms=terms,
            issued=datetime.now(UTC),
        )
        del draft["credentialSubject"]["keyAgreementPublicKeyMultibase"]
        ex = await self.admin.send_credential_proposal(audit.connection_id, draft, comment="Consent to read your bills")
        self._set(audit, cred_ex_id=ex.cred_ex_id, state="proposing")

    async def _on_credential(self, audit: Audit) -> None:
        assert audit.cred_ex_id
        try:
            ex = await self.admin.credential_exchange(audit.cred_ex_id)
        except AdminApiError as exc:
            if exc.status == 404:
                self._set(audit, state="failed", reason="consent exchange lost")
                return
            raise
        if ex.state == "abandoned" and audit.state in {"proposing", "requested"}:
            self._set(audit, state="declined", reason=f"consent declined: {ex.error_msg or 'no reason given'}"[:200])
        elif ex.state == "offer-received" and audit.state == "proposing":
            problem = self._offer_problem(audit, (ex.offer or {}).get("credential") or {})
            if problem:
                await self.admin.credential_problem_report(ex.cred_ex_id, problem)
                self._set(audit, state="refused", reason=problem)
                return
            await self.admin.send_credential_request(ex.cred_ex_id, holder_did=self.did)
            self._set(audit, state="requested")
        elif ex.state == "done" and audit.state in {"proposing", "requested"}:
            # The agent stores received credentials itself (--auto-store-credential); "done" says it did.
            self._set(audit, consent=ex.credential, state="consented")
            self._spawn(self.fetch(audit.audit_id))

    def _offer_problem(self, audit: Audit, offered: dict[str, Any]) -> str | None:
        """The customer may set its key, id and dates; the grant itself must be what was asked."""
        try:
            consent = parse_consent(offered)
        except ConsentError as exc:
            return f"offered consent is malformed: {exc.reason}"
        request = AuditRequest.from_json(audit.request)
        assert audit.account
        if consent.subject != self.did:
            return "offered consent names another subject"
        if consent.issuer != audit.account["holder"]:
            return "offered consent is not issued by the account holder"
        if (consent.terms.account, consent.terms.period, consent.terms.scope) != (
            audit.account["account"], request.period, request.scope
        ):
            return "offered consent does not grant what was asked"
        return None

    # -- using the consent ----------------------------------------------------------------------
    async def fetch(self, audit_id: str) -> FetchResult | None:
        """Present the consent to the utility, get a token, download and aggregate the feed."""
        audit = self.store.find(audit_id=audit_id)
        if audit is None or audit.consent is None:
            raise ValueError("audit has no consent yet")
        consent = parse_consent(audit.consent)
        base = self.config.utility_urls.get(consent.terms.utility_id)
        if base is None:
            self._set(audit, state="failed", reason="no address known for the consent's utility")
            return None
        try:
            token = await self.token(audit.consent, base)
            async with self.http.get(token["resourceURI"], headers={"Authorization": f"Bearer {token['access_token']}"}) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise UtilityRefused(_error(body))
            usage = electricity_usage_by_period(parse_bytes(body))
        except UtilityRefused as exc:
            self._set(audit, state="refused", reason=f"utility refused: {exc}")
            return None
        except GreenButtonError as exc:
            self._set(audit, state="failed", reason=f"feed unusable: {exc}"[:200])
            return None
        result = FetchResult(body, usage)
        self.results[audit_id] = result
        self._set(self.store.find(audit_id=audit_id), state="fetched", reason=None)
        return result

    async def token(self, consent: dict[str, Any], base: str) -> dict[str, Any]:
        """A fresh access token for `consent` (challenge -> VP -> token), or UtilityRefused."""
        async with self.http.get(f"{base}/consent/challenge") as resp:
            challenge = (await resp.json())["challenge"]
        vp = await self.admin.vc_present(self.did, [consent], challenge=challenge)
        return await self.present(vp, base)

    async def present(self, vp: dict[str, Any], base: str) -> dict[str, Any]:
        async with self.http.post(f"{base}/consent/token", json={"verifiablePresentation": vp}) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise UtilityRefused(_error(body))
            return json.loads(body)

    # -- restarts and silent deaths ---------------------------------------------------------------
    async def resume(self) -> None:
        for audit in self.store.in_states(*WAITING, "consented"):
            try:
                async with self._locks[audit.audit_id]:
                    latest = self.store.find(audit_id=audit.audit_id)
                    if latest is not None:
                        await self._resume_one(latest)
            except AdminApiError as exc:
                LOG.warning("audit %s: resume failed (%s)", audit.audit_id, exc)

    async def _resume_one(self, audit: Audit) -> None:
        if audit.state == "invited" and audit.invitation_msg_id:
            for conn in await self.admin.connections(invitation_msg_id=audit.invitation_msg_id):
                await self._on_connection(conn.raw)
        elif audit.state == "connected":
            await self._ask_account_proof(audit)
        elif audit.state == "proving":
            await self._on_presentation(audit)
        elif audit.state in {"proposing", "requested"}:
            await self._on_credential(audit)
        elif audit.state == "consented":
            self._spawn(self.fetch(audit.audit_id))

    async def sweep(self, now: float | None = None) -> list[str]:
        """Fail audits whose agent step went silent for longer than the timeout; returns their ids."""
        now = time.time() if now is None else now
        failed = []
        for stale in self.store.in_states(*AGENT_STEPS):
            if now - stale.updated < self.config.exchange_timeout:
                continue
            async with self._locks[stale.audit_id]:
                audit = self.store.find(audit_id=stale.audit_id)
                if audit is None or (audit.state, audit.updated) != (stale.state, stale.updated):
                    continue  # it moved while the lock was held elsewhere
                await self._resume_one(audit)  # one last look: a webhook may just have been lost
                latest = self.store.find(audit_id=audit.audit_id)
                if latest is not None and latest.state == audit.state:
                    await self._give_up(latest)
                    failed.append(audit.audit_id)
        return failed

    async def _give_up(self, audit: Audit) -> None:
        """Fail the audit, and abandon its exchange at the agent with a problem report: a late answer
        then cannot revive it, and the other party learns why it ended."""
        if audit.state == "proving":
            topic, record_id = "present_proof_v2_0", audit.pres_ex_id
            read, report = self.admin.presentation_exchange, self.admin.presentation_problem_report
        else:
            topic, record_id = "issue_credential_v2_0", audit.cred_ex_id
            read, report = self.admin.credential_exchange, self.admin.credential_problem_report
        assert record_id is not None
        last_state = None
        try:
            last_state = (await read(record_id)).state  # before the report turns it into "abandoned"
            await report(record_id, f"no answer within {self.config.exchange_timeout:g} s")
        except AdminApiError as exc:
            LOG.warning("audit %s: could not abandon the silent exchange (%s)", audit.audit_id, exc)
        timeout = ExchangeTimeout(topic, record_id, {"done"}, self.config.exchange_timeout, last_state)
        self._set(audit, state="failed", reason=f"{AGENT_STEPS[audit.state]} timed out: {timeout}"[:200])

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class UtilityRefused(Exception):
    """The utility said no; the message is its reason."""


def _error(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error"))
    except (ValueError, AttributeError):
        return body[:200].decode(errors="replace")
