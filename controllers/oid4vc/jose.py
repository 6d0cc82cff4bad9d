"""The little JOSE the OpenID for VC endpoints need: base64url, compact JWS read and checked with
Ed25519 (EdDSA), and an Ed25519 key named by a JWK (OKP) or a did:key (DID URL).

Signing never happens here: the auditor's and the verifier's keys stay in their ACA-Py agents.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from controllers.acapy import did_key

__all__ = ["JoseError", "Jws", "b64url", "b64url_decode", "did_key_of", "ed25519_of_did_key", "ed25519_of_jwk",
           "jwk_of", "read_jws"]


class JoseError(ValueError):
    """A token that cannot be read or whose signature does not verify; the message says which."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or any(c in text for c in "+/="):
        raise JoseError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise JoseError("not base64url") from None


@dataclass(frozen=True)
class Jws:
    """A compact JWS, read but not yet verified."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    def verify(self, key: Ed25519PublicKey, what: str) -> None:
        if self.header.get("alg") != "EdDSA":
            raise JoseError(f"{what} is not signed with EdDSA (alg {self.header.get('alg')!r})")
        try:
            key.verify(self.signature, self.signing_input)
        except InvalidSignature:
            raise JoseError(f"{what}: the signature does not verify") from None


def read_jws(token: str, what: str) -> Jws:
    if not isinstance(token, str) or token.count(".") != 2:
        raise JoseError(f"{what} is not a compact JWS")
    head, body, signature = token.split(".")
    try:
        header = json.loads(b64url_decode(head))
        payload = json.loads(b64url_decode(body))
    except (JoseError, ValueError):
        raise JoseError(f"{what} is not a compact JWS of JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise JoseError(f"{what}: header and payload must be JSON objects")
    return Jws(header, payload, f"{head}.{body}".encode("ascii"), b64url_decode(signature))


def ed25519_of_jwk(jwk: Any) -> Ed25519PublicKey:
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "d" in jwk:
        raise JoseError("the key must be a public Ed25519 JWK (kty OKP, crv Ed25519)")
    raw = b64url_decode(str(jwk.get("x", "")))
    if len(raw) != 32:
        raise JoseError("an Ed25519 JWK's x is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def jwk_of(key: Ed25519PublicKey) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(key.public_bytes(Encoding.Raw, PublicFormat.Raw))}


def ed25519_of_did_key(did_or_url: str) -> Ed25519PublicKey:
    """The key of an Ed25519 did:key, given as the DID or as a DID URL whose fragment is its own key."""
    if not isinstance(did_or_url, str):
        raise JoseError("not a did:key")
    did, _, fragment = did_or_url.partition("#")
    if fragment and fragment != did.removeprefix("did:key:"):
        raise JoseError("the did:key URL names another key than its DID's")
    try:
        return Ed25519PublicKey.from_public_bytes(did_key.ed25519_of_did_key(did))
    except ValueError as exc:
        raise JoseError(str(exc)) from None


def did_key_of(did_or_url: str) -> str:
    return did_or_url.partition("#")[0]
