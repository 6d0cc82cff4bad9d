"""The customer's wallet controller: what the agent may not decide alone.

- onboarding: accepts the utility's account credential offer, bound to the customer's did:key;
- account proof: shows the auditor it connected to the UtilityAccountCredential(s) it asks for,
  and nothing else;
- consent: a proposal from an auditor waits for the person; approving issues the
  DataAccessConsentCredential (issuer: the customer's did:key), declining sends a problem report;
- revocation: a presentation of the consent signed by the customer's DID, sent to the utility;
- emissions credentials: accepts the auditor's UtilityEmissionsCredential when it names this
  wallet's DID; a verifier's request for them waits for the person (approve shares exactly the
  credentials asked for, decline sends a problem report), unless `auto_share_emissions` says the
  person has agreed in advance.

Webhooks only say "look again": each handler reads the record from the agent, so duplicates and
out-of-order deliveries are harmless, and `start()` replays what a restart may have missed.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from controllers.acapy import AcaPyAdmin, AdminApiError
from controllers.acapy.records import CredentialExchange
from credentials import vocabulary as v
from controllers.consent.errors import ConsentError, MalformedConsent
from controllers.consent.keys import KeyAgreementKey, load_or_create
from credentials.consent import consent_credential, new_consent_id, parse_consent
from controllers.customer import emissions
from controllers.customer.emissions import SharingRequest
from controllers.customer.store import ConsentRecord, CustomerStore
from controllers.workflow import StaleVersion
from custody import BillCustody, ContentStore, CustodyError
from credentials.emissions import CredentialFormatError, read_emissions_credential

LOG = logging.getLogger(__name__)


class WalletError(Exception):
    """A request the wallet cannot carry out; the message says why."""


@dataclass
class CustomerConfig:
    data_dir: Path
    utility_urls: dict[str, str] = field(default_factory=dict)  # EIA utility id -> utility service URL
    # Share emissions credentials with any verifier that asks, without asking the person: only for
    # demos and tests, where the person has agreed in advance. Default: the person decides.
    auto_share_emissions: bool = False
    # Where the auditors deposit the encrypted bills (the content store named in each credential).
    bill_store: ContentStore | None = None
    auditor_urls: dict[str, str] = field(default_factory=dict)  # auditor DID -> its service URL (OpenID4VCI offers)


class CustomerWallet:
    def __init__(self, config: CustomerConfig, admin: AcaPyAdmin, store: CustomerStore | None = None):
        """`store`: this wallet's part of a shared store; None opens `wallet.sqlite3` in its data dir."""
        self.config, self.admin = config, admin
        self.store = store if store is not None else CustomerStore(config.data_dir / "wallet.sqlite3")
        self.key: KeyAgreementKey = load_or_create(config.data_dir / "keys" / "x25519.key")
        self.did = ""
        # Exchanges being answered: a webhook and a sweep may both see one.
        self._answering: set[str] = set()
        self._approving: set[str] = set()  # approvals whose offer is being sent right now

    async def start(self) -> None:
        self.did = (await self.admin.ensure_did_key(self.store.get_meta("did"))).did
        self.store.set_meta("did", self.did)
        for record in await self.admin.credential_exchanges():
            try:
                await self._on_credential(record.cred_ex_id)
            except AdminApiError:
                raise  # the agent is not answering: the wallet cannot start
            except Exception:  # noqa: BLE001 - an exchange nobody can read must not keep the wallet shut
                LOG.exception("credential exchange %s could not be replayed", record.cred_ex_id)
        await self.sweep(credentials=False)

    async def sweep(self, *, credentials: bool = True) -> None:
        """Look at every waiting offer and request again: a webhook lost to an overloaded agent
        must not leave an exchange hanging."""
        if credentials:
            for record in await self.admin.credential_exchanges(role="holder", state="offer-received"):
                await self._on_credential(record.cred_ex_id)
        for pres in await self.admin.presentation_exchanges(role="prover", state="request-received"):
            await self._on_presentation(pres.pres_ex_id)

    def close(self) -> None:
        self.store.close()

    async def accept_invitation(self, invitation: dict[str, Any], alias: str) -> str:
        """The person chose to connect (to its utility, or to an auditor); returns the connection id."""
        return (await self.admin.receive_invitation(invitation, alias=alias)).connection_id

    # -- webhooks -------------------------------------------------------------------------------
    async def on_webhook(self, topic: str, payload: dict[str, Any]) -> None:
        if topic == "issue_credential_v2_0" and payload.get("cred_ex_id"):
            await self._on_credential(payload["cred_ex_id"])
        elif topic == "present_proof_v2_0" and payload.get("state") == "request-received":
            await self._on_presentation(payload["pres_ex_id"])

    async def _on_credential(self, cred_ex_id: str) -> None:
        try:
            ex = await self.admin.credential_exchange(cred_ex_id)
        except AdminApiError as exc:
            if exc.status == 404:
                return
            raise
        if ex.role == "holder" and ex.state == "offer-received":
            # A webhook and a sweep may both see the offer: it is answered once.
            answer = self._accept_emissions_offer(ex) if emissions.is_emissions_offer(ex) else self._accept_account_offer(ex)
            await self._once(ex.cred_ex_id, answer)
        elif ex.role == "issuer":
            await self._consent_progress(ex)

    async def _accept_account_offer(self, ex: CredentialExchange) -> None:
        credential = (ex.offer or {}).get("credential") or {}
        if v.ACCOUNT_TYPE not in (credential.get("type") or []):
            await self.admin.credential_problem_report(ex.cred_ex_id, "this wallet only accepts account credentials unasked")
            return
        await self.admin.send_credential_request(ex.cred_ex_id, holder_did=self.did)
        LOG.info("account credential requested")

    async def _accept_emissions_offer(self, ex: CredentialExchange) -> None:
        refusal = emissions.offer_refusal(ex, self.did)
        if refusal:
            await self.admin.credential_problem_report(ex.cred_ex_id, refusal)
            LOG.info("emissions credential offer %s refused: %s", ex.cred_ex_id, refusal)
            return
        await self.admin.send_credential_request(ex.cred_ex_id, holder_did=self.did)
        LOG.info("emissions credential %s requested", ex.cred_ex_id)

    async def _once(self, exchange_id: str, action) -> None:
        """Run `action` unless the same exchange is already being answered; a failure lets the
        next webhook or sweep try again."""
        if exchange_id in self._answering:
            action.close()
            return
        self._answering.add(exchange_id)
        try:
            await action
        except BaseException:
            self._answering.discard(exchange_id)
            raise

    async def _consent_progress(self, ex: CredentialExchange) -> None:
        record = self.store.get(ex.cred_ex_id)
        if ex.state == "proposal-received" and record is None:
            proposal = (ex.proposal or {}).get("credential") or {}
            if v.CONSENT_TYPE not in (proposal.get("type") or []):
                await self.admin.credential_problem_report(ex.cred_ex_id, "only consent credentials can be proposed")
                return
            if self.store.add_request(ex.cred_ex_id, ex.connection_id, proposal):
                LOG.info("consent request %s waits for the person", ex.cred_ex_id)
        elif record is None:
            return
        elif ex.state == "proposal-received" and record.state == "approved" and ex.cred_ex_id not in self._approving:
            # Approved, but the offer never went out (a crash in between): ask the person again.
            if self._advance(record, state="pending", consent_id=None):
                LOG.info("consent request %s waits for the person again: its approval was never sent", ex.cred_ex_id)
        elif ex.state == "request-received" and record.state == "approved":
            await self.admin.issue_credential(ex.cred_ex_id)
        elif ex.state in {"credential-issued", "done"} and record.state == "approved":
            issued = ex.credential or (await self.admin.credential_exchange(ex.cred_ex_id)).credential
            if self._advance(record, state="issued", credential=issued):
                LOG.info("consent %s issued", ex.cred_ex_id)
        elif ex.state == "abandoned" and record.state in {"pending", "approved"}:
            self._advance(record, state="failed", reason=(ex.error_msg or "abandoned")[:200])

    def _advance(self, record: ConsentRecord, **values: Any) -> ConsentRecord | None:
        """The agent's progress, recorded from the version read; None if a webhook and a sweep both
        saw it and the other one recorded it first (the record has moved on)."""
        try:
            return self.store.update(record, **values)
        except StaleVersion:
            LOG.info("consent request %s changed meanwhile; left as the newer step put it", record.cred_ex_id)
            return None

    def _decide(self, record: ConsentRecord, **values: Any) -> ConsentRecord:
        """The person's decision, recorded before it is acted on and only on the request as they
        saw it: a second click, or a change meanwhile, refuses instead of answering twice."""
        try:
            return self.store.update(record, **values)
        except StaleVersion:
            now = self.store.get(record.cred_ex_id)
            raise WalletError(f"consent request is {now.state if now else 'gone'}, not pending") from None

    async def _on_presentation(self, pres_ex_id: str) -> None:
        try:
            pres = await self.admin.presentation_exchange(pres_ex_id)
        except AdminApiError as exc:
            if exc.status == 404:
                return
            raise
        if pres.state != "request-received" or pres.role != "prover":
            return
        if emissions.is_emissions_request(pres):
            if self.config.auto_share_emissions:
                await self._once(pres_ex_id, self._share(pres_ex_id))
            else:
                LOG.debug("emissions presentation request %s waits for the person", pres_ex_id)
            return
        await self._present_account(pres)

    async def _present_account(self, pres) -> None:
        """Show the account credential(s) the auditor asks for, and only those."""
        pres_ex_id = pres.pres_ex_id
        definition = ((pres.request or {}).get("presentation_definition")) or {}
        input_descriptors = definition.get("input_descriptors", [])
        descriptors = [d.get("id") for d in input_descriptors]
        wanted = _required_subject_values(input_descriptors[0]) if len(input_descriptors) == 1 else {}
        matches = await self.admin.matching_credentials(pres_ex_id)
        # Each match is the credential itself plus its wallet `record_id`. ACA-Py lists every
        # credential of the type, so the request's `const` filters (the account asked for) are
        # applied here: presenting one that fails them makes the agent answer 500.
        accounts = [
            m["record_id"]
            for m in matches
            if v.ACCOUNT_TYPE in ((m.get("cred_value") or m).get("type") or [])
            and _subject_matches((m.get("cred_value") or m).get("credentialSubject") or {}, self.did, wanted)
        ]
        if not accounts or len(descriptors) != 1:
            await self.admin.presentation_problem_report(pres_ex_id, "this wallet only shows account credentials")
            return
        await self.admin.send_presentation(pres_ex_id, {descriptors[0]: accounts[:1]})
        LOG.info("account credential presented")

    # -- the person's decisions: emissions credentials ---------------------------------------------
    async def sharing_requests(self) -> list[SharingRequest]:
        """Pending requests from verifiers for emissions credentials, with what would be shared."""
        out = []
        for pres in await self.admin.presentation_exchanges(role="prover", state="request-received"):
            if emissions.is_emissions_request(pres):
                try:
                    out.append(await emissions.sharing_request(self.admin, pres, self.did))
                except ValueError:
                    continue  # unanswerable: declining it is the person's call, shown nowhere
        return out

    async def sharing_request(self, pres_ex_id: str) -> SharingRequest:
        try:
            pres = await self.admin.presentation_exchange(pres_ex_id)
        except AdminApiError as exc:
            if exc.status == 404:
                raise WalletError("no such presentation request") from None
            raise
        if pres.role != "prover" or not emissions.is_emissions_request(pres):
            raise WalletError("no such presentation request")
        if pres.state != "request-received":
            raise WalletError(f"presentation request is {pres.state}, not pending")
        try:
            return await emissions.sharing_request(self.admin, pres, self.did)
        except ValueError as exc:
            raise WalletError(str(exc)) from None

    async def approve_sharing(self, pres_ex_id: str) -> SharingRequest:
        """Present the credentials the request names (all of them, each only once)."""
        request = await self.sharing_request(pres_ex_id)
        missing = set(request.asked_records or ()) - {m.ledger_record for m in request.matches}
        if not request.matches or missing:
            reason = "this wallet does not hold the emissions credentials asked for"
            await self.admin.presentation_problem_report(pres_ex_id, reason)
            raise WalletError(f"presentation request declined: {reason}")
        await self.admin.send_presentation(pres_ex_id, request.selection())
        LOG.info("emissions credentials shared for request %s", pres_ex_id)
        return request

    async def decline_sharing(self, pres_ex_id: str, reason: str = "declined by the customer") -> SharingRequest:
        request = await self.sharing_request(pres_ex_id)
        await self.admin.presentation_problem_report(pres_ex_id, reason)
        LOG.info("emissions presentation request %s declined", pres_ex_id)
        return request

    async def _share(self, pres_ex_id: str) -> None:
        try:
            await self.approve_sharing(pres_ex_id)
        except WalletError as exc:
            LOG.info("emissions presentation request %s not shared: %s", pres_ex_id, exc)

    # -- the person's decisions: consents ---------------------------------------------------------
    def consents(self, *states: str) -> list[ConsentRecord]:
        return self.store.all(*states)

    def consent(self, cred_ex_id: str) -> ConsentRecord:
        record = self.store.get(cred_ex_id)
        if record is None:
            raise WalletError("no such consent request")
        return record

    async def approve(self, cred_ex_id: str) -> ConsentRecord:
        record = self.consent(cred_ex_id)
        if record.state != "pending":
            raise WalletError(f"consent request is {record.state}, not pending")
        held = await self._held_accounts()
        try:
            credential = self._consent_from(record.proposal, held)
        except ConsentError as exc:
            await self.decline(cred_ex_id, exc.reason)
            raise WalletError(f"consent request declined: {exc.reason}") from None
        approved = self._decide(record, state="approved", consent_id=credential["id"])
        self._approving.add(cred_ex_id)
        try:
            await self.admin.send_offer_for_proposal(cred_ex_id, credential=credential)
        except BaseException:
            # The request waits for the person again if nothing was offered; an offer that went out
            # although the call failed (no answer in time) goes on as approved.
            with contextlib.suppress(Exception):
                if (await self.admin.credential_exchange(cred_ex_id)).state == "proposal-received":
                    self.store.update(approved, state="pending", consent_id=None)
            raise
        finally:
            self._approving.discard(cred_ex_id)
        LOG.info("consent request %s approved", cred_ex_id)
        return self.consent(cred_ex_id)

    def _consent_from(self, proposal: dict[str, Any], held: set[tuple[str, str]]) -> dict[str, Any]:
        """The consent to issue: the auditor's proposed terms, with the customer's own DID, key and
        a fresh id; refused if the account is not one this wallet holds."""
        draft = copy.deepcopy(proposal)
        draft["id"] = new_consent_id()
        draft["issuer"] = self.did
        subject = draft.setdefault("credentialSubject", {})
        subject["keyAgreementPublicKeyMultibase"] = self.key.public_multibase
        parsed = parse_consent(draft)
        if not parsed.subject.startswith("did:key:"):
            raise MalformedConsent("the consent's subject (the auditor) must be a did:key")
        if (parsed.terms.utility_id, parsed.terms.account) not in held:
            raise MalformedConsent("the account named is not one this wallet holds a credential for")
        if parsed.terms.expires <= datetime.now(UTC):
            raise MalformedConsent("the proposed consent has already expired")
        return consent_credential(
            consent_id=parsed.consent_id, issuer=self.did, subject=parsed.subject, terms=parsed.terms,
            issued=datetime.now(UTC),
        )

    async def decline(self, cred_ex_id: str, reason: str = "declined by the customer") -> ConsentRecord:
        record = self.consent(cred_ex_id)
        if record.state != "pending":
            raise WalletError(f"consent request is {record.state}, not pending")
        self._decide(record, state="declined", reason=reason)
        await self.admin.credential_problem_report(cred_ex_id, reason)
        LOG.info("consent request %s declined", cred_ex_id)
        return self.consent(cred_ex_id)

    async def held_credentials(self) -> list[dict[str, Any]]:
        return [r.get("cred_value", r) for r in await self.admin.w3c_credentials()]

    async def open_bill(self, credential_id: str) -> bytes:
        """The raw bill behind a held emissions credential: fetched by its content id, decrypted
        with this wallet's key, checked against the credential's billSha256."""
        if self.config.bill_store is None:
            raise WalletError("this wallet has no bill store configured")
        held = [c for c in await self.held_credentials() if c.get("id") == credential_id]
        if not held:
            raise WalletError("no held credential with that id")
        try:
            claims = read_emissions_credential(held[0])
        except CredentialFormatError as exc:
            raise WalletError(f"not an emissions credential: {exc}") from None
        try:
            return await BillCustody(self.config.bill_store).retrieve(
                claims.bill_content_id, self.key.private, claims.bill_sha256, kid=self.key.public_multibase)
        except CustodyError as exc:
            raise WalletError(f"the bill could not be opened: {exc}") from None

    async def openid_offer(self, credential_id: str, http: aiohttp.ClientSession) -> dict[str, Any]:
        """An OpenID4VCI offer of a held emissions credential for the person's other wallet, and its
        PIN: asked of the auditor that issued it with a presentation of it, signed by this wallet's
        DID for the auditor's challenge (see controllers.auditor.holder_offers)."""
        held = [c for c in await self.held_credentials() if c.get("id") == credential_id]
        if not held or v.EMISSIONS_TYPE not in (held[0].get("type") or []):
            raise WalletError("no held emissions credential with that id")
        issuer = held[0].get("issuer")
        base = self.config.auditor_urls.get(issuer.get("id") if isinstance(issuer, dict) else issuer)
        if base is None:
            raise WalletError("this wallet has no address for the auditor that issued the credential")
        async with http.post(f"{base}/oid4vci/holder-challenges") as resp:
            if resp.status != 201:
                raise WalletError(f"the auditor gave no challenge (HTTP {resp.status})")
            challenge = (await resp.json())["challenge"]
        vp = await self.admin.vc_present(self.did, held, challenge=challenge)
        async with http.post(f"{base}/oid4vci/holder-offers", json={"verifiablePresentation": vp, "challenge": challenge}) as resp:
            body = await resp.json(content_type=None)
            if resp.status != 201:
                raise WalletError(f"the auditor refused the offer: {(body or {}).get('error', resp.status)}")
        LOG.info("OpenID4VCI offer received for a held credential")
        return {"offer_uri": body["offer_uri"], "pin": body["pin"], "expires_in": body["expires_in"]}

    async def _held_accounts(self) -> set[tuple[str, str]]:
        out = set()
        # The admin API's `types` filter rejects fragment IRIs, so filter by subject and check here.
        for cred in await self.admin.w3c_credentials(subject_ids=[self.did]):
            value = cred.get("cred_value") or cred
            subject = value.get("credentialSubject") or {}
            if v.ACCOUNT_TYPE in (value.get("type") or []) and subject.get("id") == self.did:
                out.add((subject.get("utilityEiaId"), subject.get("accountId")))
        return out

    async def revoke(self, consent_id: str, http: aiohttp.ClientSession) -> None:
        """Withdraw an issued consent at its utility; later use of it fails there."""
        record = self.store.by_consent_id(consent_id)
        if record is None or record.credential is None:
            raise WalletError("no issued consent with that id")
        if record.state == "revoked":
            return
        consent = parse_consent(record.credential)
        base = self.config.utility_urls.get(consent.terms.utility_id)
        if base is None:
            raise WalletError("this wallet has no address for the consent's utility")
        async with http.get(f"{base}/consent/challenge") as resp:
            challenge = (await resp.json())["challenge"]
        vp = await self.admin.vc_present(self.did, [record.credential], challenge=challenge)
        async with http.post(f"{base}/consent/revocations", json={"verifiablePresentation": vp}) as resp:
            body = await resp.json()
            if resp.status != 200:
                raise WalletError(f"utility refused the revocation: {body.get('error')}")
        try:
            self.store.update(record, state="revoked")
        except StaleVersion:
            # Two revocations at once: the utility took both; the first recorded stands.
            now = self.store.get(record.cred_ex_id)
            if now is None or now.state != "revoked":
                raise WalletError("consent changed while being revoked; look again") from None
        LOG.info("consent %s revoked", record.cred_ex_id)


def _required_subject_values(descriptor: dict[str, Any]) -> dict[str, Any]:
    """`credentialSubject` claims an input descriptor pins with a `const` filter."""
    wanted: dict[str, Any] = {}
    for field_ in (descriptor.get("constraints") or {}).get("fields") or []:
        const = (field_.get("filter") or {}).get("const")
        for path in field_.get("path") or []:
            if const is not None and path.startswith("$.credentialSubject."):
                wanted[path.removeprefix("$.credentialSubject.")] = const
    return wanted


def _subject_matches(subject: dict[str, Any], did: str, wanted: dict[str, Any]) -> bool:
    return subject.get("id") == did and all(subject.get(name) == value for name, value in wanted.items())
