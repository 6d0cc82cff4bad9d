"""base58btc multibase with multicodec prefixes: the encoding did:key and key-agreement keys use."""

from __future__ import annotations

from controllers.consent.errors import MalformedConsent

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
X25519_PUB = b"\xec\x01"  # multicodec x25519-pub (varint)
ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub (varint)


def encode(prefix: bytes, key: bytes) -> str:
    data = prefix + key
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, rest = divmod(number, 58)
        digits = _ALPHABET[rest] + digits
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "z" + "1" * zeros + digits


def decode(prefix: bytes, value: str) -> bytes:
    """The raw key of a multibase value, checking its multicodec prefix."""
    if not value.startswith("z"):
        raise MalformedConsent("multibase value must be base58btc ('z' prefix)")
    body = value[1:]
    number = 0
    for char in body:
        if char not in _INDEX:
            raise MalformedConsent("multibase value has a character outside base58btc")
        number = number * 58 + _INDEX[char]
    zeros = len(body) - len(body.lstrip("1"))
    data = b"\0" * zeros + (number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b"")
    if not data.startswith(prefix):
        raise MalformedConsent("multibase value has the wrong key type (multicodec prefix)")
    return data[len(prefix) :]
