"""The DID-signed consent to read Green Button data (the credential itself is in `credentials`):
the custodian's checks on a presentation of it, and the scoped access tokens granted against it. Shared by the utility, customer
and auditor controllers; no I/O here."""

from controllers.challenges import ChallengeBook
from controllers.consent.checks import (
    AgentVerdict,
    challenge_of,
    check_consent_presentation,
    check_revocation_presentation,
)
from controllers.consent.errors import AccessDenied, ConsentError, ConsentRejected, MalformedConsent
from controllers.consent.keys import KeyAgreementKey, load_or_create
from controllers.consent.tokens import AccessToken, DataRequest, authorise, mint

__all__ = [
    "AccessDenied",
    "AccessToken",
    "AgentVerdict",
    "ChallengeBook",
    "ConsentError",
    "ConsentRejected",
    "DataRequest",
    "KeyAgreementKey",
    "MalformedConsent",
    "authorise",
    "challenge_of",
    "check_consent_presentation",
    "check_revocation_presentation",
    "load_or_create",
    "mint",
]
