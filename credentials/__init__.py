"""The project's three credentials as data, shared by every party: the utility's account
credential (`account`), the customer's consent to read its bills (`consent`), the auditor's
emissions credential for one anchored billing period (`emissions`), and the names they share
(`vocabulary`). Pure functions of their input: no I/O, no agents, no ledger."""

from credentials.account import AccountClaims, account_credential
from credentials.consent import Consent, ConsentTerms, Period, consent_credential, new_consent_id, parse_consent
from credentials.emissions import (
    CredentialFormatError,
    EmissionsClaims,
    LedgerAnchor,
    credential_id_for,
    emissions_credential,
    read_emissions_credential,
)
from credentials.errors import ConsentError, MalformedConsent

__all__ = [
    "AccountClaims",
    "Consent",
    "ConsentError",
    "ConsentTerms",
    "CredentialFormatError",
    "EmissionsClaims",
    "LedgerAnchor",
    "MalformedConsent",
    "Period",
    "account_credential",
    "consent_credential",
    "credential_id_for",
    "emissions_credential",
    "new_consent_id",
    "parse_consent",
    "read_emissions_credential",
]
