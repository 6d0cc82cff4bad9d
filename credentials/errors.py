"""What is wrong with a credential's shape; the reason never carries personal data."""

from __future__ import annotations


class ConsentError(Exception):
    """Base of every refusal in the consent flow."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class MalformedConsent(ConsentError):
    """A credential or presentation that does not have the consent's (or account's) shape."""

