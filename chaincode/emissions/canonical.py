"""Canonical JSON: the byte form in which results and factor data are hashed and stored.

Sorted keys, no insignificant whitespace, UTF-8, decimals as plain strings (never floats, never
exponent notation), datetimes as UTC ISO 8601 with a `Z`. Equal values give identical bytes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chaincode.emissions.errors import FactorDataError

_DECIMAL_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


def decimal_str(value: Decimal) -> str:
    """A finite Decimal as a plain string, keeping its exponent: Decimal('1E+3') -> '1000'."""
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {value}")
    return format(value, "f")


def parse_decimal(value: object, what: str) -> Decimal:
    """A decimal from its JSON string form; floats and numbers are refused (they lose digits)."""
    if not isinstance(value, str) or not _DECIMAL_TEXT.fullmatch(value):
        raise FactorDataError(f"{what}: expected a decimal string like '770.884', got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # unreachable given the pattern; kept for clarity
        raise FactorDataError(f"{what}: not a decimal: {value!r}") from exc


def datetime_str(value: datetime) -> str:
    """A timezone-aware datetime in UTC, ISO 8601, `Z` suffix."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware: {value!r}")
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def canonical_json(document: Any) -> bytes:
    """Canonical bytes of a JSON-ready document (dicts, lists, str, int, bool, None)."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
