"""A bill as a JWE (RFC 7516, JSON General Serialization) for several recipients.

Shape written: protected header `{"enc": "A256GCM", "cty": ..., "zip": "DEF"}` shared by all;
one entry per recipient in `recipients`, each with header `{"alg": "ECDH-ES+A256KW", "kid": ...,
"epk": ...}` and its wrapped content key. `zip` sits in the protected header, as RFC 7516 requires,
so it is authenticated with the content.

What the JWE deliberately does not carry: the SHA-256 of the plaintext. The ciphertext may sit on a
public IPFS network; a plaintext hash there would let anyone who holds a candidate bill (or the
credential, which carries the hash) confirm it and link the stored object to a customer. The hash
lives only where it is needed: the customer's credential and the ledger's private data.

Encryption goes through jwcrypto's JWE. Decryption composes jwcrypto's algorithm objects (ECDH-ES
key agreement with Concat KDF, AES key unwrap, AES-GCM) in two steps, for two reasons: a caller can
then tell "this key is not a recipient" from "the content was altered", and DEFLATE output is bounded
by our own plaintext limit (jwcrypto's JWE refuses compressed content above 256 KiB, which a year of
15-minute readings exceeds, and its limit is a process-wide global we will not change under other users).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from jwcrypto.common import base64url_decode
from jwcrypto.jwa import JWA
from jwcrypto.jwe import JWE
from jwcrypto.jwk import JWK

from custody.errors import MalformedJwe, NotARecipient, TamperedCiphertext
from custody.keys import Recipient

KEY_MANAGEMENT = "ECDH-ES+A256KW"
CONTENT_ENCRYPTION = "A256GCM"
ESPI_CONTENT_TYPE = "application/atom+xml"  # a Green Button (ESPI) feed is an Atom document
DEFAULT_MAX_PLAINTEXT = 128 * 1024 * 1024


def encrypt(
    plaintext: bytes,
    recipients: Sequence[Recipient],
    *,
    compress: bool = True,
    content_type: str = ESPI_CONTENT_TYPE,
) -> bytes:
    """`plaintext` encrypted once, its content key wrapped for each recipient; UTF-8 JSON bytes."""
    if not isinstance(plaintext, (bytes, bytearray)):
        raise TypeError("plaintext must be bytes")
    if not recipients:
        raise ValueError("a JWE needs at least one recipient")
    kids = [recipient.kid for recipient in recipients]
    if len(set(kids)) != len(kids):
        raise ValueError("recipient kids must be unique")
    protected: dict[str, str] = {"enc": CONTENT_ENCRYPTION, "cty": content_type}
    if compress:
        protected["zip"] = "DEF"
    token = JWE(bytes(plaintext), protected=json.dumps(protected, separators=(",", ":")))
    for recipient in recipients:
        token.add_recipient(JWK.from_pyca(recipient.public_key), header={"alg": KEY_MANAGEMENT, "kid": recipient.kid})
    document = json.loads(token.serialize(compact=False))
    if "recipients" not in document:  # jwcrypto flattens a single recipient; keep one shape
        entry = {name: document.pop(name) for name in ("header", "encrypted_key") if name in document}
        document["recipients"] = [entry]
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def _b64(document: Mapping[str, object], name: str) -> bytes:
    value = document.get(name)
    if not isinstance(value, str):
        raise MalformedJwe(f"JWE member '{name}' is missing or not a string")
    try:
        return base64url_decode(value)
    except ValueError:
        raise MalformedJwe(f"JWE member '{name}' is not base64url") from None


def _json_object(data: bytes, what: str) -> dict:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedJwe(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedJwe(f"{what} is not a JSON object")
    return value


class _Parsed:
    """A JWE document checked against the shape `encrypt` writes."""

    def __init__(self, token: bytes | str):
        document = _json_object(token.encode("utf-8") if isinstance(token, str) else token, "bill ciphertext")
        self.protected_b64 = document.get("protected")
        self.protected = _json_object(_b64(document, "protected"), "JWE protected header")
        if self.protected.get("enc") != CONTENT_ENCRYPTION:
            raise MalformedJwe(f"JWE content encryption must be {CONTENT_ENCRYPTION}")
        if self.protected.get("zip") not in (None, "DEF"):
            raise MalformedJwe("JWE compression must be absent or DEF")
        if "crit" in self.protected or "aad" in document:
            raise MalformedJwe("JWE uses 'crit' or 'aad', which bills never do")
        shared = document.get("unprotected", {})
        if not isinstance(shared, dict):
            raise MalformedJwe("JWE unprotected header is not an object")
        if "recipients" in document:
            entries = document["recipients"]
        else:  # flattened serialization of one recipient
            entries = [{name: document[name] for name in ("header", "encrypted_key") if name in document}]
        if not isinstance(entries, list) or not entries:
            raise MalformedJwe("JWE has no recipients")
        self.recipients: list[tuple[dict, bytes]] = []
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("header", {}), dict):
                raise MalformedJwe("JWE recipient entry is not an object with a header object")
            own = entry.get("header", {})
            if set(own) & set(shared) or set(own) & set(self.protected) or set(shared) & set(self.protected):
                raise MalformedJwe("JWE header parameters must not repeat across headers (RFC 7516 7.2.1)")
            header = self.protected | shared | own
            if header.get("alg") != KEY_MANAGEMENT:
                raise MalformedJwe(f"JWE key management must be {KEY_MANAGEMENT}")
            self.recipients.append((header, _b64(entry, "encrypted_key")))
        self.iv = _b64(document, "iv")
        self.ciphertext = _b64(document, "ciphertext")
        self.tag = _b64(document, "tag")


def recipient_kids(token: bytes | str) -> tuple[str, ...]:
    """The `kid` of every recipient, in order."""
    return tuple(str(header.get("kid", "")) for header, _ in _Parsed(token).recipients)


def decrypt(
    token: bytes | str,
    private_key: X25519PrivateKey,
    *,
    kid: str | None = None,
    max_plaintext: int = DEFAULT_MAX_PLAINTEXT,
) -> bytes:
    """The plaintext, opened with one recipient's private key.

    With `kid`, only that recipient's entry is tried. Raises NotARecipient when the key opens no
    entry, TamperedCiphertext when it opens one but the content fails authentication, MalformedJwe
    for a document of another shape.
    """
    if not isinstance(private_key, X25519PrivateKey):
        raise TypeError("private_key must be an X25519 private key")
    parsed = _Parsed(token)
    candidates = [(h, ek) for h, ek in parsed.recipients if kid is None or h.get("kid") == kid]
    if not candidates:
        raise NotARecipient("the JWE has no recipient with the requested kid")
    jwk = JWK.from_pyca(private_key)
    key_management = JWA.keymgmt_alg(KEY_MANAGEMENT)
    content = JWA.encryption_alg(CONTENT_ENCRYPTION)
    cek = None
    for header, encrypted_key in candidates:
        try:
            cek = key_management.unwrap(jwk, content.wrap_key_size, encrypted_key, header)
            break
        except Exception:  # noqa: BLE001 - any failure means "not this entry"; the reason is below
            continue
    if cek is None:
        raise NotARecipient(
            f"the private key opens none of the JWE's {len(candidates)} recipient entr"
            f"{'y' if len(candidates) == 1 else 'ies'} (wrong key, or a recipient header was altered)"
        )
    aad = str(parsed.protected_b64).encode("ascii")
    try:
        data = content.decrypt(cek, aad, parsed.iv, parsed.ciphertext, parsed.tag)
    except Exception:  # noqa: BLE001 - AES-GCM says only "invalid tag"
        raise TamperedCiphertext(
            "JWE content failed authentication: the ciphertext, tag, iv or protected header was altered"
        ) from None
    if parsed.protected.get("zip") != "DEF":
        if len(data) > max_plaintext:
            raise MalformedJwe(f"JWE plaintext exceeds the {max_plaintext}-byte limit")
        return data
    inflater = zlib.decompressobj(wbits=-zlib.MAX_WBITS)
    try:
        plaintext = inflater.decompress(data, max_plaintext)
    except zlib.error:
        raise MalformedJwe("JWE content is not valid DEFLATE data") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise MalformedJwe(f"JWE plaintext exceeds the {max_plaintext}-byte limit (or its DEFLATE stream is cut)")
    return plaintext


__all__ = ["CONTENT_ENCRYPTION", "ESPI_CONTENT_TYPE", "KEY_MANAGEMENT", "decrypt", "encrypt", "recipient_kids"]
