"""Reading a verifiable presentation's parts: its proof, signer, holder and credentials.

Only shape is checked here; whether the proofs hold is the agent's job (/vc/presentations/verify).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credentials import vocabulary as v
from controllers.consent.errors import MalformedConsent


@dataclass(frozen=True)
class PresentationProof:
    challenge: str
    signer: str  # the DID of the verification method that signed
    purpose: str


def did_of(verification_method: str) -> str:
    """did:key:zX#zX -> did:key:zX."""
    did = verification_method.split("#", 1)[0]
    if not did.startswith("did:"):
        raise MalformedConsent("proof verificationMethod is not a DID URL")
    return did


def proof_of(vp: Any) -> PresentationProof:
    if not isinstance(vp, dict):
        raise MalformedConsent("presentation must be a JSON object")
    types = vp.get("type")
    if not isinstance(types, list) or "VerifiablePresentation" not in types:
        raise MalformedConsent("document is not a VerifiablePresentation")
    proof = vp.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise MalformedConsent("presentation must carry exactly one proof")
        proof = proof[0]
    if not isinstance(proof, dict):
        raise MalformedConsent("presentation has no proof")
    challenge, method = proof.get("challenge"), proof.get("verificationMethod")
    if not isinstance(challenge, str) or not challenge:
        raise MalformedConsent("presentation proof has no challenge")
    if not isinstance(method, str):
        raise MalformedConsent("presentation proof has no verificationMethod")
    return PresentationProof(challenge=challenge, signer=did_of(method), purpose=str(proof.get("proofPurpose")))


def holder_of(vp: dict[str, Any]) -> str | None:
    holder = vp.get("holder")
    if isinstance(holder, dict):
        holder = holder.get("id")
    return holder if isinstance(holder, str) else None


def consent_credential_of(vp: dict[str, Any]) -> dict[str, Any]:
    """The one DataAccessConsentCredential the presentation carries."""
    creds = vp.get("verifiableCredential")
    if isinstance(creds, dict):
        creds = [creds]
    if not isinstance(creds, list):
        raise MalformedConsent("presentation carries no credential")
    consents = [c for c in creds if isinstance(c, dict) and v.CONSENT_TYPE in (c.get("type") or [])]
    if len(consents) != 1:
        raise MalformedConsent(f"presentation must carry exactly one {v.CONSENT_TYPE} (found {len(consents)})")
    return consents[0]
