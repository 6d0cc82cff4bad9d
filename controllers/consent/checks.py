"""The custodian's checks on a consent presentation, in the order that gives the clearest reason.

Pure functions of the presentation, the agent's verification result and the custodian's records
(binding of accounts to DIDs, revocations), so every rejection can be unit-tested without agents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from controllers.challenges import ChallengeBook, ChallengeRefused
from controllers.consent.errors import ConsentRejected
from credentials.consent import Consent, parse_consent
from controllers.consent.presentation import PresentationProof, consent_credential_of, holder_of, proof_of


@dataclass(frozen=True)
class AgentVerdict:
    """What the agent's /vc/presentations/verify said, reduced to the two facts we act on."""

    presentation_ok: bool
    credentials_ok: bool
    errors: tuple[str, ...] = ()

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> AgentVerdict:
        pres = result.get("presentation_result") or {}
        creds = result.get("credential_results") or []
        return cls(
            presentation_ok=bool(pres.get("verified")),
            credentials_ok=bool(creds) and all(bool(c.get("verified")) for c in creds),
            errors=tuple(str(e) for e in result.get("errors") or ()),
        )


def challenge_of(vp: Any, challenges: ChallengeBook, now: datetime) -> str:
    """The presentation's challenge, burnt; first, so even a failing attempt cannot be replayed."""
    proof = proof_of(vp)
    try:
        challenges.consume(proof.challenge, now)
    except ChallengeRefused as exc:
        raise ConsentRejected(str(exc)) from None
    return proof.challenge


def _proven_consent(vp: dict[str, Any], verdict: AgentVerdict) -> tuple[PresentationProof, Consent]:
    """The presentation's proof and the consent it carries, once the agent has verified both
    proofs and the presentation was signed for authentication."""
    proof = proof_of(vp)
    if proof.purpose != "authentication":
        raise ConsentRejected("presentation proof purpose must be authentication")
    if not verdict.presentation_ok:
        raise ConsentRejected("presentation proof invalid (signature or challenge does not verify)")
    consent = parse_consent(consent_credential_of(vp))
    if not verdict.credentials_ok:
        raise ConsentRejected("consent proof invalid (credential altered or not signed by its issuer)")
    return proof, consent


def check_consent_presentation(
    vp: dict[str, Any],
    verdict: AgentVerdict,
    *,
    utility_id: str,
    bound_did: Callable[[str], str | None],
    is_revoked: Callable[[str], bool],
    now: datetime,
) -> Consent:
    """The consent the presentation proves, or ConsentRejected with the reason.

    The challenge must already have been consumed (challenge_of) and passed to the agent.
    """
    proof, consent = _proven_consent(vp, verdict)
    holder = holder_of(vp)
    if proof.signer != consent.subject or (holder is not None and holder != consent.subject):
        raise ConsentRejected("presenter is not the consent's subject")
    if consent.terms.utility_id != utility_id:
        raise ConsentRejected("consent names another utility")
    if bound_did(consent.terms.account) != consent.issuer:
        # Same reason whether the account is unknown or bound to someone else: the answer must
        # not tell a prober which accounts exist.
        raise ConsentRejected("consent issuer is not the DID bound to this account")
    if now >= consent.terms.expires:
        raise ConsentRejected("consent expired")
    if is_revoked(consent.consent_id):
        raise ConsentRejected("consent revoked")
    consent.key_agreement_key()  # a consent naming no usable key could never have its bills encrypted
    return consent


def check_revocation_presentation(
    vp: dict[str, Any], verdict: AgentVerdict, *, bound_did: Callable[[str], str | None]
) -> Consent:
    """The consent a customer revokes: the VP must be signed by the consent's issuer (the DID that
    holds the account), so only the person who granted a consent can withdraw it."""
    proof, consent = _proven_consent(vp, verdict)
    if proof.signer != consent.issuer:
        raise ConsentRejected("only the consent's issuer can revoke it")
    if bound_did(consent.terms.account) != consent.issuer:
        raise ConsentRejected("consent issuer is not the DID bound to this account")
    return consent
