"""Bill custody: the auditor deposits a raw feed encrypted to the customer and the auditor orgs; the
customer (or an auditor) retrieves it with its own key and checks it against the credential's hash.

The plaintext hash is SHA-256 over the exact bytes the utility served, as received: no XML
canonicalisation, no newline or encoding normalisation. Anyone holding those bytes can recompute it
with `sha256sum`, and no canonicaliser's version can change it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from custody import jwe
from custody.errors import PlaintextHashMismatch
from custody.keys import Recipient
from custody.store import ContentStore

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class BillReceipt:
    """What the auditor records about a deposited bill (the CID and hash go into the credential)."""

    cid: str
    plaintext_sha256: str
    ciphertext_size: int
    recipients_kids: tuple[str, ...]


class BillCustody:
    def __init__(self, store: ContentStore, *, compress: bool = True, max_plaintext: int = jwe.DEFAULT_MAX_PLAINTEXT):
        self.store = store
        self.compress = compress
        self.max_plaintext = max_plaintext

    async def deposit(self, feed: bytes, recipients: Sequence[Recipient]) -> BillReceipt:
        """Encrypt `feed` to every recipient and store it. Each call encrypts afresh (new content key,
        new ephemeral keys), so the same feed deposited twice gets two CIDs: a caller that must not
        duplicate keeps the receipt and does not deposit again."""
        if not isinstance(feed, (bytes, bytearray)):
            raise TypeError("feed must be the bytes the utility served")
        feed = bytes(feed)
        recipients = tuple(recipients)
        digest, token = await asyncio.to_thread(
            lambda: (sha256_hex(feed), jwe.encrypt(feed, recipients, compress=self.compress))
        )
        cid = await self.store.put(token)
        return BillReceipt(cid, digest, len(token), tuple(r.kid for r in recipients))

    async def retrieve(
        self, cid: str, private_key: X25519PrivateKey, expected_sha256: str, *, kid: str | None = None
    ) -> bytes:
        """The bill stored under `cid`, decrypted with `private_key` and checked against
        `expected_sha256` (hex, from the credential). Raises ContentNotFound / ContentMismatch from
        the store, NotARecipient / TamperedCiphertext from the JWE, PlaintextHashMismatch last."""
        expected = expected_sha256.strip().lower() if isinstance(expected_sha256, str) else ""
        if not _SHA256_HEX.fullmatch(expected):
            raise ValueError("expected_sha256 must be 64 hexadecimal characters")
        token = await self.store.get(cid)
        plaintext = await asyncio.to_thread(
            jwe.decrypt, token, private_key, kid=kid, max_plaintext=self.max_plaintext
        )
        if not hmac.compare_digest(sha256_hex(plaintext), expected):
            raise PlaintextHashMismatch(
                f"the bill under {cid} decrypts, but its SHA-256 is not the one the credential records"
            )
        return plaintext
