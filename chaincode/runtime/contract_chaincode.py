"""ContractChaincode: a Chaincode built from Contract instances.

Routes "contract:function" (or "function" for the default contract, the first one given) to the
decorated method, converts arguments by type hint, and answers the system contract's
`org.hyperledger.fabric:GetMetadata` with metadata shaped like fabric-contract-api's.
"""

from __future__ import annotations

import inspect
import json
import logging
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chaincode.runtime import marshalling, response
from chaincode.runtime.contract import Contract, Context, query, transaction_marker
from chaincode.runtime.errors import ContractError
from chaincode.runtime.marshalling import ArgumentError
from chaincode.runtime.response import Response
from chaincode.runtime.schema import schema_for
from chaincode.runtime.stub import ChaincodeStub

log = logging.getLogger(__name__)

SYSTEM_CONTRACT_NAME = "org.hyperledger.fabric"
METADATA_SCHEMA_URL = "https://hyperledger.github.io/fabric-chaincode-node/main/api/contract-schema.json"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    hint: Any


@dataclass(frozen=True, slots=True)
class TransactionFunction:
    name: str
    method_name: str
    parameters: tuple[Parameter, ...]
    returns: Any  # the return hint; None when the function returns nothing
    submit: bool


@dataclass(frozen=True, slots=True)
class _ContractEntry:
    contract: Contract
    functions: dict[str, TransactionFunction]


class _SystemContract(Contract):
    name = SYSTEM_CONTRACT_NAME

    def __init__(self) -> None:
        super().__init__()
        self.metadata_json = "{}"

    @query
    async def GetMetadata(self, ctx: Context) -> str:  # noqa: N802 - the name clients call
        return self.metadata_json


class ContractChaincode:
    def __init__(self, contracts: Sequence[Contract], *, title: str = "", version: str = ""):
        if isinstance(contracts, Contract) or not contracts:
            raise ValueError("ContractChaincode needs a non-empty list of Contract instances")
        self._entries: dict[str, _ContractEntry] = {}
        for contract in [*contracts, _SystemContract()]:
            if not isinstance(contract, Contract):
                raise TypeError(f"{contract!r} is not a Contract instance")
            if contract.name in self._entries:
                raise ValueError(f"two contracts are named {contract.name!r}")
            self._entries[contract.name] = _ContractEntry(contract, _transaction_functions(contract))
        self.default_contract = contracts[0].name
        self.metadata = self._build_metadata(title, version)
        system = self._entries[SYSTEM_CONTRACT_NAME].contract
        assert isinstance(system, _SystemContract)
        system.metadata_json = json.dumps(self.metadata, separators=(",", ":"))

    async def init(self, stub: ChaincodeStub) -> Response:
        if not stub.args:
            return response.success()
        return await self.invoke(stub)

    async def invoke(self, stub: ChaincodeStub) -> Response:
        try:
            function, arguments = _split_call(stub.args)
            contract_name, function_name = self._route(function)
            entry = self._entries.get(contract_name)
            if entry is None:
                raise ContractError(f"Contract name is not known: {contract_name}")
            return response.success(await self._call(entry, function_name, arguments, stub))
        except (ContractError, ArgumentError) as exc:
            return response.error(str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure fails the transaction with its message
            log.exception("transaction %s failed", stub.tx_id[:8])
            return response.error(str(exc) or type(exc).__name__)

    def _route(self, function: str) -> tuple[str, str]:
        """("contract", "fn") for "contract:fn"; a bare "fn" (or ":fn") goes to the default contract."""
        contract_name, separator, function_name = function.partition(":")
        if not separator:
            return self.default_contract, function
        return contract_name or self.default_contract, function_name

    async def _call(self, entry: _ContractEntry, name: str, arguments: Sequence[bytes], stub: ChaincodeStub) -> bytes:
        contract = entry.contract
        ctx = contract.create_context(stub)
        target = entry.functions.get(name)
        if target is None:
            return marshalling.encode_result(await _settle(contract.unknown_transaction(ctx)))
        values = _parse_arguments(target, arguments)
        await _settle(contract.before_transaction(ctx))
        result = await _settle(getattr(contract, target.method_name)(ctx, *values))
        await _settle(contract.after_transaction(ctx, result))
        return marshalling.encode_result(result)

    def _build_metadata(self, title: str, version: str) -> dict[str, Any]:
        components: dict[str, dict[str, Any]] = {}
        contracts = {}
        for name, entry in self._entries.items():
            instance: dict[str, Any] = {"name": name}
            if name == self.default_contract:
                instance["default"] = True
            contracts[name] = {
                "name": name,
                "contractInstance": instance,
                "transactions": [_describe(function, components) for function in entry.functions.values()],
                "info": {"title": entry.contract.title, "version": entry.contract.version},
            }
        return {
            "$schema": METADATA_SCHEMA_URL,
            "contracts": contracts,
            "info": {"title": title, "version": version},
            "components": {"schemas": components},
        }


async def _settle(outcome: Any) -> Any:
    """Contract methods and hooks may be plain or async functions."""
    return await outcome if inspect.isawaitable(outcome) else outcome


def _split_call(args: Sequence[bytes]) -> tuple[str, Sequence[bytes]]:
    if not args:
        raise ContractError("no function name given: the first argument must name the function to call")
    try:
        function = args[0].decode("utf-8")
    except UnicodeDecodeError:
        raise ContractError("the function name is not valid UTF-8") from None
    return function, args[1:]


def _parse_arguments(function: TransactionFunction, arguments: Sequence[bytes]) -> list[Any]:
    expected = function.parameters
    if len(arguments) != len(expected):
        names = ", ".join(parameter.name for parameter in expected) or "none"
        raise ArgumentError(
            f"{function.name} expects {len(expected)} argument{'s' if len(expected) != 1 else ''} ({names}),"
            f" got {len(arguments)}"
        )
    values = []
    for parameter, raw in zip(expected, arguments, strict=True):
        try:
            values.append(marshalling.parse_argument(parameter.hint, raw))
        except ArgumentError as exc:
            raise ArgumentError(f"{function.name}: argument {parameter.name!r} {exc}") from None
    return values


def _transaction_functions(contract: Contract) -> dict[str, TransactionFunction]:
    functions: dict[str, TransactionFunction] = {}
    for method_name, member in _methods_in_definition_order(type(contract)).items():
        marker = transaction_marker(member)
        if marker is None:
            continue
        function = _inspect_function(contract.name, method_name, member, marker.name or method_name, marker.submit)
        if function.name in functions:
            raise ValueError(f"contract {contract.name!r} has two transaction functions named {function.name!r}")
        functions[function.name] = function
    return functions


def _methods_in_definition_order(cls: type) -> dict[str, Any]:
    """Base classes first, then each subclass; an override keeps its base's position."""
    methods: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, member in vars(klass).items():
            if inspect.isfunction(member):
                methods[name] = member
    return methods


def _inspect_function(
    contract_name: str, method_name: str, member: Any, name: str, submit: bool
) -> TransactionFunction:
    where = f"{contract_name}:{name}"
    if ":" in name or not name:
        raise ValueError(f"transaction function name {name!r} must be non-empty and contain no ':'")
    signature = inspect.signature(member)
    hints = typing.get_type_hints(member)
    positional = [
        parameter
        for parameter in signature.parameters.values()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    if len(positional) != len(signature.parameters) or len(positional) < 2:
        raise TypeError(f"{where}: transaction functions take (self, ctx, *typed arguments), no *args or keywords")
    parameters = []
    for parameter in positional[2:]:
        hint = hints.get(parameter.name, str)  # untyped arguments are strings, as in fabric-contract-api
        marshalling.check_supported(hint, f"{where}, argument {parameter.name!r}")
        parameters.append(Parameter(parameter.name, hint))
    returns = hints.get("return")
    if returns is type(None):
        returns = None
    if returns is not None:
        marshalling.check_supported(returns, f"{where}, return type")
    return TransactionFunction(name, method_name, tuple(parameters), returns, submit)


def _describe(function: TransactionFunction, components: dict[str, dict[str, Any]]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": function.name,
        "tag": ["SUBMIT", "submitTx"] if function.submit else ["EVALUATE"],
        "parameters": [
            {"name": parameter.name, "description": "", "schema": schema_for(parameter.hint, components)}
            for parameter in function.parameters
        ],
    }
    if function.returns is not None:
        described["returns"] = schema_for(function.returns, components)
    return described
