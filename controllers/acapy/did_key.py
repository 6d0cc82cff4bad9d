"""did:key for Ed25519 keys, both ways, and the Ed25519 and X25519 keys a DID document lists (as
ACA-Py's resolver gives it). The one codec of did:key the services use.

A wallet that cannot put its own DID into a credential request (stock Credo: its request must equal
the offer) still authenticates its DIDComm connection with an Ed25519 key it holds; the did:key of
that key is a DID the wallet can sign for, so an issuer can bind the offer to it. A did:key's
document also names the X25519 key-agreement key derived from it, which bills are encrypted to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import base58

__all__ = ["did_key_of_ed25519", "ed25519_key_of", "ed25519_of_did_key", "is_ed25519_did_key", "x25519_multibase_of"]

ED25519_MULTICODEC = b"\xed\x01"
X25519_MULTICODEC = b"\xec\x01"
_ED25519_TYPES = {"Ed25519VerificationKey2018", "Ed25519VerificationKey2020", "Multikey"}
_X25519_TYPES = {"X25519KeyAgreementKey2019", "X25519KeyAgreementKey2020", "Multikey"}


def did_key_of_ed25519(public_key: bytes) -> str:
    if len(public_key) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return "did:key:z" + base58.b58encode(ED25519_MULTICODEC + public_key).decode("ascii")


def ed25519_of_did_key(did: str) -> bytes:
    """The 32-byte public key an Ed25519 did:key (no fragment) names; ValueError saying why not."""
    if not isinstance(did, str) or not did.startswith("did:key:z"):
        raise ValueError("not a did:key")
    try:
        raw = base58.b58decode(did.removeprefix("did:key:z"))
    except ValueError:
        raise ValueError("the did:key is not base58btc") from None
    if not raw.startswith(ED25519_MULTICODEC) or len(raw) != len(ED25519_MULTICODEC) + 32:
        raise ValueError("not an Ed25519 did:key")
    return raw[len(ED25519_MULTICODEC):]


def is_ed25519_did_key(did: str) -> bool:
    try:
        ed25519_of_did_key(did)
    except ValueError:
        return False
    return True


def _methods(document: Mapping[str, Any], relationship: str) -> list[Mapping[str, Any]]:
    """The relationship's verification methods, references resolved against the document's own."""
    declared = {m.get("id"): m for m in document.get("verificationMethod") or () if isinstance(m, Mapping)}
    found = []
    for entry in document.get(relationship) or ():
        if isinstance(entry, str):
            entry = declared.get(entry) or declared.get(str(document.get("id", "")) + entry)
        if isinstance(entry, Mapping):
            found.append(entry)
    return found


def _raw_key(method: Mapping[str, Any], multicodec: bytes) -> bytes | None:
    try:
        if isinstance(method.get("publicKeyBase58"), str):
            raw = base58.b58decode(method["publicKeyBase58"])
        elif isinstance(method.get("publicKeyMultibase"), str) and method["publicKeyMultibase"].startswith("z"):
            raw = base58.b58decode(method["publicKeyMultibase"][1:])
            if method.get("type") in {"Multikey", "Ed25519VerificationKey2020", "X25519KeyAgreementKey2020"}:
                if not raw.startswith(multicodec):
                    return None
                raw = raw[len(multicodec):]
        else:
            return None
    except ValueError:
        return None
    return raw if len(raw) == 32 else None


def ed25519_key_of(document: Mapping[str, Any]) -> bytes | None:
    """The first Ed25519 key the document authenticates with."""
    for method in _methods(document, "authentication"):
        if method.get("type") in _ED25519_TYPES and (raw := _raw_key(method, ED25519_MULTICODEC)):
            return raw
    return None


def x25519_multibase_of(document: Mapping[str, Any]) -> str | None:
    """The first X25519 key-agreement key, as multibase (z + base58btc of 0xec01 || key)."""
    for method in _methods(document, "keyAgreement"):
        if method.get("type") in _X25519_TYPES and (raw := _raw_key(method, X25519_MULTICODEC)):
            return "z" + base58.b58encode(X25519_MULTICODEC + raw).decode("ascii")
    return None
