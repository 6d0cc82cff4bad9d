"""The chaincode's runtime-free interface names exactly what its contracts serve."""

from __future__ import annotations

import inspect

from chaincode.emissions import interface
from chaincode.emissions.contracts import COLLECTION, AuditorRegistry, EmissionsRecords, FactorRegistry
from chaincode.runtime.contract import transaction_marker


def served(contract_class) -> frozenset[str]:
    names = set()
    for attribute, member in inspect.getmembers(contract_class, inspect.isfunction):
        marker = transaction_marker(member)
        if marker is not None:
            names.add(marker.name or attribute)
    return frozenset(names)


def test_each_contract_serves_exactly_the_functions_the_interface_lists():
    contracts = {c.__name__: served(c) for c in (AuditorRegistry, FactorRegistry, EmissionsRecords)}
    assert contracts == dict(interface.CONTRACTS)


def test_the_interface_names_the_collection_the_records_contract_writes():
    assert COLLECTION == interface.DETAILS_COLLECTION


def test_the_interface_loads_no_chaincode_runtime():
    source = inspect.getsource(interface)
    assert "chaincode.runtime" not in source and "contracts" not in source.split('"""')[2]


def test_the_ledger_client_calls_only_functions_the_interface_lists():
    import ast

    import controllers.ledger.client as client

    calls = set()
    for node in ast.walk(ast.parse(inspect.getsource(client))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"_submit", "_evaluate"} and len(node.args) >= 2
                and all(isinstance(a, ast.Constant) for a in node.args[:2])):
            calls.add((node.args[0].value, node.args[1].value))
    assert len(calls) >= 20  # the scan found the client's calls
    assert sorted(c for c in calls if c[1] not in interface.CONTRACTS.get(c[0], ())) == []
