"""Find the chaincode to serve from a "package.module:attribute" (or "path/file.py:attribute") spec."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from chaincode.runtime.chaincode import Chaincode
from chaincode.runtime.contract import Contract
from chaincode.runtime.contract_chaincode import ContractChaincode


def load_chaincode(spec: str) -> Chaincode:
    """The attribute may be a Chaincode, a Contract instance or class, or a list of Contracts."""
    module_name, separator, attribute = spec.partition(":")
    if not separator or not module_name or not attribute:
        raise ValueError(f'chaincode must be given as "package.module:attribute", got {spec!r}')
    module = _import(module_name)
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise ValueError(f"{module_name} has no attribute {attribute!r}") from None
    return as_chaincode(target, spec)


def as_chaincode(target: Any, origin: str = "the chaincode") -> Chaincode:
    if isinstance(target, type) and issubclass(target, Contract):
        return ContractChaincode([target()])
    if isinstance(target, Contract):
        return ContractChaincode([target])
    if isinstance(target, Sequence) and not isinstance(target, (str, bytes)):
        return ContractChaincode([item() if isinstance(item, type) else item for item in target])
    if isinstance(target, type):
        target = target()
    if _is_chaincode(target):
        return target
    raise TypeError(
        f"{origin} is a {type(target).__name__}: expected a Chaincode (async init/invoke), "
        "a Contract instance or class, or a list of Contracts"
    )


def _is_chaincode(target: Any) -> bool:
    return all(inspect.iscoroutinefunction(getattr(target, name, None)) for name in ("init", "invoke"))


def _import(module_name: str) -> ModuleType:
    if module_name.endswith(".py"):
        return _import_file(Path(module_name))
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ValueError(f"chaincode module {module_name!r} not found") from None
        raise


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise ValueError(f"chaincode file {path} not found")
    name = f"_chaincode_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing resolve hints through sys.modules
    spec.loader.exec_module(module)
    return module
