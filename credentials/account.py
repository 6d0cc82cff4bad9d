"""The utility's UtilityAccountCredential: which account and service point a customer's DID holds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from credentials import vocabulary as v
from credentials.errors import MalformedConsent

UTILITY_ID = re.compile(r"^[0-9]{1,7}$")  # EIA-861 utility number


def iso_instant(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AccountClaims:
    """What the utility attests in a UtilityAccountCredential."""

    utility_id: str
    account: str
    service_point: str

    def __post_init__(self) -> None:
        if not UTILITY_ID.match(self.utility_id):
            raise MalformedConsent("utility id must be an EIA-861 utility number (digits)")
        if not self.account or not self.service_point:
            raise MalformedConsent("account and service point must not be empty")


def account_credential(issuer: str, holder: str | None, claims: AccountClaims, issued: datetime) -> dict[str, Any]:
    """The unsigned credential; `holder` None lets the holder set its did:key at request time."""
    subject: dict[str, Any] = {
        "utilityEiaId": claims.utility_id,
        "accountId": claims.account,
        "servicePointId": claims.service_point,
    }
    if holder:
        subject = {"id": holder, **subject}
    return {
        "@context": [v.CREDENTIALS_V1, v.PROJECT_CONTEXT],
        "type": ["VerifiableCredential", v.ACCOUNT_TYPE],
        "issuer": issuer,
        "issuanceDate": iso_instant(issued),
        "credentialSubject": subject,
    }
