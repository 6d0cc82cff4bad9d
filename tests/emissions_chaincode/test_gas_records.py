"""Scope 1 on the ledger: fuel editions sealed as they load, gas records computed by both auditor
orgs from the transient quantity, with the same privacy as electricity records."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chaincode.emissions.combustion import calculate_combustion
from chaincode.emissions.interface import fuel_edition_digest
from chaincode.emissions.shipped import load_fuel_editions
from controllers.ledger import GasUsage, LedgerError, detail_hash
from tests.emissions_chaincode.setup import customer, governed_with_factors, record_request

pytestmark = pytest.mark.fabric_too

HUB = load_fuel_editions()[-1]
JAN, FEB = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
GAS_UTILITY = 4062  # a gas distribution company's number; gas factors do not depend on the utility


def gas_request(**changes):
    return record_request(**{"utility_id": GAS_UTILITY, "edition": HUB.edition, "scope": 1, "fuel": "natural_gas",
                             **changes})


def gas_customer(quantity: str = "50", unit: str = "therm", **changes):
    return customer(kwh=None, gas=GasUsage(Decimal(quantity), unit), account_id="GAS-0042", **changes)


@pytest.fixture
async def ready(network):
    await governed_with_factors(network)
    async with network.client("Auditor1MSP", "Admin") as admin:
        await admin.load_fuel_edition(HUB)
    return network


async def test_a_gas_bill_becomes_a_scope_1_record_computed_on_the_ledger(ready):
    async with ready.client() as auditor:
        outcome = await auditor.record_emissions(gas_request(), gas_customer())
        detail = await auditor.get_record_detail(outcome.record_id)
    record = outcome.record
    assert (record["scope"], record["fuel"], record["edition"], record["gwp_set"]) == (1, "natural_gas", "GHGHub2024", "AR5")
    assert not any(key in json.dumps(record) for key in ("therm", "265.5", "GAS-0042"))  # no usage, no account
    expected = calculate_combustion(Decimal(50), "therm", "natural_gas", HUB, start=JAN, end=FEB)
    assert detail["emissions"] == expected.to_json_dict()
    assert detail["emissions"]["emissions"]["co2e_t"] == "0.265572"
    assert detail["factor_reason"].endswith("natural_gas, per mmBtu")
    async with ready.client("VerifierMSP") as verifier:
        assert (await verifier.verify_record(outcome.record_id, detail_hash(detail)))["matches"] is True


async def test_a_fuel_edition_is_sealed_as_it_loads_and_never_replaced(ready):
    async with ready.client("Auditor1MSP", "Admin") as admin:
        stored = await admin.get_fuel_edition(HUB.edition)
        assert (stored["status"], stored["digest"]) == ("sealed", fuel_edition_digest(HUB.to_json_dict()))
        with pytest.raises(LedgerError, match="fuel edition 'GHGHub2024' is already sealed"):
            await admin.load_fuel_edition(HUB)
        other = dataclasses.replace(HUB, edition="GHGHub2024-copy")
        with pytest.raises(LedgerError, match="has digest .*, not " + "0" * 64):
            await admin._submit("FactorRegistry", "LoadFuelEdition", json.dumps(other.to_json_dict()), "0" * 64)
    async with ready.client("Auditor1MSP") as client:
        with pytest.raises(LedgerError, match="only an org admin"):
            await client.load_fuel_edition(other)


async def test_gas_and_electricity_of_one_customer_are_separate_inventories(ready):
    async with ready.client() as auditor:
        electricity = await auditor.record_emissions(record_request(), customer(account_id="GAS-0042"))
        gas = await auditor.record_emissions(gas_request(), gas_customer())
        assert {electricity.record["scope"], gas.record["scope"]} == {1, 2}
        with pytest.raises(LedgerError, match=f"the period overlaps record {gas.record_id}"):
            await auditor.record_emissions(gas_request(period_start=datetime(2024, 1, 15, tzinfo=UTC),
                                                       period_end=datetime(2024, 2, 15, tzinfo=UTC)),
                                           gas_customer(bill_hash="d" * 64))


@pytest.mark.parametrize(("request_changes", "gas", "message"), [
    ({"fuel": ""}, None, "a scope 1 record names its fuel"),
    ({"fuel": "coal"}, None, "fuel 'coal' is not in factor edition 'GHGHub2024'"),
    ({"edition": "eGRID2023"}, None, "fuel factor edition 'eGRID2023' is not loaded"),
    ({}, GasUsage(Decimal(5), "gallon"), "unit must be one of btu, therm"),
])
async def test_bad_gas_requests_are_refused_with_their_reason(ready, request_changes, gas, message):
    details = gas_customer(*((str(gas.quantity), gas.unit) if gas else ()))
    async with ready.client() as auditor:
        with pytest.raises(LedgerError, match=message):
            await auditor.record_emissions(gas_request(**request_changes), details)


async def test_a_gas_detail_carries_no_kwh(ready):
    transient = json.loads(gas_customer().to_transient()) | {"kwh": "5"}
    async with ready.client() as auditor:
        with pytest.raises(LedgerError, match=r"unknown field\(s\) kwh"):
            await auditor._submit("EmissionsRecords", "RecordEmissions", gas_request().to_json(),
                                  transient={"detail": json.dumps(transient).encode()})
