"""Contract classes: transaction functions grouped under a contract name.

    class Assets(Contract):
        @transaction
        async def Create(self, ctx: Context, asset_id: str, value: int) -> None: ...

        @query
        async def Read(self, ctx: Context, asset_id: str) -> Asset: ...

Clients call "Assets:Create", or just "Create" when Assets is the default (first) contract.
Transaction functions take the Context first, then typed arguments (see marshalling).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, overload

from chaincode.runtime.errors import ContractError
from chaincode.runtime.identity import ClientIdentity
from chaincode.runtime.stub import ChaincodeStub

_MARKER = "__fabric_transaction__"


class Context:
    """What a transaction function gets besides its arguments; subclass it via create_context."""

    def __init__(self, stub: ChaincodeStub):
        self.stub = stub

    @cached_property
    def client_identity(self) -> ClientIdentity:
        return self.stub.client_identity


@dataclass(frozen=True, slots=True)
class TransactionMarker:
    name: str | None
    submit: bool


class Contract:
    """Base class; `name` defaults to the class name, `title`/`version` go to the metadata."""

    name: str = ""
    title: str = ""
    version: str = ""

    def __init__(self, name: str | None = None):
        chosen = name if name is not None else (type(self).name or type(self).__name__)
        if not chosen or ":" in chosen:
            raise ValueError(f"contract name {chosen!r} must be non-empty and contain no ':'")
        self.name = chosen

    def create_context(self, stub: ChaincodeStub) -> Context:
        return Context(stub)

    async def before_transaction(self, ctx: Context) -> None:
        """Runs before every known transaction function of this contract."""

    async def after_transaction(self, ctx: Context, result: Any) -> None:
        """Runs after a transaction function returned normally."""

    async def unknown_transaction(self, ctx: Context) -> Any:
        """Runs when the function named by the client does not exist; the default fails."""
        function, _ = ctx.stub.function_and_parameters()
        raise ContractError(f"You've asked to invoke a function that does not exist: {function}")


@overload
def transaction[F: Callable[..., Any]](function: F, /) -> F: ...
@overload
def transaction[F: Callable[..., Any]](*, name: str | None = None, submit: bool = True) -> Callable[[F], F]: ...
def transaction(function=None, /, *, name=None, submit=True):
    """Mark a method as a transaction function (submitted to the orderer, may write state)."""

    def mark(fn):
        setattr(fn, _MARKER, TransactionMarker(name, submit))
        return fn

    return mark(function) if function is not None else mark


@overload
def query[F: Callable[..., Any]](function: F, /) -> F: ...
@overload
def query[F: Callable[..., Any]](*, name: str | None = None) -> Callable[[F], F]: ...
def query(function=None, /, *, name=None):
    """Mark a method as a query function (evaluated, never submitted; tagged EVALUATE)."""
    mark = transaction(name=name, submit=False)
    return mark(function) if function is not None else mark


def transaction_marker(member: object) -> TransactionMarker | None:
    return getattr(member, _MARKER, None)
