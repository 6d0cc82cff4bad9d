"""X25519 key-agreement keys of bill recipients, in the forms they reach us.

A customer's key comes from its consent credential as multibase (`z6LS...`: base58btc of the
multicodec x25519-pub prefix 0xec01 and the 32 raw bytes, as in did:key); an auditor org's key
may come as a JWK (`{"kty": "OKP", "crv": "X25519", "x": ...}`, RFC 8037). Both are accepted,
and a private key is kept on disk as a private JWK in a 0600 file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import base58
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from jwcrypto.common import base64url_decode, base64url_encode

from custody.errors import KeyFormatError

X25519_PUB_MULTICODEC = b"\xec\x01"

PublicKeyInput = X25519PublicKey | str | Mapping[str, object]
"""An X25519 public key, a multibase string, a JWK object, or a JWK as JSON text."""


@dataclass(frozen=True)
class Recipient:
    """Someone a bill is encrypted to. `kid` is public inside the JWE: use a DID URL (customer) or
    an MSP id (auditor org), never an account number or a name."""

    kid: str
    public_key: X25519PublicKey

    def __post_init__(self) -> None:
        if not isinstance(self.kid, str) or not self.kid.strip():
            raise KeyFormatError("recipient kid must be a non-empty string")
        if not isinstance(self.public_key, X25519PublicKey):
            raise KeyFormatError("recipient key must be an X25519 public key")

    @classmethod
    def of(cls, kid: str, key: PublicKeyInput) -> Recipient:
        return cls(kid, parse_public_key(key))


def generate_private_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_multibase(key: X25519PublicKey) -> str:
    return "z" + base58.b58encode(X25519_PUB_MULTICODEC + _raw_public(key)).decode("ascii")


def public_jwk(key: X25519PublicKey) -> dict[str, str]:
    return {"kty": "OKP", "crv": "X25519", "x": base64url_encode(_raw_public(key))}


def private_jwk(key: X25519PrivateKey) -> dict[str, str]:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return public_jwk(key.public_key()) | {"d": base64url_encode(raw)}


def _b64_key(jwk: Mapping[str, object], member: str) -> bytes:
    value = jwk.get(member)
    if not isinstance(value, str):
        raise KeyFormatError(f"X25519 JWK lacks a string '{member}' member")
    try:
        raw = base64url_decode(value)
    except ValueError:
        raise KeyFormatError(f"X25519 JWK '{member}' is not base64url") from None
    if len(raw) != 32:
        raise KeyFormatError(f"X25519 JWK '{member}' must decode to 32 bytes, not {len(raw)}")
    return raw


def _check_okp(jwk: Mapping[str, object]) -> None:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "X25519":
        raise KeyFormatError('JWK must have "kty": "OKP" and "crv": "X25519"')


def parse_public_key(value: PublicKeyInput) -> X25519PublicKey:
    """An X25519 public key from a key object, a multibase `z6LS...` string, or a JWK (object or JSON)."""
    if isinstance(value, X25519PublicKey):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise KeyFormatError("public key looks like JSON but does not parse") from None
        else:
            return _from_multibase(text)
    if isinstance(value, Mapping):
        _check_okp(value)
        if "d" in value:
            raise KeyFormatError("expected a public JWK, got one with a private 'd' member")
        return X25519PublicKey.from_public_bytes(_b64_key(value, "x"))
    raise KeyFormatError(f"unsupported public key type {type(value).__name__}")


def _from_multibase(text: str) -> X25519PublicKey:
    if not text.startswith("z"):
        raise KeyFormatError("multibase key must be base58btc (prefix 'z')")
    try:
        data = base58.b58decode(text[1:])
    except ValueError:
        raise KeyFormatError("multibase key has characters outside base58btc") from None
    if not data.startswith(X25519_PUB_MULTICODEC):
        raise KeyFormatError("multibase key is not an X25519 key (multicodec prefix must be 0xec01)")
    raw = data[len(X25519_PUB_MULTICODEC) :]
    if len(raw) != 32:
        raise KeyFormatError(f"X25519 key must be 32 bytes, not {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def parse_private_jwk(value: Mapping[str, object] | str) -> X25519PrivateKey:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise KeyFormatError("private key is not JSON") from None
    if not isinstance(value, Mapping):
        raise KeyFormatError("private key must be a JWK object")
    _check_okp(value)
    key = X25519PrivateKey.from_private_bytes(_b64_key(value, "d"))
    if "x" in value and _b64_key(value, "x") != _raw_public(key.public_key()):
        raise KeyFormatError("private JWK 'x' does not match its 'd'")
    return key


def save_private_key(key: X25519PrivateKey, path: Path) -> None:
    """Write `key` as a private JWK readable by its owner only (0600), atomically: a crash leaves
    either no file or the whole key, never a truncated one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps(private_jwk(key)).encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def load_private_key(path: Path) -> X25519PrivateKey:
    """The private JWK at `path`, refusing a file that others can read."""
    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        raise KeyFormatError(f"no key file {path.name}") from None
    if mode & 0o077:
        raise KeyFormatError(f"key file {path.name} is accessible to others (mode {mode:o}); expected 0600")
    return parse_private_jwk(path.read_text(encoding="ascii"))
