"""`AuditManager`: the auditor's service runs each audit from invitation to stored credentials.

Each step reads the audit record, acts, and writes the next state before anything else happens
(see `record.py` for the states). Webhooks only say "look again": `step(audit_id)` takes every
step the audit can take now, so duplicate or out-of-order deliveries repeat a check, not an act.
The sweep (`sweep()`, every `sweep_interval` while the app runs; `start()` runs one) steps every
open audit: what a lost webhook or a restart left behind goes on, and an exchange the other
party's agent left silent for longer than `exchange_timeout` is ended with a problem report and
the audit fails with the reason (an unanswered credential offer is withdrawn and made once more
first). One lock per audit keeps webhooks and sweeps from taking one step twice.

Why a kill at any point finishes exactly once: every act is either recorded before it is made
(an offer is marked "offering" first, and a restart looks for it at the agent before offering
again) or is idempotent by content (RecordEmissions replays an identical request as the record it
made; the credential id is derived from the record id). The raw bill is deposited, encrypted, in
the content store before the audit counts it as deposited; a restart before that fetches it again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from controllers.acapy import AcaPyAdmin, AdminApiError, ExchangeTimeout
from controllers.auditor.audits import AuditBook
from controllers.auditor.record import AuditRecord, AuditState, PeriodStep
from controllers.auditor.request import AuditRequest
from controllers.auditor.utility_access import UtilityAccess, UtilityRefused
from credentials import vocabulary as v
from controllers.consent.errors import ConsentError
from credentials.consent import ConsentTerms, consent_credential, new_consent_id, parse_consent
from custody import sha256_hex
from controllers.issuance import EmissionsIssuer, IssuanceError
from controllers.ledger import LedgerError
from controllers.ledger import LedgerUnavailable, unreachable
from controllers.workflow import StaleVersion, WorkflowStore

__all__ = ["AuditManager", "AuditorConfig"]

LOG = logging.getLogger(__name__)
S = AuditState
_PROPOSAL_KEY = "z" + "1" * 8  # stands in while a draft is built for a holder whose DID names no key
_ENDED = frozenset({"abandoned", "declined", "deleted"})
# Failures that say nothing about the audit: the next sweep tries the step again.
_TRANSIENT = (LedgerUnavailable, aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)


@dataclass
class AuditorConfig:
    data_dir: Path
    utility_urls: dict[str, str] = field(default_factory=dict)  # EIA utility id -> utility service URL
    exchange_timeout: float = 60.0  # seconds another party's agent may stay silent
    sweep_interval: float = 15.0  # seconds between the app's sweeps
    offers_in_flight: int = 2  # credential offers per audit the customer's wallet has not answered yet

    def __post_init__(self) -> None:
        if self.exchange_timeout <= 0 or self.sweep_interval <= 0:
            raise ValueError("exchange_timeout and sweep_interval must be positive (seconds)")
        if self.offers_in_flight < 1:
            raise ValueError("offers_in_flight must be at least 1")


class AuditManager:
    def __init__(self, config: AuditorConfig, admin: AcaPyAdmin, http: aiohttp.ClientSession,
                 store: WorkflowStore, issuer: EmissionsIssuer) -> None:
        self.config, self.admin, self.issuer = config, admin, issuer
        self.did = issuer.settings.auditor_did
        self.book = AuditBook(store)
        self.utility = UtilityAccess(admin, http, self.did)
        self._feeds: dict[str, bytes] = {}  # audit id -> the feed fetched, until it is deposited
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def start(self) -> None:
        await self.sweep()

    # -- the operator's API ------------------------------------------------------------------------
    async def new_audit(self, request: AuditRequest) -> tuple[str, dict[str, Any]]:
        """A new audit and the invitation the customer accepts in its wallet."""
        invitation = await self.admin.create_invitation(alias="audit", auto_accept=True)
        audit = self.book.create(request.to_json(), invitation.invitation_msg_id)
        LOG.info("audit %s: invitation created", audit.audit_id)
        return audit.audit_id, invitation.invitation

    def audit(self, audit_id: str) -> AuditRecord | None:
        return self.book.get(audit_id)

    def audits(self, *states: AuditState) -> list[AuditRecord]:
        return self.book.all(states or None)

    async def retry(self, audit_id: str) -> AuditRecord:
        """Take a failed audit back to the step it failed in, with fresh exchanges where one died."""
        async with self._locks[audit_id]:
            audit = self._get(audit_id)
            if audit.state != S.FAILED:
                raise ValueError(f"only a failed audit can be retried; this one is {audit.state}")
            failed_in = S(audit.data.get("failed_in", S.REQUESTED))
            if failed_in == S.CONNECTED:
                audit = self.book.reopen(audit, S.CONNECTED, pres_ex_id=None)
            elif failed_in in {S.CONSENT_PROPOSED, S.CONSENT_REQUESTED}:
                audit = self.book.reopen(audit, S.ACCOUNT_PROVEN, cred_ex_id=None, proposal_id=None)
            elif failed_in == S.CREDENTIALS_OFFERED:
                periods = [p if p["step"] == PeriodStep.STORED else {**p, "step": PeriodStep.ANCHORED}
                           for p in audit.periods if p["step"] != PeriodStep.PENDING]
                audit = self.book.reopen(audit, S.ANCHORED, periods=periods)
            else:
                audit = self.book.reopen(audit, failed_in)
            LOG.info("audit %s: retried from %s", audit_id, audit.state)
        await self.step(audit_id)
        return self._get(audit_id)

    async def refetch(self, audit_id: str) -> AuditRecord:
        """Fetch again under the audit's consent: billing periods not anchored before become new
        records and credentials; those already anchored are left as they are."""
        async with self._locks[audit_id]:
            audit = self._get(audit_id)
            if audit.state != S.DONE:
                raise ValueError(f"bills are fetched again only for a done audit; this one is {audit.state}")
            await self._fetch(audit)
        await self.step(audit_id)
        return self._get(audit_id)

    def _get(self, audit_id: str) -> AuditRecord:
        audit = self.book.get(audit_id)
        if audit is None:
            raise KeyError(audit_id)
        return audit

    # -- webhooks and sweeps -----------------------------------------------------------------------
    async def on_webhook(self, topic: str, payload: dict[str, Any]) -> None:
        key = {"connections": "invitation_msg_id", "present_proof_v2_0": "pres_ex_id",
               "issue_credential_v2_0": "cred_ex_id"}.get(topic)
        ref = payload.get(key) if key else None
        audit = self.book.find(ref) if isinstance(ref, str) and ref else None
        if audit is not None and not audit.state.final:
            await self.step(audit.audit_id)

    async def step(self, audit_id: str) -> None:
        """Take every step the audit can take now; a transient failure leaves it for the next sweep."""
        async with self._locks[audit_id]:
            while True:
                audit = self.book.get(audit_id)
                if audit is None or audit.state.final:
                    return
                try:
                    moved = await self._advance(audit)
                except _TRANSIENT as exc:
                    LOG.warning("audit %s: %s paused (%s); the sweep retries", audit_id, audit.state, type(exc).__name__)
                    return
                except AdminApiError as exc:
                    if exc.status is not None and 0 < exc.status < 500:  # 0: the agent did not answer
                        raise
                    LOG.warning("audit %s: %s paused (agent: %s); the sweep retries", audit_id, audit.state, exc.status)
                    return
                except StaleVersion:
                    continue  # cannot happen under the lock unless another process shares the store
                if not moved:
                    return

    async def sweep(self, now: float | None = None) -> list[str]:
        """Step every open audit; fail those whose other party went silent. Returns the failed ids."""
        now = datetime.now(UTC).timestamp() if now is None else now
        failed = []
        for stale in self.book.open():
            await self.step(stale.audit_id)
            waits = stale.state.waits_on_agent
            if waits is None or now - stale.updated < self.config.exchange_timeout:
                continue
            async with self._locks[stale.audit_id]:
                audit = self.book.get(stale.audit_id)
                if audit is None or (audit.state, audit.version) != (stale.state, stale.version):
                    continue  # it moved: not silent
                if await self._give_up(audit):
                    failed.append(audit.audit_id)
        return failed

    async def _give_up(self, audit: AuditRecord) -> bool:
        """End the silent exchange at the agent with a problem report (a late answer cannot revive
        it, and the other party learns why) and fail the audit; an unanswered offer is made once more."""
        timeout = self.config.exchange_timeout
        if audit.state == S.CREDENTIALS_OFFERED:
            if await self._offer_again(audit):
                return False
            record_id = next((p["cred_ex_id"] for p in audit.periods if p["step"] == PeriodStep.OFFERED), "?")
            topic = "issue_credential_v2_0"
        elif audit.state == S.CONNECTED:
            record_id, topic = audit.pres_ex_id or "?", "present_proof_v2_0"
        else:
            record_id, topic = audit.cred_ex_id or "?", "issue_credential_v2_0"
        last_state = await self._withdraw(topic, record_id, f"no answer within {timeout:g} s")
        silent = ExchangeTimeout(topic, record_id, {"done"}, timeout, last_state)
        self.book.move(audit, S.FAILED, reason=f"{audit.state.waits_on_agent} timed out: {silent}"[:300])
        LOG.info("audit %s: failed (%s timed out)", audit.audit_id, audit.state.waits_on_agent)
        return True

    async def _offer_again(self, audit: AuditRecord) -> bool:
        """Withdraw the offers the wallet never answered (an overloaded agent can drop a message) and
        send the audit back to make them once more; each offer gets one second chance. An exchange
        the wallet did take up is left to finish."""
        periods, again = audit.periods, False
        for index, period in enumerate(periods):
            if period["step"] != PeriodStep.OFFERED or period.get("reoffered"):
                continue
            ex = await self.admin.credential_exchange(period["cred_ex_id"])
            if ex.state == "offer-sent":
                await self.admin.credential_problem_report(ex.cred_ex_id, "offer withdrawn: no answer; offered again")
                periods[index] = {**period, "step": PeriodStep.ANCHORED, "reoffered": True}
                again = True
        if again:
            self.book.move(audit, S.ANCHORED, periods=periods)
        return again

    async def _withdraw(self, topic: str, record_id: str, why: str) -> str | None:
        """Problem-report the exchange; returns its state just before (None if it could not be read)."""
        read = self.admin.presentation_exchange if topic == "present_proof_v2_0" else self.admin.credential_exchange
        report = (self.admin.presentation_problem_report if topic == "present_proof_v2_0"
                  else self.admin.credential_problem_report)
        try:
            last = (await read(record_id)).state
            await report(record_id, why)
            return last
        except AdminApiError as exc:
            LOG.warning("could not end the silent exchange (%s)", exc.status)
            return None

    # -- the steps -----------------------------------------------------------------------------------
    async def _advance(self, audit: AuditRecord) -> bool:
        """Take the audit's next step if it can be taken now; True if the record changed."""
        match audit.state:
            case S.REQUESTED:
                return await self._connection(audit)
            case S.CONNECTED:
                return await (self._read_proof(audit) if audit.pres_ex_id else self._ask_account_proof(audit))
            case S.ACCOUNT_PROVEN:
                return await self._propose(audit)
            case S.CONSENT_PROPOSED | S.CONSENT_REQUESTED:
                return await self._consent_exchange(audit)
            case S.CONSENT_HELD:
                return await self._fetch(audit)
            case S.BILLS_FETCHED:
                return await self._deposit(audit)
            case S.DEPOSITED:
                return await self._anchor(audit)
            case S.ANCHORED | S.CREDENTIALS_OFFERED:
                return await self._deliver(audit)
        return False

    async def _connection(self, audit: AuditRecord) -> bool:
        for conn in await self.admin.connections(invitation_msg_id=audit.data["invitation_msg_id"]):
            if conn.is_active:
                self.book.move(audit, S.CONNECTED, connection_id=conn.connection_id)
                return True
        return False

    async def _ask_account_proof(self, audit: AuditRecord) -> bool:
        account_field: dict[str, Any] = {"path": ["$.credentialSubject.accountId"]}
        wanted = AuditRequest.from_json(audit.request).account
        if wanted:
            account_field["filter"] = {"type": "string", "const": wanted}
        definition = {
            "id": str(uuid.uuid4()),
            "input_descriptors": [{
                "id": "utility-account",
                "name": "Utility account",
                "schema": v.descriptor_schema(v.ACCOUNT_TYPE),
                # ACA-Py's holder needs a constraints object (without one it fails with a 500).
                "constraints": {"fields": [account_field]},
            }],
        }
        pres = await self.admin.send_presentation_request(
            audit.connection_id, definition, challenge=str(uuid.uuid4()), comment="Proof of utility account")
        self.book.save(audit, pres_ex_id=pres.pres_ex_id, refs=[pres.pres_ex_id])
        return True

    async def _read_proof(self, audit: AuditRecord) -> bool:
        pres = await self.admin.presentation_exchange(audit.pres_ex_id)
        if pres.state in _ENDED:
            self._fail(audit, f"account proof failed: {pres.error_msg or pres.state}")
            return True
        if pres.state != "done":
            return False
        problem, account = self._account_of(audit, pres)
        if problem:
            self._fail(audit, problem)
        else:
            self.book.move(audit, S.ACCOUNT_PROVEN, account=account)
        return True

    @staticmethod
    def _account_of(audit: AuditRecord, pres) -> tuple[str | None, dict[str, Any] | None]:
        if pres.verified is not True:
            return "account proof did not verify", None
        creds = (pres.presentation or {}).get("verifiableCredential") or []
        accounts = [c for c in creds if v.ACCOUNT_TYPE in (c.get("type") or [])]
        if len(accounts) != 1:
            return "expected exactly one account credential", None
        subject = accounts[0].get("credentialSubject") or {}
        holder = (pres.presentation or {}).get("holder") or subject.get("id")
        if subject.get("id") != holder:
            return "account credential is not the presenter's", None
        wanted = AuditRequest.from_json(audit.request).account
        if wanted and subject.get("accountId") != wanted:
            return "account credential is for another account than the one asked for", None
        return None, {"utility_id": subject.get("utilityEiaId"), "account": subject.get("accountId"),
                      "service_point": subject.get("servicePointId"), "holder": subject.get("id")}

    async def _propose(self, audit: AuditRecord) -> bool:
        """Propose the consent, once: its id is recorded before the proposal goes out, and a restart
        finds a proposal already made by that id instead of asking the customer twice."""
        proposal_id = audit.data.get("proposal_id")
        if proposal_id:
            for ex in await self.admin.credential_exchanges(connection_id=audit.connection_id, role="holder"):
                if ((ex.proposal or {}).get("credential") or {}).get("id") == proposal_id:
                    self.book.move(audit, S.CONSENT_PROPOSED, cred_ex_id=ex.cred_ex_id, refs=[ex.cred_ex_id])
                    return True
        else:
            proposal_id = new_consent_id()
            audit = self.book.save(audit, proposal_id=proposal_id)
        request, account = AuditRequest.from_json(audit.request), audit.account
        assert account is not None
        # The key of the holder's own did:key: a stock wallet issues the proposal as it stands, so
        # bills are encrypted to a key it holds; a wallet may put another key of its own instead.
        key = await self.admin.key_agreement_of(account["holder"])
        terms = ConsentTerms(
            utility_id=account["utility_id"], account=account["account"], period=request.period,
            scope=request.scope, purpose=request.purpose,
            expires=datetime.now(UTC).replace(microsecond=0) + timedelta(days=request.consent_days),
            key_agreement=key or _PROPOSAL_KEY,
        )
        draft = consent_credential(consent_id=proposal_id, issuer=account["holder"], subject=self.did,
                                   terms=terms, issued=datetime.now(UTC))
        if key is None:
            del draft["credentialSubject"]["keyAgreementPublicKeyMultibase"]
        ex = await self.admin.send_credential_proposal(audit.connection_id, draft, comment="Consent to read your bills")
        self.book.move(audit, S.CONSENT_PROPOSED, cred_ex_id=ex.cred_ex_id, refs=[ex.cred_ex_id])
        return True

    async def _consent_exchange(self, audit: AuditRecord) -> bool:
        try:
            ex = await self.admin.credential_exchange(audit.cred_ex_id)
        except AdminApiError as exc:
            if exc.status == 404:
                self._fail(audit, "consent exchange lost")
                return True
            raise
        if ex.state in _ENDED:
            self.book.move(audit, S.DECLINED, reason=f"consent declined: {ex.error_msg or 'no reason given'}"[:300])
            LOG.info("audit %s: declined", audit.audit_id)
            return True
        if ex.state == "offer-received" and audit.state == S.CONSENT_PROPOSED:
            problem = self._offer_problem(audit, (ex.offer or {}).get("credential") or {})
            if problem:
                await self.admin.credential_problem_report(ex.cred_ex_id, problem)
                self._fail(audit, problem)
                return True
            await self.admin.send_credential_request(ex.cred_ex_id, holder_did=self.did)
            self.book.move(audit, S.CONSENT_REQUESTED)
            return True
        if ex.state == "done":
            # The agent stores received credentials itself (--auto-store-credential); "done" says it did.
            self.book.move(audit, S.CONSENT_HELD, consent=ex.credential)
            LOG.info("audit %s: consent held", audit.audit_id)
            return True
        return False

    def _offer_problem(self, audit: AuditRecord, offered: dict[str, Any]) -> str | None:
        """The customer may set its key, id and dates; the grant itself must be what was asked."""
        try:
            consent = parse_consent(offered)
        except ConsentError as exc:
            return f"offered consent is malformed: {exc.reason}"
        request, account = AuditRequest.from_json(audit.request), audit.account
        assert account is not None
        if consent.subject != self.did:
            return "offered consent names another subject"
        if consent.issuer != account["holder"]:
            return "offered consent is not issued by the account holder"
        if (consent.terms.account, consent.terms.period, consent.terms.scope) != (
                account["account"], request.period, request.scope):
            return "offered consent does not grant what was asked"
        return None

    # -- the bill ------------------------------------------------------------------------------------
    async def _fetch(self, audit: AuditRecord) -> bool:
        """Download the feed under the consent and parse it, once; the feed stays in memory only until
        it is deposited (a restart before that fetches it again)."""
        fetched = await self._download(audit)
        if fetched is None:
            return True
        feed, periods = fetched
        self._feeds[audit.audit_id] = feed
        self.book.move(audit, S.BILLS_FETCHED, fetched={"sha256": sha256_hex(feed), "periods": periods})
        LOG.info("audit %s: bills fetched (%d billing periods)", audit.audit_id, len(periods))
        return True

    async def _download(self, audit: AuditRecord) -> tuple[bytes, list[dict[str, str]]] | None:
        """The feed and its kWh per billing period; None once a refusal or an unusable feed ended the audit."""
        consent = parse_consent(audit.consent)
        base = self.config.utility_urls.get(consent.terms.utility_id)
        if base is None:
            self._fail(audit, "no address known for the consent's utility")
            return None
        try:
            with self.issuer.clock.stage("fetch"):
                feed = await self.utility.download(audit.consent, base)
            return feed, await self.issuer.usage(feed)
        except UtilityRefused as exc:
            ending = {"consent revoked": S.REVOKED, "consent expired": S.EXPIRED}.get(str(exc), S.FAILED)
            self.book.move(audit, ending, reason=f"utility refused: {exc}"[:300])
            LOG.info("audit %s: %s at the utility", audit.audit_id, ending)
        except (IssuanceError, ValueError) as exc:  # GreenButtonError is a ValueError
            self._fail(audit, f"feed unusable: {exc}")
        return None

    async def _deposit(self, audit: AuditRecord) -> bool:
        feed = self._feeds.pop(audit.audit_id, None)
        if feed is None:  # restarted since the fetch: fetch again (nothing was anchored from it)
            fetched = await self._download(audit)
            if fetched is None:
                return True
            feed, periods = fetched
            if sha256_hex(feed) != audit.data["fetched"]["sha256"]:
                audit = self.book.save(audit, fetched={"sha256": sha256_hex(feed), "periods": periods})
        consent = parse_consent(audit.consent)
        bill = await self.issuer.deposit(feed, consent.terms.key_agreement)
        known = {p["start"] for p in audit.periods}
        added = [{**p, "step": PeriodStep.PENDING, "bill": bill} for p in audit.data["fetched"]["periods"]
                 if p["start"] not in known]
        bills = [*audit.data.get("bills", []), bill]
        self.book.move(audit, S.DEPOSITED, bills=bills, periods=[*audit.periods, *added])
        LOG.info("audit %s: bill deposited, %d new billing period(s)", audit.audit_id, len(added))
        return True

    async def _anchor(self, audit: AuditRecord) -> bool:
        owner = _Owner.of(audit)
        for index, period in enumerate(audit.periods):
            if period["step"] != PeriodStep.PENDING:
                continue
            try:
                anchored = await self.issuer.anchor(owner, period["bill"], period)
            except (IssuanceError, LedgerError) as exc:
                if unreachable(exc):
                    raise LedgerUnavailable(str(exc)) from exc
                self._fail(audit, f"anchoring {period['start'][:10]} failed: {exc}")
                return True
            audit = self._save_period(audit, index, step=PeriodStep.ANCHORED, anchored=anchored)
        self.book.move(audit, S.ANCHORED)
        LOG.info("audit %s: anchored", audit.audit_id)
        return True

    async def _offer_more(self, audit: AuditRecord) -> AuditRecord:
        """Offer anchored periods' credentials, at most `offers_in_flight` unanswered at a time: each
        one holds a session in the customer's wallet while it runs, and a wallet has few."""
        in_flight = sum(p["step"] in {PeriodStep.OFFERING, PeriodStep.OFFERED} for p in audit.periods)
        for index, period in enumerate(audit.periods):
            resumed = period["step"] == PeriodStep.OFFERING  # a restart may have made this offer
            if not resumed:
                if period["step"] != PeriodStep.ANCHORED or in_flight >= self.config.offers_in_flight:
                    continue
                in_flight += 1
                audit = self._save_period(audit, index, step=PeriodStep.OFFERING)
            exchange = await self.issuer.offer(audit.connection_id, self.issuer.credential(period["anchored"]),
                                               maybe_offered=resumed)
            audit = self._save_period(audit, index, step=PeriodStep.OFFERED, cred_ex_id=exchange.cred_ex_id,
                                      refs=[exchange.cred_ex_id])
        return audit

    async def _deliver(self, audit: AuditRecord) -> bool:
        """Mark the credentials the wallet stored, offer more, and be done when it stored them all."""
        before = audit.version
        for index, period in enumerate(audit.periods):
            if period["step"] != PeriodStep.OFFERED:
                continue
            ex = await self.admin.credential_exchange(period["cred_ex_id"])
            if ex.state == "done":
                audit = self._save_period(audit, index, step=PeriodStep.STORED)
            elif ex.state in _ENDED:
                self._fail(audit, f"the wallet did not take the credential for {period['start'][:10]}: "
                                  f"{ex.error_msg or ex.state}")
                return True
        audit = await self._offer_more(audit)
        if all(p["step"] == PeriodStep.STORED for p in audit.periods):
            self.book.move(audit, S.DONE)
            LOG.info("audit %s: done", audit.audit_id)
            return True
        if audit.state == S.ANCHORED:
            self.book.move(audit, S.CREDENTIALS_OFFERED)
            LOG.info("audit %s: credentials offered", audit.audit_id)
            return True
        return audit.version != before

    def _save_period(self, audit: AuditRecord, index: int, *, refs=(), **values: Any) -> AuditRecord:
        periods = audit.periods
        periods[index] = {**periods[index], **values}
        return self.book.save(audit, periods=periods, refs=refs)

    def _fail(self, audit: AuditRecord, reason: str) -> None:
        self.book.move(audit, S.FAILED, reason=reason[:300])
        LOG.info("audit %s: failed in %s", audit.audit_id, audit.state)


@dataclass(frozen=True)
class _Owner:
    """Whose bill it is, from the verified account credential and the consent (a BillOwner)."""

    customer_did: str
    utility_id: int
    account_id: str
    service_point_id: str

    @classmethod
    def of(cls, audit: AuditRecord) -> _Owner:
        account, consent = audit.account, parse_consent(audit.consent)
        assert account is not None
        return cls(consent.issuer, int(consent.terms.utility_id), consent.terms.account,
                   account.get("service_point") or "")
