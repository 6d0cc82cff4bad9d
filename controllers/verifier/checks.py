"""`EmissionsVerifier`: is this UtilityEmissionsCredential (or a presentation of it) true?

Checks, in order, each recorded in the verdict:
1. proof: the credential's Ed25519 proof (2018 or 2020 suite) verifies (checked in-process by `proofs`, offline:
   only did:key issuers and the project's known contexts; or by the verifier's agent, for a
   presentation it received over DIDComm);
2. format: it reads as a UtilityEmissionsCredential (read_emissions_credential);
3. consistent: its readable claims agree with the record detail it carries (who, account, scope,
   the figures of that scope: kWh and tCO2e for Scope 2; fuel, quantity, unit, mmBtu, tCO2e, factors
   and GWP set for Scope 1; bill id and hash);
4. ledger: the anchor names this verifier's channel and chaincode;
5. issuer: the issuer DID belonged to an active registered auditor at issuance (IsActiveAuditor);
6. record: the public record exists, was written by the anchor's transaction, and agrees with the
   claims (utility, period, scope, fuel, edition, GWP set for Scope 1, issuing DID); it carries no
   figures: check 8 covers them;
7. transaction: that transaction is VALID, in the block the anchor names (CommitStatus);
8. detail hash: SHA-256 of the carried record detail (salt, figures, bill) equals the on-ledger
   private data hash;
9. current: the record has not been superseded.

A failed proof or format stops there (nothing else in the document can be trusted). A check this
verifier could not make (its proof checker failed or timed out, the ledger unreachable) stops with
an `error` verdict: never "verified" without the evidence, and never "rejected" for our own failure.
A proof checker with too much work raises `ProofCheckBusy` to the caller, which says "busy, retry".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controllers.acapy import AcaPyAdmin
from credentials.emissions import (FUEL_FACTOR_TERMS, CredentialFormatError, EmissionsClaims, read_emissions_credential,
                                   record_scope)
from controllers.ledger import LedgerError, detail_hash
from controllers.ledger import LedgerSession, LedgerUnavailable
from controllers.verifier.proofs import ProofChecker, ProofCheckBusy, ProofCheckUnavailable
from controllers.verifier.verdict import ERROR, REJECTED, VERIFIED, Check, Verdict

__all__ = ["EmissionsVerifier"]


class _Stop(Exception):
    def __init__(self, status: str) -> None:
        self.status = status


class EmissionsVerifier:
    """`admin`: the verifier's agent (DIDComm requests); `proofs`: checks proofs of what is handed
    over directly (None: only presentations the agent received and verified can be checked)."""

    def __init__(self, admin: AcaPyAdmin, ledger: LedgerSession, proofs: ProofChecker | None = None) -> None:
        self.admin = admin
        self.ledger = ledger
        self.proofs = proofs

    async def check_presentation(self, presentation: Mapping[str, Any], challenge: str, *,
                                 agent_verified: bool | None = None) -> list[Verdict]:
        """One verdict per credential in a presentation bound to `challenge`; the presentation's
        own proof and holder binding are checks of each. `agent_verified`: the verdict of this
        verifier's agent on a presentation it received over DIDComm with this challenge (it
        checked the presentation's proof and its credentials'), instead of asking again."""
        checks: list[Check] = []
        checked_with_presentation = agent_verified is True
        if agent_verified is not None:
            checks.append(Check("presentation proof", agent_verified,
                                "verified by this verifier's agent for this request's challenge" if agent_verified else
                                "this verifier's agent found the presentation or a credential proof invalid"))
        else:
            try:
                result = await self._checker().presentation(presentation, challenge)
            except ProofCheckBusy:
                raise
            except ProofCheckUnavailable as exc:
                check = Check("presentation proof", False, f"could not be checked: {exc}")
                return [Verdict(ERROR, (check,))]
            checks.append(Check("presentation proof", result.ok, result.reason))
            checked_with_presentation = result.ok
        credentials = presentation.get("verifiableCredential") or []
        if isinstance(credentials, Mapping):
            credentials = [credentials]
        if not credentials:
            return [Verdict(REJECTED, (*checks, Check("credentials", False, "the presentation holds no credential")))]
        holder = _presenter(presentation)
        verdicts = []
        for credential in credentials:
            subject = (credential.get("credentialSubject") or {}).get("id") if isinstance(credential, Mapping) else None
            bound = Check("holder", holder == subject and holder is not None,
                          "presented by its subject" if holder == subject else "presented by someone other than its subject")
            # A verified presentation proof covers every credential proof in it (the agent's and
            # the proof checker's alike); only when it failed is each checked again, to say which.
            verdicts.append(await self.check_credential(credential, prior=(*checks, bound),
                                                        proof_checked=checked_with_presentation))
        return verdicts

    async def check_credential(self, credential: Mapping[str, Any], *, prior: tuple[Check, ...] = (),
                               proof_checked: bool = False) -> Verdict:
        """`proof_checked`: this verifier's agent already verified the credential's proof (inside a
        presentation it verified), so it is not verified a second time."""
        checks = list(prior)
        claims: EmissionsClaims | None = None
        try:
            if proof_checked:
                checks.append(Check("credential proof", True, "verified with the presentation that carried it"))
            else:
                await self._proof(credential, checks)
            claims = self._format(credential, checks)
            self._consistent(claims, checks)
            await self._ledger_checks(claims, checks)
            status = VERIFIED if all(c.ok for c in checks) else REJECTED
        except _Stop as stop:
            status = stop.status
        return Verdict(
            status, tuple(checks),
            credential_id=claims.credential_id if claims else _get(credential, "id"),
            record_id=claims.anchor.record_id if claims else None,
            summary=_summary(claims) if claims else {},
        )

    # -- the checks -----------------------------------------------------------------------------
    def _checker(self) -> ProofChecker:
        if self.proofs is None:
            raise ProofCheckUnavailable("this verifier has no proof checker: it can only check presentations "
                                        "its agent received")
        return self.proofs

    async def _proof(self, credential: Mapping[str, Any], checks: list[Check]) -> None:
        try:
            result = await self._checker().credential(credential)
        except ProofCheckBusy:
            raise
        except ProofCheckUnavailable as exc:
            checks.append(Check("credential proof", False, f"could not be checked: {exc}"))
            raise _Stop(ERROR) from None
        checks.append(Check("credential proof", result.ok, result.reason))
        if not result.ok:
            raise _Stop(REJECTED)

    @staticmethod
    def _format(credential: Mapping[str, Any], checks: list[Check]) -> EmissionsClaims:
        try:
            claims = read_emissions_credential(credential)
        except CredentialFormatError as exc:
            checks.append(Check("format", False, str(exc)))
            raise _Stop(REJECTED) from None
        checks.append(Check("format", True, "a UtilityEmissionsCredential"))
        return claims

    @staticmethod
    def _consistent(claims: EmissionsClaims, checks: list[Check]) -> None:
        detail = claims.record_detail
        emissions = detail.get("emissions") if isinstance(detail.get("emissions"), Mapping) else {}
        pairs = {
            "recordId": (claims.anchor.record_id, detail.get("record_id")),
            "subject": (claims.subject, detail.get("customer_did")),
            "accountId": (claims.account_id, detail.get("account_id")),
            "servicePointId": (claims.service_point_id, detail.get("service_point_id")),
            # Scope 1 figures say so; electricity figures predate scopes and say nothing.
            "ghgScope": (claims.scope, emissions.get("scope", 2)),
            **(_scope_1_pairs(claims, detail, emissions) if claims.scope == 1 else _scope_2_pairs(claims, emissions)),
            "billContentId": (claims.bill_content_id, _path(detail, "bill", "content_id")),
            "billSha256": (claims.bill_sha256, _path(detail, "bill", "sha256")),
        }
        differing = [name for name, (claimed, recorded) in pairs.items() if claimed != recorded]
        verb = "differs" if len(differing) == 1 else "differ"
        checks.append(Check("consistent", not differing, "claims agree with the record detail" if not differing
                            else f"{', '.join(differing)} {verb} from the record detail"))

    async def check_anchored(self, claims: EmissionsClaims, *, detail_sha256: str,
                             prior: tuple[Check, ...] = ()) -> Verdict:
        """Checks 4-9 of a credential whose proof, format and holder binding the caller checked
        (`prior`), presented without its record detail: a selectively disclosed SD-JWT VC, whose
        holder may withhold the account the detail names. The detail hash the issuer signed
        (`detail_sha256`) stands for the detail's own in check 8; check 3 needs the detail and is
        the issuer's word (its signature covers both the claims and that hash)."""
        checks = list(prior)
        try:
            await self._ledger_checks(claims, checks, detail_sha256=detail_sha256)
            status = VERIFIED if all(c.ok for c in checks) else REJECTED
        except _Stop as stop:
            status = stop.status
        return Verdict(status, tuple(checks), credential_id=claims.credential_id, record_id=claims.anchor.record_id,
                       summary=_summary(claims))

    async def _ledger_checks(self, claims: EmissionsClaims, checks: list[Check], *,
                             detail_sha256: str | None = None) -> None:
        profile = self.ledger.profile
        anchor = claims.anchor
        same = (anchor.channel, anchor.chaincode) == (profile.channel, profile.chaincode)
        checks.append(Check("ledger", same, f"anchored on {anchor.channel}/{anchor.chaincode}" if same else
                            f"anchored on {anchor.channel}/{anchor.chaincode}, this verifier reads "
                            f"{profile.channel}/{profile.chaincode}"))
        if not same:
            raise _Stop(REJECTED)
        try:
            await self._issuer(claims, checks)
            record = await self._record(claims, checks)
            if record is None:
                return
            if record.get("tx_id") == claims.anchor.transaction_id:
                await self._transaction(claims, checks)
            else:
                # Never ask the gateway about a transaction id only the credential names: it waits
                # for transactions it has not seen, and the answer is already known.
                checks.append(Check("transaction", False, "the record was written by another transaction "
                                    "than the credential names"))
            await self._detail_hash(claims, checks, detail_sha256)
        except LedgerUnavailable as exc:
            checks.append(Check("ledger reachable", False, str(exc)))
            raise _Stop(ERROR) from None
        except LedgerError as exc:  # the ledger answered with a failure of its own: no evidence either way
            checks.append(Check("ledger answer", False, f"the ledger could not answer: {exc}"))
            raise _Stop(ERROR) from None

    async def _issuer(self, claims: EmissionsClaims, checks: list[Check]) -> None:
        answer = await self.ledger.is_active_auditor(claims.issuer, claims.issued)
        if answer["registered"] and answer["active"]:
            checks.append(Check("issuer", True, f"a registered auditor ({answer['msp_id']}) active at issuance"))
        elif answer["registered"]:
            checks.append(Check("issuer", False, f"auditor {answer['msp_id']} was {answer['status']} at issuance"))
        else:
            checks.append(Check("issuer", False, "the issuer DID is not a registered auditor on the ledger"))

    async def _record(self, claims: EmissionsClaims, checks: list[Check]) -> dict[str, Any] | None:
        try:
            record = await self.ledger.get_record(claims.anchor.record_id)
        except LedgerError as exc:
            if f"no record {claims.anchor.record_id}" not in str(exc):
                raise  # a failure of the ledger, not an answer about this record
            checks.append(Check("record", False, "no such record on the ledger"))
            return None
        expected = {
            "tx_id": claims.anchor.transaction_id,
            "utility_id": claims.utility_id,
            "scope": claims.scope,
            "fuel": claims.fuel,
            "edition": claims.factor_edition,
            "auditor_did": claims.issuer,
            "period_start": claims.period_start,
            "period_end": claims.period_end,
        }
        actual = {
            **{k: record.get(k) for k in ("tx_id", "utility_id", "fuel", "edition", "auditor_did")},
            "scope": record_scope(record),
            "period_start": str(record.get("period_start", ""))[:10],
            "period_end": str(record.get("period_end", ""))[:10],
        }
        if claims.scope == 1:  # a Scope 2 credential states no GWP set (eGRID's CO2e rates carry theirs)
            expected["gwp_set"], actual["gwp_set"] = claims.gwp_set, record.get("gwp_set")
        differing = [k for k in expected if expected[k] != actual[k]]
        checks.append(Check("record", not differing, "the public record agrees with the credential" if not differing
                            else f"the ledger's record differs in {_differences(differing, expected, actual)}"))
        current = record.get("status") == "active"
        checks.append(Check("current", current, "not superseded" if current else
                            f"superseded by record {record.get('superseded_by')}"))
        return record

    async def _transaction(self, claims: EmissionsClaims, checks: list[Check]) -> None:
        status = await self.ledger.transaction_status(claims.anchor.transaction_id)
        ok = status.valid and status.block_number == claims.anchor.block_number
        detail = (f"VALID in block {status.block_number}" if ok else
                  f"{status.code_name} in block {status.block_number}, the credential says block {claims.anchor.block_number}")
        checks.append(Check("transaction", ok, detail))

    async def _detail_hash(self, claims: EmissionsClaims, checks: list[Check], digest: str | None = None) -> None:
        digest = digest if digest is not None else detail_hash(claims.record_detail)
        answer = await self.ledger.verify_record(claims.anchor.record_id, digest)
        ok = bool(answer.get("matches"))
        checks.append(Check("detail hash", ok, "matches the private data hash on the ledger" if ok else
                            "the record detail in the credential does not match the hash on the ledger"))


def _scope_2_pairs(claims: EmissionsClaims, emissions: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        "electricityKwh": (claims.kwh, emissions.get("kwh")),
        "locationBasedTco2e": (claims.location_tco2e, _path(emissions, "location", "emissions", "co2e_t")),
        "marketBasedTco2e": (claims.market_tco2e, _path(emissions, "market", "emissions", "co2e_t")),
    }


def _scope_1_pairs(claims: EmissionsClaims, detail: Mapping[str, Any],
                   emissions: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        "fuel": (claims.fuel, emissions.get("fuel")),
        "fuelQuantity": (claims.fuel_quantity, emissions.get("quantity")),
        "fuelUnit": (claims.fuel_unit, emissions.get("unit")),
        "fuelEnergyMmbtu": (claims.fuel_mmbtu, emissions.get("mmbtu")),
        "scope1Tco2e": (claims.scope1_tco2e, _path(emissions, "emissions", "co2e_t")),
        "factorEdition": (claims.factor_edition, _path(emissions, "factor", "edition")),
        "factorSource": (claims.factor_source, detail.get("factor_reason")),
        "gwpSet": (claims.gwp_set, _path(emissions, "gwp", "name")),
        **{term: (claims.fuel_factors.get(term), _path(emissions, "factor", key))
           for term, key in FUEL_FACTOR_TERMS.items()},
    }


def _differences(names: list[str], claimed: Mapping[str, Any], recorded: Mapping[str, Any]) -> str:
    """The differing fields; scope and fuel with both values, as they say what kind of record it is."""
    return ", ".join(f"{name} ({recorded[name]!r} on the ledger, {claimed[name]!r} in the credential)"
                     if name in ("scope", "fuel") else name for name in names)


def _path(document: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _presenter(presentation: Mapping[str, Any]) -> str | None:
    """Who signed the presentation: the DID of its proofs' verification method (every proof must
    name the same DID), and the `holder`, when given, must be that DID. ACA-Py signs DIF
    presentations with the credential subject's key and sets no holder; and neither ACA-Py nor the
    proof checks compare `holder` with the signer, so a `holder` alone proves nothing."""
    proofs = presentation.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs]
    signers = {p.get("verificationMethod", "").split("#", 1)[0] if isinstance(p, Mapping)
               and isinstance(p.get("verificationMethod"), str) else "" for p in proofs}
    if len(signers) != 1 or "" in signers:
        return None
    signer = signers.pop()
    holder = presentation.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    return signer if holder in (None, "", signer) else None


def _get(document: Any, key: str) -> Any:
    return document.get(key) if isinstance(document, Mapping) else None


def _summary(claims: EmissionsClaims) -> dict[str, Any]:
    """What was verified; only the figures of the credential's own scope."""
    common = {"issuer": claims.issuer, "utility_id": claims.utility_id, "period_start": claims.period_start,
              "period_end": claims.period_end, "scope": claims.scope, "block_number": claims.anchor.block_number}
    if claims.scope == 1:
        return {**common, "fuel": claims.fuel, "fuel_quantity": claims.fuel_quantity, "fuel_unit": claims.fuel_unit,
                "scope1_tco2e": claims.scope1_tco2e}
    return {**common, "kwh": claims.kwh, "location_tco2e": claims.location_tco2e, "market_tco2e": claims.market_tco2e}
