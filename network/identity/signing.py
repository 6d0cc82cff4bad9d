"""ECDSA P-256 signing and verification the way Fabric accepts it: SHA-256, DER, low-S only.

Fabric peers and orderers reject signatures whose S lies in the upper half of the group order
(signature malleability), while OpenSSL returns such an S about half the time; every signature
made here is therefore normalised to s = n - s when needed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    Prehashed,
    decode_dss_signature,
    encode_dss_signature,
)

__all__ = [
    "Signer",
    "EcdsaSigner",
    "signer_from_private_key",
    "signer_from_pem",
    "verify_signature",
    "verify_with_public_key",
    "is_low_s",
    "to_low_s",
    "P256_ORDER",
]

# Order n of the P-256 group (FIPS 186-4, D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = P256_ORDER >> 1
_SHA256 = Prehashed(hashes.SHA256())


@runtime_checkable
class Signer(Protocol):
    """Signs a message: returns a DER ECDSA signature over SHA-256(message), always low-S."""

    def sign(self, message: bytes) -> bytes: ...


def is_low_s(signature: bytes) -> bool:
    """True when the DER signature's S is at most n/2 (what Fabric requires); False if unparsable."""
    try:
        _, s = decode_dss_signature(signature)
    except ValueError:
        return False
    return 0 < s <= _HALF_ORDER


def to_low_s(signature: bytes) -> bytes:
    """Same signature with S replaced by n - S when S is high (both verify; only low-S is canonical)."""
    r, s = decode_dss_signature(signature)
    if s > _HALF_ORDER:
        s = P256_ORDER - s
    return encode_dss_signature(r, s)


@dataclass(frozen=True)
class EcdsaSigner:
    """A Signer holding an ECDSA P-256 private key."""

    private_key: ec.EllipticCurvePrivateKey = field(repr=False)

    def sign(self, message: bytes) -> bytes:
        return self.sign_digest(hashlib.sha256(message).digest())

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a SHA-256 digest computed elsewhere (the official clients' signer interface)."""
        if len(digest) != 32:
            raise ValueError(f"sign_digest: expected a 32-byte SHA-256 digest, got {len(digest)} bytes")
        return to_low_s(self.private_key.sign(digest, ec.ECDSA(_SHA256)))

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()


def signer_from_private_key(key: ec.EllipticCurvePrivateKey) -> EcdsaSigner:
    """Signer for a P-256 key; other curves are refused because Fabric's default BCCSP signs P-256."""
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"signer: expected an EC private key, got {type(key).__name__}")
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"signer: expected curve P-256 (secp256r1), got {key.curve.name}")
    return EcdsaSigner(key)


def signer_from_pem(pem: bytes, password: bytes | None = None) -> EcdsaSigner:
    """Signer from a PEM private key (PKCS#8 as cryptogen/fabric-ca write it, or SEC1)."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"signer: not a PEM private key ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"signer: expected an EC private key, got {type(key).__name__}")
    return signer_from_private_key(key)


def verify_with_public_key(
    public_key: ec.EllipticCurvePublicKey, message: bytes, signature: bytes, *, require_low_s: bool = True
) -> bool:
    if require_low_s and not is_low_s(signature):
        return False
    try:
        public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_signature(
    certificate_pem: bytes, message: bytes, signature: bytes, *, require_low_s: bool = True
) -> bool:
    """True when `signature` is a valid ECDSA/SHA-256 signature of `message` by the certificate's key.

    Only checks the signature: whether the certificate is trusted is the MSP's question
    (network.msp.OrgMsp.validate). Raises ValueError when the certificate itself is unreadable,
    because that is a caller bug rather than a bad signature.
    """
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError as exc:
        raise ValueError(f"verify_signature: not a PEM X.509 certificate ({exc})") from exc
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return False
    return verify_with_public_key(public_key, message, signature, require_low_s=require_low_s)
