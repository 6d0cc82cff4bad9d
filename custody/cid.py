"""CIDv1 with a sha2-256 multihash, in the lowercase base32 multibase form ("b...") that Kubo prints.

Only what bill custody needs: the `raw` (0x55) and `dag-pb` (0x70) codecs, version 1, sha2-256.
Anything else is refused rather than half-supported, so a CID that parses here is one our stores can
verify byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from custody.errors import InvalidCid

RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12
_CODEC_NAMES = {RAW: "raw", DAG_PB: "dag-pb"}
_B32_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")


def varint(value: int) -> bytes:
    """Unsigned LEB128, the varint of multiformats and protobuf."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(data):
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
        if shift > 63:
            break
    raise InvalidCid("CID has a malformed varint")


@dataclass(frozen=True)
class Cid:
    codec: int
    digest: bytes  # sha2-256 of the block the CID names

    def __post_init__(self) -> None:
        if self.codec not in _CODEC_NAMES:
            raise InvalidCid(f"unsupported CID codec 0x{self.codec:x} (expected raw or dag-pb)")
        if len(self.digest) != 32:
            raise InvalidCid("a sha2-256 digest is 32 bytes")

    @classmethod
    def of_block(cls, codec: int, block: bytes | memoryview) -> Cid:
        return cls(codec, hashlib.sha256(block).digest())

    @property
    def codec_name(self) -> str:
        return _CODEC_NAMES[self.codec]

    def to_bytes(self) -> bytes:
        return varint(1) + varint(self.codec) + bytes((SHA2_256, 32)) + self.digest

    def __str__(self) -> str:
        return "b" + base64.b32encode(self.to_bytes()).decode("ascii").rstrip("=").lower()


def parse_cid(text: str) -> Cid:
    """The CID written as `text`; InvalidCid unless it is base32 CIDv1, raw or dag-pb, sha2-256."""
    if not isinstance(text, str) or not text:
        raise InvalidCid("CID must be a non-empty string")
    if text.startswith("Qm"):
        raise InvalidCid("CIDv0 is not accepted; use the CIDv1 base32 form")
    if text[0] != "b":
        raise InvalidCid("CID must use the lowercase base32 multibase form (prefix 'b')")
    body = text[1:]
    if not body or not set(body) <= _B32_ALPHABET:
        raise InvalidCid("CID has characters outside lowercase base32")
    try:
        raw = base64.b32decode(body.upper() + "=" * (-len(body) % 8))
    except ValueError:
        raise InvalidCid("CID is not valid base32") from None
    version, at = _read_varint(raw, 0)
    if version != 1:
        raise InvalidCid(f"CID version {version} is not accepted (expected 1)")
    codec, at = _read_varint(raw, at)
    hash_code, at = _read_varint(raw, at)
    length, at = _read_varint(raw, at)
    if hash_code != SHA2_256 or length != 32:
        raise InvalidCid("CID multihash must be sha2-256 (32 bytes)")
    digest = raw[at:]
    if len(digest) != 32:
        raise InvalidCid("CID digest length does not match its multihash header")
    cid = Cid(codec, digest)
    if str(cid) != text:  # non-canonical padding bits or varints would give one content two names
        raise InvalidCid("CID is not in canonical form")
    return cid
