"""Names shared by issuers, holders and verifiers of the account, consent and emissions credentials.

The JSON-LD context is served offline by the agents' plugin (agents/contexts); the term names
here must be the ones that context defines, or ACA-Py drops the claims and refuses to sign.
"""

from __future__ import annotations

from agents.contexts import CONTEXT_URL, type_iri

PROJECT_CONTEXT = CONTEXT_URL  # served offline by the agents' plugin

CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"

ACCOUNT_TYPE = "UtilityAccountCredential"
CONSENT_TYPE = "DataAccessConsentCredential"
EMISSIONS_TYPE = "UtilityEmissionsCredential"

# What a consent can grant: kinds of ESPI resources (Green Button Connect calls these
# "function blocks"; a short closed set is enough for this custodian).
SCOPE_USAGE = "usage"  # UsagePoint, MeterReading, ReadingType, IntervalBlock, LocalTimeParameters
SCOPE_BILLING = "billing"  # usage summaries (billing periods and their costs)
SCOPES = frozenset({SCOPE_USAGE, SCOPE_BILLING})

# DIF input descriptors match types by their expanded IRIs (the `schema` list ACA-Py requires).
ACCOUNT_TYPE_IRI = type_iri(ACCOUNT_TYPE)
CONSENT_TYPE_IRI = type_iri(CONSENT_TYPE)
EMISSIONS_TYPE_IRI = type_iri(EMISSIONS_TYPE)
VC_TYPE_IRI = "https://www.w3.org/2018/credentials#VerifiableCredential"


def descriptor_schema(credential_type: str) -> list[dict[str, str]]:
    """The `schema` list of a DIF input descriptor asking for one of our credential types.

    ACA-Py matches expanded type IRIs; Credo (Sphereon PEX) matches only context URLs and the
    literal strings of `type`. So the type is named both ways (a context URL would match every
    credential of ours), the literal as not required: ACA-Py's holder looks up credentials by
    every required entry, and no expanded type equals the bare name."""
    return [{"uri": VC_TYPE_IRI}, {"uri": type_iri(credential_type)}, {"uri": credential_type, "required": False}]
