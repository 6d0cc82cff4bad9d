"""Scoped, expiring bearer tokens granted against a checked consent.

The bearer value is random and opaque; the custodian keeps only its SHA-256 digest, with the grant
it stands for, so a leaked token table gives no usable tokens. A token never outlives its consent.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from controllers.consent.errors import AccessDenied
from credentials.consent import Consent, Period

DEFAULT_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class AccessToken:
    digest: str
    consent_id: str
    utility_id: str
    account: str
    period: Period
    scope: frozenset[str]
    expires: datetime


@dataclass(frozen=True)
class DataRequest:
    """What a request asks for, in the terms a token grants."""

    account: str
    kind: str | None  # the scope it needs (vocabulary.SCOPES), None if any consent may read it
    period: Period


def digest(bearer: str) -> str:
    return hashlib.sha256(bearer.encode()).hexdigest()


def mint(consent: Consent, now: datetime, ttl: timedelta = DEFAULT_TTL) -> tuple[str, AccessToken]:
    """A new bearer value and the grant stored under its digest."""
    bearer = secrets.token_urlsafe(32)
    terms = consent.terms
    token = AccessToken(
        digest=digest(bearer),
        consent_id=consent.consent_id,
        utility_id=terms.utility_id,
        account=terms.account,
        period=terms.period,
        scope=terms.scope,
        expires=min(now + ttl, terms.expires),
    )
    return bearer, token


def authorise(token: AccessToken | None, request: DataRequest, *, now: datetime, revoked: bool) -> None:
    """Return if `token` grants `request`, else raise AccessDenied with the first reason that applies."""
    if token is None:
        raise AccessDenied("unknown access token")
    if revoked:
        raise AccessDenied("consent revoked")
    if now >= token.expires:
        raise AccessDenied("access token expired")
    if request.account != token.account:
        raise AccessDenied("access token does not cover this subscription")
    if request.kind is not None and request.kind not in token.scope:
        raise AccessDenied(f"resource outside the consented scope ({request.kind} not in {sorted(token.scope)})")
    if not token.period.covers(request.period):
        raise AccessDenied(
            f"requested period {request.period.start}..{request.period.end} is outside the consented period "
            f"{token.period.start}..{token.period.end}"
        )
