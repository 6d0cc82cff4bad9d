"""Fabric identities and signers: who signs (MSP id + certificate) and how (ECDSA P-256, low-S)."""

from network.identity.identity import Identity
from network.identity.signing import (
    P256_ORDER,
    EcdsaSigner,
    Signer,
    is_low_s,
    signer_from_pem,
    signer_from_private_key,
    to_low_s,
    verify_signature,
    verify_with_public_key,
)

__all__ = [
    "Identity",
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
