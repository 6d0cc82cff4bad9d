"""Transaction arguments from wire bytes, and results to wire bytes, driven by type hints.

Scalars travel as plain text (str, int, bool, Decimal, float) or raw bytes; lists, dicts and
dataclasses travel as JSON. Decimals are read exactly (JSON numbers too) and written as strings,
so amounts survive the round trip without binary floating point.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
SCALARS = (str, bytes, int, float, bool, Decimal)


class ArgumentError(ValueError):
    """A transaction argument does not match its declared type."""


def check_supported(hint: Any, where: str, *, top_level: bool = True) -> None:
    """Fail at contract load time, not at the first transaction, for a type we cannot carry."""
    if hint is Any or hint in SCALARS and (top_level or hint is not bytes) or hint in (list, dict):
        return
    if hint is type(None) and top_level:
        return
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        check_supported(args[0], where, top_level=False)
    elif origin is dict and len(args) == 2 and args[0] is str:
        check_supported(args[1], where, top_level=False)
    elif _optional_of(hint) is not None:
        check_supported(_optional_of(hint), where, top_level=False)
    elif dataclasses.is_dataclass(hint) and isinstance(hint, type):
        for name, field_hint in typing.get_type_hints(hint).items():
            check_supported(field_hint, f"{where}, field {hint.__name__}.{name}", top_level=False)
    else:
        raise TypeError(f"{where}: unsupported type {_describe(hint)}")


def parse_argument(hint: Any, raw: bytes) -> Any:
    """The value for a parameter declared as `hint`; raises ArgumentError naming what is wrong."""
    if hint is bytes:
        return raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ArgumentError("is not valid UTF-8") from None
    if hint is str or hint is Any:
        return text
    if hint is bool:
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ArgumentError(f"expected true or false, got {_quote(text)}")
        return lowered == "true"
    if hint is int:
        if not _INTEGER.fullmatch(text):
            raise ArgumentError(f"expected an integer, got {_quote(text)}")
        return int(text)
    if hint is Decimal:
        return _decimal(text)
    if hint is float:
        return float(_decimal(text))
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ArgumentError(f"expected JSON for {_describe(hint)}: {exc}") from None
    return from_json(hint, document, "")


def from_json(hint: Any, value: Any, path: str) -> Any:
    where = f" at {path}" if path else ""
    if hint is Any:
        return value
    optional = _optional_of(hint)
    if optional is not None:
        return None if value is None else from_json(optional, value, path)
    if hint is str:
        if not isinstance(value, str):
            raise ArgumentError(f"expected a string{where}, got {_json_kind(value)}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ArgumentError(f"expected true or false{where}, got {_json_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentError(f"expected an integer{where}, got {_json_kind(value)}")
        return value
    if hint is Decimal or hint is float:
        if isinstance(value, str):
            number = _decimal(value)
        elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            number = Decimal(value)
        else:
            raise ArgumentError(f"expected a number{where}, got {_json_kind(value)}")
        return number if hint is Decimal else float(number)
    origin, args = typing.get_origin(hint) or hint, typing.get_args(hint)
    if origin is list:
        if not isinstance(value, list):
            raise ArgumentError(f"expected an array{where}, got {_json_kind(value)}")
        item = args[0] if args else Any
        return [from_json(item, element, f"{path}[{index}]") for index, element in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ArgumentError(f"expected an object{where}, got {_json_kind(value)}")
        item = args[1] if args else Any
        return {name: from_json(item, element, _join(path, name)) for name, element in value.items()}
    if dataclasses.is_dataclass(hint):
        return _dataclass_from_json(hint, value, path)
    raise ArgumentError(f"unsupported type {_describe(hint)}{where}")


def encode_result(value: Any) -> bytes:
    """Wire bytes for a transaction's return value (None is an empty payload)."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bool, int, float, Decimal)):
        return _scalar_text(value).encode()
    return json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def to_json(value: Any) -> Any:
    """A JSON-ready copy of `value`: dataclasses become objects, Decimals become strings."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot return the non-finite number {value}")
        return value
    if isinstance(value, Decimal):
        return _scalar_text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {_json_key(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    raise TypeError(f"cannot return a {type(value).__name__} as JSON")


def _dataclass_from_json(cls: type, value: Any, path: str) -> Any:
    where = f" at {path}" if path else ""
    if not isinstance(value, dict):
        raise ArgumentError(f"expected a {cls.__name__} object{where}, got {_json_kind(value)}")
    hints = typing.get_type_hints(cls)
    fields = {field.name: field for field in dataclasses.fields(cls) if field.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ArgumentError(f"unknown field(s) {', '.join(unknown)} for {cls.__name__}{where}")
    missing = [
        name
        for name, field in fields.items()
        if name not in value and field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ArgumentError(f"missing field(s) {', '.join(missing)} for {cls.__name__}{where}")
    kwargs = {name: from_json(hints[name], item, _join(path, name)) for name, item in value.items()}
    return cls(**kwargs)


def _decimal(text: str) -> Decimal:
    if not _DECIMAL.fullmatch(text.strip()):
        raise ArgumentError(f"expected a decimal number, got {_quote(text)}")
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ArgumentError(f"expected a decimal number, got {_quote(text)}") from None


def _scalar_text(value: bool | int | float | Decimal) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot return the non-finite decimal {value}")
        return format(value, "f")
    if isinstance(value, float):
        return json.dumps(value, allow_nan=False)
    return str(value)


def _optional_of(hint: Any) -> Any | None:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = [member for member in typing.get_args(hint) if member is not type(None)]
        if len(members) == 1 and len(typing.get_args(hint)) == 2:
            return members[0]
    return None


def _reject_constant(name: str) -> Any:
    raise ArgumentError(f"{name} is not a JSON number")


def _json_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"JSON object keys must be strings, got {type(key).__name__}")
    return key


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _quote(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _describe(hint: Any) -> str:
    """A type as a reader would write it: list[Reading], dict[str, int], Decimal | None."""
    optional = _optional_of(hint)
    if optional is not None:
        return f"{_describe(optional)} | None"
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is not None and args:
        return f"{_describe(origin)}[{', '.join(_describe(arg) for arg in args)}]"
    return getattr(hint, "__name__", None) or repr(hint)
