"""An Ed25519 public key for ACA-Py's signature suites, checked with `cryptography` (worker side).

ACA-Py's own `WalletKeyPair` asks a wallet session of a profile to verify; a verifier needs no
wallet, only the public key from the verification method the suite framed.
"""

from __future__ import annotations

from typing import Any

import base58
from acapy_agent.utils.multiformats import multibase, multicodec
from acapy_agent.vc.ld_proofs import KeyPair, LinkedDataProofException
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["Ed25519VerifyingKey"]


class Ed25519VerifyingKey(KeyPair):
    """Verify-only. `faults` collects failures of this code (not of the document) across the
    copies `from_verification_method` makes, because the suites swallow every exception."""

    def __init__(self, public_key: bytes | None = None, *, faults: list[BaseException] | None = None) -> None:
        self._public_key = public_key
        self.faults: list[BaseException] = [] if faults is None else faults

    @property
    def has_public_key(self) -> bool:
        return self._public_key is not None

    @property
    def public_key(self) -> bytes | None:
        return self._public_key

    async def sign(self, message: list[bytes] | bytes) -> bytes:
        raise LinkedDataProofException("a verifier holds no private key")

    async def verify(self, message: list[bytes] | bytes, signature: bytes) -> bool:
        try:
            key = Ed25519PublicKey.from_public_bytes(self._public_key or b"")
            data = b"".join(message) if isinstance(message, list) else message
        except Exception as exc:
            self.faults.append(exc)
            raise
        try:
            key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def from_verification_method(self, verification_method: dict[str, Any]) -> Ed25519VerifyingKey:
        # The method comes from a did:key document this verifier built itself, so a missing or
        # odd key here is our fault, never the document's.
        try:
            return Ed25519VerifyingKey(_key_bytes(verification_method), faults=self.faults)
        except Exception as exc:
            self.faults.append(exc)
            raise


def _key_bytes(method: dict[str, Any]) -> bytes:
    if isinstance(method.get("publicKeyBase58"), str):
        raw = base58.b58decode(method["publicKeyBase58"])
    else:
        value = method.get("publicKeyMultibase", method.get("sec:publicKeyMultibase"))
        value = value.get("@value") if isinstance(value, dict) else value
        if not isinstance(value, str):
            raise ValueError("the verification method carries no Ed25519 public key")
        _codec, raw = multicodec.unwrap(multibase.decode(value))
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return raw
