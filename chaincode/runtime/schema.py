"""JSON Schema fragments for contract metadata, as fabric-contract-api publishes them.

Dataclasses are described once under components.schemas and referenced with $ref.
"""

from __future__ import annotations

import dataclasses
import typing
from decimal import Decimal
from typing import Any

_REF_PREFIX = "#/components/schemas/"

_SCALAR_SCHEMAS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bytes: {"type": "string", "format": "byte"},
    int: {"type": "integer", "format": "int64"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    Decimal: {"type": "string", "format": "decimal"},
    Any: {},
    list: {"type": "array"},
    dict: {"type": "object"},
}


def schema_for(hint: Any, components: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The schema of `hint`; dataclass definitions it needs are added to `components`."""
    if hint in _SCALAR_SCHEMAS:
        return dict(_SCALAR_SCHEMAS[hint])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        return {"type": "array", "items": schema_for(args[0], components)}
    if origin is dict:
        return {"type": "object", "additionalProperties": schema_for(args[1], components)}
    if origin is not None and type(None) in args:
        (inner,) = [member for member in args if member is not type(None)]
        return {"anyOf": [schema_for(inner, components), {"type": "null"}]}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        name = hint.__name__
        if name not in components:
            components[name] = {}  # placeholder first: a dataclass may refer to itself
            components[name] = _dataclass_schema(hint, components)
        return {"$ref": _REF_PREFIX + name}
    raise TypeError(f"no JSON schema for type {hint!r}")


def _dataclass_schema(cls: type, components: dict[str, dict[str, Any]]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    fields = [field for field in dataclasses.fields(cls) if field.init]
    return {
        "$id": cls.__name__,
        "type": "object",
        "properties": {field.name: schema_for(hints[field.name], components) for field in fields},
        "required": [
            field.name
            for field in fields
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        ],
        "additionalProperties": False,
    }
