"""Refusals of bill custody. Messages name the problem and, at most, a content id: never a customer
identifier, a recipient id, an account or a reading, because they end up in logs."""

from __future__ import annotations


class CustodyError(Exception):
    """Base of every refusal in bill custody."""


class KeyFormatError(CustodyError, ValueError):
    """A key that is not an X25519 key in one of the accepted forms."""


class MalformedJwe(CustodyError, ValueError):
    """Bytes that are not a JWE of the shape this package writes."""


class NotARecipient(CustodyError):
    """The private key (or the asked-for recipient) does not open this JWE."""


class TamperedCiphertext(CustodyError):
    """The key opened the JWE but the content failed authentication: something was altered."""


class PlaintextHashMismatch(CustodyError):
    """The decrypted bill is not the one whose SHA-256 the credential and the ledger hold."""


class InvalidCid(CustodyError, ValueError):
    """A string that is not a CID this store accepts."""


class ContentMismatch(CustodyError):
    """Bytes that do not hash to the CID they are stored or served under."""


class ContentNotFound(CustodyError, KeyError):
    """No content under this CID in the store."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class StoreUnavailable(CustodyError):
    """The content store could not be reached or answered with an error."""
