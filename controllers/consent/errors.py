"""Refusals with a reason a person can act on; the reason never carries personal data."""

from __future__ import annotations


class ConsentError(Exception):
    """Base of every refusal in the consent flow."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class MalformedConsent(ConsentError):
    """A credential or presentation that does not have the consent's shape."""


class ConsentRejected(ConsentError):
    """A well-formed consent presentation that fails a check (proof, binding, expiry, ...)."""


class AccessDenied(ConsentError):
    """A data request outside what the bearer token grants (or with no valid token)."""
