"""Strict parsing of transaction arguments: JSON objects, RFC 3339 times, identifiers.

Arguments that carry structured data arrive as JSON text and are parsed here rather than by the
runtime's type-driven marshalling, so that a float (which would lose digits) is refused and every
error names the argument and field at fault.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chaincode.runtime import ContractError

_HEX64 = re.compile(r"[0-9a-f]{64}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
_BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]+")
_MSP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _refuse_float(text: str) -> Any:
    raise ContractError(f"numbers with a fraction must be decimal strings (e.g. \"12.5\"), got {text}")


def _refuse_float_quietly(text: str) -> Any:
    raise ContractError("numbers with a fraction must be decimal strings (e.g. \"12.5\")")


def json_object(text: str, what: str, *, echo: bool = True) -> dict[str, Any]:
    """`echo=False` for private data: no value from it appears in an error (errors reach peer logs)."""
    refuse = _refuse_float if echo else _refuse_float_quietly
    try:
        value = json.loads(text, parse_float=refuse, parse_constant=refuse)
    except ValueError as exc:
        raise ContractError(f"{what} is not valid JSON" + (f": {exc}" if echo else "")) from None
    if not isinstance(value, dict):
        raise ContractError(f"{what} must be a JSON object")
    return value


def field[T](document: Mapping[str, Any], name: str, kind: type[T], what: str) -> T:
    if name not in document:
        raise ContractError(f"{what}: missing field {name!r}")
    value = document[name]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ContractError(f"{what}: field {name!r} must be an integer")
    if not isinstance(value, kind):
        raise ContractError(f"{what}: field {name!r} must be a {kind.__name__}")
    return value


def text(document: Mapping[str, Any], name: str, what: str, *, optional: bool = False) -> str:
    if optional and document.get(name) in (None, ""):
        return ""
    value = field(document, name, str, what)
    if not value.strip():
        raise ContractError(f"{what}: field {name!r} must not be empty")
    return value


def check_fields(document: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(document) - allowed)
    if unknown:
        raise ContractError(f"{what}: unknown field(s) {', '.join(unknown)}")


def timestamp(value: str, what: str, *, echo: bool = True) -> datetime:
    """An RFC 3339 time with an explicit offset, as an aware UTC datetime."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ContractError(f"{what} must be an RFC 3339 time with a zone, like 2024-01-01T00:00:00Z"
                            + (f"; got {value!r}" if echo else ""))
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def utc_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sha256_hex(value: str, what: str, *, echo: bool = True) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise ContractError(f"{what} must be a SHA-256 digest in lower-case hex (64 characters)"
                            + (f", got {value!r}" if echo else ""))
    return value


def did_key(value: object, what: str) -> str:
    """A did:key identifier (multibase base58btc, 'z' prefix)."""
    if not isinstance(value, str) or not value.startswith("did:key:z") or not _BASE58.fullmatch(value[9:]):
        raise ContractError(f"{what} must be a did:key DID like did:key:z6Mk..., got {value!r}")
    return value


def multibase_key(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("z") or len(value) < 10 or not _BASE58.fullmatch(value[1:]):
        raise ContractError(f"{what} must be a multibase (base58btc, 'z' prefix) public key, got {value!r}")
    return value


def msp_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _MSP_ID.fullmatch(value):
        raise ContractError(f"{what} must be an MSP id like Auditor1MSP, got {value!r}")
    return value


def decimal_text(value: object, what: str, *, echo: bool = True) -> Decimal:
    """A non-negative decimal given as a string (or an integer). `echo=False` keeps the value out
    of the message: errors may reach peer logs, and private figures must not."""
    shown = f", got {value!r}" if echo else ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ContractError(f"{what} must be a decimal string like \"123.45\"{shown}")
    if isinstance(value, str) and not re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?", value):
        raise ContractError(f"{what} must be a decimal string like \"123.45\"{shown}")
    number = Decimal(value)
    if number < 0:
        raise ContractError(f"{what} must not be negative{shown}")
    return number
