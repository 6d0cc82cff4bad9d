"""OpenID4VCI offers a customer asks for itself: the way its PIN reaches the signed-in customer.

The customer's wallet service (where the person is signed in) presents one of its emissions
credentials to the auditor, signed by the credential's subject DID and bound to a challenge the
auditor gave out (single use, minutes). The auditor checks the presentation with its agent, that it
issued that credential to that DID in an audit it finished, and answers an offer of the same
period as an SD-JWT VC, with its PIN, to that caller only. The offer goes to the person's other
wallet (a QR code); the PIN stays on the signed-in page, never in the offer.
"""

from __future__ import annotations

from typing import Any

from controllers.acapy import AdminApiError
from controllers.auditor.manager import AuditManager
from controllers.auditor.record import AuditState
from controllers.oid4vc import CredentialIssuer, CredentialOffer
from credentials import vocabulary as v

__all__ = ["OfferRefused", "offer_for_presentation"]


class OfferRefused(Exception):
    """The presentation does not entitle its holder to an offer; the message says why, in one line."""


async def offer_for_presentation(manager: AuditManager, issuer: CredentialIssuer, presentation: Any,
                                 challenge: str) -> CredentialOffer:
    """The offer of the period the presented credential names; the challenge must be consumed already."""
    if not isinstance(presentation, dict):
        raise OfferRefused("verifiablePresentation must be a JSON object")
    holder = presentation.get("holder")
    proof = presentation.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    if not isinstance(holder, str) or not isinstance(method, str) or method.split("#", 1)[0] != holder:
        raise OfferRefused("the presentation must be signed by its holder")
    credentials = presentation.get("verifiableCredential")
    credentials = credentials if isinstance(credentials, list) else [credentials]
    emissions = [c for c in credentials if isinstance(c, dict) and v.EMISSIONS_TYPE in (c.get("type") or [])]
    if len(emissions) != 1 or len(credentials) != 1:
        raise OfferRefused("present exactly one emissions credential")
    credential = emissions[0]
    issued_by = credential.get("issuer")
    issued_by = issued_by.get("id") if isinstance(issued_by, dict) else issued_by
    subject = credential.get("credentialSubject") or {}
    if issued_by != manager.did:
        raise OfferRefused("this auditor did not issue that credential")
    if subject.get("id") != holder:
        raise OfferRefused("the credential is not the presenter's")
    try:
        verified = (await manager.admin.vp_verify(presentation, challenge=challenge)).get("verified") is True
    except AdminApiError as exc:
        if exc.status is None or not 400 <= exc.status < 500:
            raise
        verified = False
    if not verified:
        raise OfferRefused("the presentation or its credential does not verify")
    record_id = (subject.get("ledgerAnchor") or {}).get("recordId")
    for audit in manager.audits(AuditState.DONE):
        anchored = audit.anchored(record_id) if (audit.account or {}).get("holder") == holder else None
        if anchored is not None:
            return issuer.offer(manager.issuer.credential(anchored))
    raise OfferRefused("no finished audit of this auditor anchored that record for that holder")
