"""The consent credential as typed data, and its VCDM 1.1 JSON shape.

`ConsentTerms` is what a customer grants; `Consent` is a parsed, well-formed consent credential
(its proof is checked elsewhere, by an agent). Parsing is strict: a missing or odd claim is a
`MalformedConsent` naming the claim, never a silent default.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from credentials import vocabulary as v
from credentials.account import UTILITY_ID, iso_instant
from credentials.errors import MalformedConsent
from custody.errors import KeyFormatError
from custody.keys import parse_public_key
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

@dataclass(frozen=True)
class Period:
    """Calendar days, both ends included (how people read "1 Jan to 31 Mar")."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise MalformedConsent(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def covers(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True)
class ConsentTerms:
    """What a customer grants an auditor: whose data, which days, which resources, why, until when."""

    utility_id: str
    account: str
    period: Period
    scope: frozenset[str]
    purpose: str
    expires: datetime  # tz-aware
    key_agreement: str  # customer's X25519 public key, multibase (z + base58btc of 0xec01 || key)

    def __post_init__(self) -> None:
        if not UTILITY_ID.match(self.utility_id):
            raise MalformedConsent("utilityEiaId must be an EIA-861 utility number (digits)")
        if not self.account:
            raise MalformedConsent("accountId must not be empty")
        if not self.scope or not self.scope <= v.SCOPES:
            raise MalformedConsent(f"scope must be a non-empty subset of {sorted(v.SCOPES)}")
        if not self.purpose.strip():
            raise MalformedConsent("purpose must not be empty")
        if self.expires.tzinfo is None:
            raise MalformedConsent("expiry must carry a time zone")
        if not self.key_agreement.startswith("z"):
            raise MalformedConsent("keyAgreementPublicKeyMultibase must be a base58btc multibase value")


@dataclass(frozen=True)
class Consent:
    """A well-formed DataAccessConsentCredential (issuer = customer, subject = auditor)."""

    consent_id: str
    issuer: str
    subject: str
    terms: ConsentTerms
    credential: dict[str, Any]

    def key_agreement_key(self) -> X25519PublicKey:
        """The customer's X25519 key the bills are encrypted to. Checked on issued consents only:
        the auditor's proposal carries a placeholder the customer replaces with its own key."""
        try:
            return parse_public_key(self.terms.key_agreement)
        except KeyFormatError as exc:
            raise MalformedConsent(f"keyAgreementPublicKeyMultibase: {exc}") from None


def new_consent_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def consent_credential(
    *, consent_id: str, issuer: str, subject: str | None, terms: ConsentTerms, issued: datetime
) -> dict[str, Any]:
    """The unsigned consent credential, in the shape the project context defines."""
    claims: dict[str, Any] = {
        "utilityEiaId": terms.utility_id,
        "accountId": terms.account,
        "periodStart": terms.period.start.isoformat(),
        "periodEnd": terms.period.end.isoformat(),
        "scope": sorted(terms.scope),
        "purpose": terms.purpose,
        "consentExpires": iso_instant(terms.expires),
        "keyAgreementPublicKeyMultibase": terms.key_agreement,
    }
    if subject:
        claims = {"id": subject, **claims}
    return {
        "@context": [v.CREDENTIALS_V1, v.PROJECT_CONTEXT],
        "id": consent_id,
        "type": ["VerifiableCredential", v.CONSENT_TYPE],
        "issuer": issuer,
        "issuanceDate": iso_instant(issued),
        "expirationDate": iso_instant(terms.expires),
        "credentialSubject": claims,
    }


def parse_consent(credential: Any) -> Consent:
    """A Consent from a consent credential's JSON, or MalformedConsent naming what is wrong."""
    if not isinstance(credential, dict):
        raise MalformedConsent("consent credential must be a JSON object")
    types = credential.get("type")
    if not isinstance(types, list) or v.CONSENT_TYPE not in types:
        raise MalformedConsent(f"credential is not a {v.CONSENT_TYPE}")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        raise MalformedConsent("consent has no single credentialSubject object")
    try:
        terms = ConsentTerms(
            utility_id=_text(subject, "utilityEiaId"),
            account=_text(subject, "accountId"),
            period=Period(_date(subject, "periodStart"), _date(subject, "periodEnd")),
            scope=frozenset(_scope(subject.get("scope"))),
            purpose=_text(subject, "purpose"),
            expires=_instant(subject, "consentExpires"),
            key_agreement=_text(subject, "keyAgreementPublicKeyMultibase"),
        )
    except (TypeError, ValueError) as exc:
        raise MalformedConsent(f"consent claims are malformed: {exc}") from None
    return Consent(
        consent_id=_text(credential, "id"),
        issuer=issuer_of(credential),
        subject=_text(subject, "id"),
        terms=terms,
        credential=credential,
    )


def issuer_of(credential: dict[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    if not isinstance(issuer, str) or not issuer:
        raise MalformedConsent("credential has no issuer")
    return issuer


def _text(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip():
        raise MalformedConsent(f"claim '{name}' is missing or not a string")
    return value


def _date(obj: dict[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(_text(obj, name))
    except ValueError:
        raise MalformedConsent(f"claim '{name}' is not a date (YYYY-MM-DD)") from None


def _instant(obj: dict[str, Any], name: str) -> datetime:
    try:
        value = datetime.fromisoformat(_text(obj, name))
    except ValueError:
        raise MalformedConsent(f"'{name}' is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise MalformedConsent(f"'{name}' has no time zone")
    return value


def _scope(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise MalformedConsent("claim 'scope' must be a string or a list of strings")
    return items
