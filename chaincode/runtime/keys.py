"""Ledger keys: simple keys and composite keys.

A composite key is "\\x00" + object type + "\\x00" + each attribute + "\\x00". The leading NUL puts
composite keys in a namespace of their own, so a simple key must never start with it; range
queries over simple keys therefore exclude composite keys, and partial composite key queries scan
[prefix, prefix + U+10FFFF).
"""

from __future__ import annotations

from collections.abc import Sequence

COMPOSITE_KEY_NAMESPACE = "\x00"
_SEPARATOR = "\x00"
_MAX_UNICODE_RUNE = "\U0010ffff"
# An empty start key means "from the first simple key"; the Node shim sends \x01 so that the
# scan skips the composite key namespace. We do the same so both runtimes read the same keys.
EMPTY_START_KEY_SUBSTITUTE = "\x01"


def validate_key(key: object, what: str = "key") -> str:
    if not isinstance(key, str):
        raise TypeError(f"{what} must be a str, got {type(key).__name__}")
    if not key:
        raise ValueError(f"{what} must not be empty")
    _require_utf8(key, what)
    return key


def validate_simple_key(key: str, what: str = "key") -> str:
    if key.startswith(COMPOSITE_KEY_NAMESPACE):
        raise ValueError(f"{what} {key!r} starts with a NUL character, which is reserved for composite keys")
    return key


def create_composite_key(object_type: str, attributes: Sequence[str]) -> str:
    _validate_part(object_type, "object type")
    if isinstance(attributes, str):
        raise TypeError("attributes must be a sequence of str, not a single str")
    for attribute in attributes:
        _validate_part(attribute, "attribute")
    return COMPOSITE_KEY_NAMESPACE + "".join(part + _SEPARATOR for part in (object_type, *attributes))


def split_composite_key(key: str) -> tuple[str, list[str]]:
    """(object type, attributes) of a composite key; raises ValueError for anything else."""
    if not key.startswith(COMPOSITE_KEY_NAMESPACE) or not key.endswith(_SEPARATOR) or len(key) < 3:
        raise ValueError(f"{key!r} is not a composite key")
    object_type, *attributes = key[1:-1].split(_SEPARATOR)
    return object_type, attributes


def partial_composite_key_range(object_type: str, attributes: Sequence[str]) -> tuple[str, str]:
    prefix = create_composite_key(object_type, attributes)
    return prefix, prefix + _MAX_UNICODE_RUNE


def _validate_part(part: object, what: str) -> None:
    if not isinstance(part, str):
        raise TypeError(f"composite key {what} must be a str, got {type(part).__name__}")
    if not part:
        raise ValueError(f"composite key {what} must not be empty")
    if _SEPARATOR in part or _MAX_UNICODE_RUNE in part:
        raise ValueError(f"composite key {what} {part!r} contains a reserved character (U+0000 or U+10FFFF)")
    _require_utf8(part, f"composite key {what}")


def _require_utf8(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} is not valid UTF-8: {exc.reason}") from None
