"""Contract API: routing, typed arguments and results, hooks and GetMetadata."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from fabric_protos.peer import chaincode_shim_pb2

from chaincode.runtime import Context, Contract, ContractChaincode, ContractError, load_chaincode, query, transaction
from shim_peer import ready_peer

Message = chaincode_shim_pb2.ChaincodeMessage


@dataclass
class Reading:
    period: str
    kwh: Decimal
    tags: list[str] = field(default_factory=list)


class Calculator(Contract):
    title = "Calculator"
    version = "1.0"

    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    async def before_transaction(self, ctx: Context) -> None:
        self.calls.append("before")

    async def after_transaction(self, ctx: Context, result) -> None:
        self.calls.append(f"after:{result!r}")

    @transaction
    async def Add(self, ctx: Context, a: int, b: int) -> int:
        return a + b

    @query
    async def Scale(self, ctx: Context, value: Decimal, factor: Decimal) -> Decimal:
        return value * factor

    @query
    async def Flip(self, ctx: Context, flag: bool) -> bool:
        return not flag

    @transaction(name="Total")
    async def total_readings(self, ctx: Context, readings: list[Reading]) -> Reading:
        return Reading("all", sum((r.kwh for r in readings), Decimal(0)), sorted({t for r in readings for t in r.tags}))

    @query
    def Plain(self, ctx: Context, text) -> str:  # untyped argument = string; plain functions work too
        return text.upper()

    @query
    async def Nothing(self, ctx: Context) -> None:
        return None

    def helper(self) -> str:  # not decorated: not callable by clients
        return "no"


class Registry(Contract):
    name = "registry"

    @query
    async def Add(self, ctx: Context, a: str, b: str) -> str:
        return a + b

    async def unknown_transaction(self, ctx: Context):
        raise ContractError(f"registry has no {ctx.stub.function_and_parameters()[0]}")


async def call(chaincode, *args: str):
    peer = await ready_peer(chaincode)
    peer.start("tx1", *args)
    response = await peer.completed("tx1")
    await peer.close()
    return response


@pytest.fixture
def calculator():
    return Calculator()


@pytest.fixture
def chaincode(calculator):
    return ContractChaincode([calculator, Registry()], title="test", version="9")


async def test_bare_function_goes_to_the_default_contract_and_named_one_to_its_contract(chaincode):
    assert (await call(chaincode, "Add", "2", "3")).payload == b"5"
    assert (await call(chaincode, "Calculator:Add", "2", "3")).payload == b"5"
    assert (await call(chaincode, "registry:Add", "2", "3")).payload == b"23"
    assert (await call(chaincode, ":Add", "2", "3")).payload == b"5"


async def test_typed_scalars_convert_both_ways(chaincode):
    assert (await call(chaincode, "Scale", "0.34967", "1000")).payload == b"349.67000"
    assert (await call(chaincode, "Flip", "TRUE")).payload == b"false"
    assert (await call(chaincode, "Plain", "camx")).payload == b"CAMX"
    response = await call(chaincode, "Nothing")
    assert (response.status, response.payload) == (200, b"")


async def test_dataclass_arguments_and_results_are_json(chaincode):
    readings = [{"period": "2024-01", "kwh": 1.5, "tags": ["b"]}, {"period": "2024-02", "kwh": "2.25", "tags": ["a"]}]
    response = await call(chaincode, "Total", json.dumps(readings))
    assert json.loads(response.payload) == {"period": "all", "kwh": "3.75", "tags": ["a", "b"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Add", "1"), "Add expects 2 arguments (a, b), got 1"),
        (("Add", "1", "2", "3"), "Add expects 2 arguments (a, b), got 3"),
        (("Add", "1", "two"), "Add: argument 'b' expected an integer, got 'two'"),
        (("Add", "1.5", "2"), "Add: argument 'a' expected an integer, got '1.5'"),
        (("Flip", "yes"), "Flip: argument 'flag' expected true or false, got 'yes'"),
        (("Scale", "NaN", "1"), "Scale: argument 'value' expected a decimal number, got 'NaN'"),
        (("Total", "not json"), "Total: argument 'readings' expected JSON for list[Reading]: Expecting value: line 1 column 1 (char 0)"),
        (("Total", '[{"period": "x"}]'), "Total: argument 'readings' missing field(s) kwh for Reading at [0]"),
        (("Total", '[{"period": "x", "kwh": 1, "extra": 1}]'), "Total: argument 'readings' unknown field(s) extra for Reading at [0]"),
        (("Total", '[{"period": 7, "kwh": 1}]'), "Total: argument 'readings' expected a string at [0].period, got a number"),
        (("Total", '{"period": "x"}'), "Total: argument 'readings' expected an array, got an object"),
    ],
)
async def test_bad_arguments_fail_with_a_message_naming_the_problem(chaincode, args, message):
    response = await call(chaincode, *args)
    assert (response.status, response.message) == (500, message)


async def test_unknown_function_and_contract_are_named(chaincode):
    response = await call(chaincode, "Multiply", "2", "3")
    assert (response.status, response.message) == (500, "You've asked to invoke a function that does not exist: Multiply")
    assert (await call(chaincode, "helper")).message == "You've asked to invoke a function that does not exist: helper"
    assert (await call(chaincode, "registry:Nope")).message == "registry has no registry:Nope"
    assert (await call(chaincode, "ledger:Add", "1", "2")).message == "Contract name is not known: ledger"


async def test_hooks_run_around_known_functions_only(chaincode, calculator):
    await call(chaincode, "Add", "1", "1")
    await call(chaincode, "Missing")
    assert calculator.calls == ["before", "after:2"]


async def test_contract_errors_and_unexpected_exceptions_become_500_responses():
    class Failing(Contract):
        @transaction
        async def Refuse(self, ctx: Context) -> str:
            raise ContractError("factor edition eGRID2023 is sealed")

        @transaction
        async def Crash(self, ctx: Context) -> str:
            return {}["missing"]

    chaincode = ContractChaincode([Failing()])
    assert (await call(chaincode, "Refuse")).message == "factor edition eGRID2023 is sealed"
    crash = await call(chaincode, "Crash")
    assert (crash.status, crash.message) == (500, "'missing'")


async def test_get_metadata_describes_contracts_like_fabric_contract_api(chaincode):
    response = await call(chaincode, "org.hyperledger.fabric:GetMetadata")
    metadata = json.loads(response.payload)
    assert metadata["$schema"] == "https://hyperledger.github.io/fabric-chaincode-node/main/api/contract-schema.json"
    assert metadata["info"] == {"title": "test", "version": "9"}
    assert list(metadata["contracts"]) == ["Calculator", "registry", "org.hyperledger.fabric"]
    calculator = metadata["contracts"]["Calculator"]
    assert calculator["contractInstance"] == {"name": "Calculator", "default": True}
    assert calculator["info"] == {"title": "Calculator", "version": "1.0"}
    transactions = {t["name"]: t for t in calculator["transactions"]}
    assert list(transactions) == ["Add", "Scale", "Flip", "Total", "Plain", "Nothing"]
    assert transactions["Add"] == {
        "name": "Add", "tag": ["SUBMIT", "submitTx"],
        "parameters": [{"name": "a", "description": "", "schema": {"type": "integer", "format": "int64"}},
                       {"name": "b", "description": "", "schema": {"type": "integer", "format": "int64"}}],
        "returns": {"type": "integer", "format": "int64"},
    }
    assert transactions["Scale"]["tag"] == ["EVALUATE"]
    assert "returns" not in transactions["Nothing"]
    assert transactions["Total"]["parameters"][0]["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/Reading"}}
    assert metadata["components"]["schemas"]["Reading"] == {
        "$id": "Reading", "type": "object", "additionalProperties": False, "required": ["period", "kwh"],
        "properties": {"period": {"type": "string"}, "kwh": {"type": "string", "format": "decimal"},
                       "tags": {"type": "array", "items": {"type": "string"}}},
    }
    system = metadata["contracts"]["org.hyperledger.fabric"]["transactions"]
    assert [t["name"] for t in system] == ["GetMetadata"]


def test_unsupported_types_and_signatures_fail_when_the_chaincode_is_built():
    class BadType(Contract):
        @transaction
        async def Take(self, ctx: Context, value: set[str]) -> None: ...

    class BadSignature(Contract):
        @transaction
        async def Take(self, ctx: Context, *values: str) -> None: ...

    with pytest.raises(TypeError, match=r"BadType:Take, argument 'value': unsupported type"):
        ContractChaincode([BadType()])
    with pytest.raises(TypeError, match="no \\*args or keywords"):
        ContractChaincode([BadSignature()])
    with pytest.raises(ValueError, match="two contracts are named"):
        ContractChaincode([Registry(), Registry()])
    with pytest.raises(ValueError, match="contain no ':'"):
        Registry(name="a:b")


def test_load_chaincode_accepts_contracts_lists_and_chaincodes():
    from_instance = load_chaincode("tests.conformance.chaincode_py.conformance:chaincode")
    from_class = load_chaincode("tests.conformance.chaincode_py.conformance:ConformanceContract")
    from_file = load_chaincode("tests/conformance/chaincode_py/conformance.py:contract")
    for loaded in (from_instance, from_class, from_file):
        assert list(loaded.metadata["contracts"])[0] == "conformance"
    with pytest.raises(ValueError, match="package.module:attribute"):
        load_chaincode("tests.conformance.chaincode_py.conformance")
    with pytest.raises(ValueError, match="not found"):
        load_chaincode("no_such_module_here:x")
    with pytest.raises(ValueError, match="has no attribute 'nope'"):
        load_chaincode("tests.conformance.chaincode_py.conformance:nope")
    with pytest.raises(TypeError, match="expected a Chaincode"):
        load_chaincode("tests.conformance.chaincode_py.conformance:json")
