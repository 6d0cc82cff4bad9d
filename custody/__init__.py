"""Bill custody: raw Green Button feeds encrypted as multi-recipient JWE (ECDH-ES+A256KW, A256GCM)
and stored content-addressed under the CID Kubo's `ipfs add` would give them."""

from custody.cid import Cid, parse_cid
from custody.custody import BillCustody, BillReceipt, sha256_hex
from custody.errors import (
    ContentMismatch,
    ContentNotFound,
    CustodyError,
    InvalidCid,
    KeyFormatError,
    MalformedJwe,
    NotARecipient,
    PlaintextHashMismatch,
    StoreUnavailable,
    TamperedCiphertext,
)
from custody.jwe import decrypt, encrypt, recipient_kids
from custody.keys import (
    Recipient,
    generate_private_key,
    load_private_key,
    parse_public_key,
    private_jwk,
    public_jwk,
    public_multibase,
    save_private_key,
)
from custody.kubo import KuboContentStore
from custody.store import ContentStore, LocalContentStore, verify
from custody.unixfs import LEGACY_CIDV1, UNIXFS_V1_2025, ImportProfile, unixfs_cid

__all__ = [
    "LEGACY_CIDV1",
    "UNIXFS_V1_2025",
    "BillCustody",
    "BillReceipt",
    "Cid",
    "ContentMismatch",
    "ContentNotFound",
    "ContentStore",
    "CustodyError",
    "ImportProfile",
    "InvalidCid",
    "KeyFormatError",
    "KuboContentStore",
    "LocalContentStore",
    "MalformedJwe",
    "NotARecipient",
    "PlaintextHashMismatch",
    "Recipient",
    "StoreUnavailable",
    "TamperedCiphertext",
    "decrypt",
    "encrypt",
    "generate_private_key",
    "load_private_key",
    "parse_cid",
    "parse_public_key",
    "private_jwk",
    "public_jwk",
    "public_multibase",
    "recipient_kids",
    "save_private_key",
    "sha256_hex",
    "unixfs_cid",
    "verify",
]
