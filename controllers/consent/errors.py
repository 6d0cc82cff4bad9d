"""Refusals with a reason a person can act on; the reason never carries personal data."""

from __future__ import annotations


from credentials.errors import ConsentError, MalformedConsent

__all__ = ["AccessDenied", "ConsentError", "ConsentRejected", "MalformedConsent"]


class ConsentRejected(ConsentError):
    """A well-formed consent presentation that fails a check (proof, binding, expiry, ...)."""


class AccessDenied(ConsentError):
    """A data request outside what the bearer token grants (or with no valid token)."""
