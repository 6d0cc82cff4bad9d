"""Scope 1 from a gas bill (chaincode.emissions.combustion): unit conversions, the Hub's factors,
CO2e with the edition's GWPs, one rounding at the end."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chaincode.emissions.combustion import FuelEdition, calculate_combustion, to_mmbtu
from chaincode.emissions.errors import CalculationError, FactorDataError
from chaincode.emissions.shipped import load_fuel_editions

JAN, FEB = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def hub() -> FuelEdition:
    (edition,) = load_fuel_editions()
    return edition


def test_the_shipped_edition_is_the_hubs_natural_gas_row_with_ar5(hub):
    gas = hub.fuel("natural_gas")
    assert (hub.edition, hub.gwp.name, hub.gwp.ch4, hub.gwp.n2o) == ("GHGHub2024", "AR5", 28, 265)
    assert (gas.heat_content_mmbtu_per_scf, gas.kg_co2_per_mmbtu, gas.g_ch4_per_mmbtu, gas.g_n2o_per_mmbtu) == \
        (Decimal("0.001026"), Decimal("53.06"), Decimal("1.0"), Decimal("0.10"))


@pytest.mark.parametrize(("quantity", "unit", "mmbtu"), [
    ("50", "therm", "5.0"),
    ("5", "dekatherm", "5"),
    ("48.732", "ccf", "4.99990320"),  # 4873.2 scf x 0.001026
    ("4.8732", "mcf", "4.99990320"),
    ("138", "m3", "5.0001377436"),  # 138 x 35.3147 scf = 4873.4286 scf, x 0.001026
])
def test_energy_units_by_definition_and_volume_through_the_heat_content(hub, quantity, unit, mmbtu):
    assert to_mmbtu(Decimal(quantity), unit, hub.fuel("natural_gas")) == Decimal(mmbtu)


def test_fifty_therms_of_natural_gas(hub):
    burned = calculate_combustion(Decimal(50), "therm", "natural_gas", hub, start=JAN, end=FEB)
    # 5 mmBtu: CO2 265.3 kg, CH4 5 g, N2O 0.5 g; CO2e = 265.3 + 28 x 0.005 + 265 x 0.0005 = 265.5725 kg,
    # each rounded once from the exact value, half to even (0.0005 kg -> 0.000, 0.2655725 t -> 0.265572).
    assert burned.masses.to_json_dict() == {"co2_kg": "265.300", "ch4_kg": "0.005", "n2o_kg": "0.000",
                                            "co2e_kg": "265.572", "co2e_t": "0.265572"}
    document = burned.to_json_dict()
    assert (document["scope"], document["fuel"], document["unit"], document["mmbtu"]) == (1, "natural_gas", "therm", "5.0")
    assert document["factor"]["edition"] == "GHGHub2024" and document["gwp"]["name"] == "AR5"


def test_the_same_gas_in_any_unit_gives_the_same_co2e(hub):
    therms = calculate_combustion(Decimal(10), "therm", "natural_gas", hub, start=JAN, end=FEB)
    dekatherm = calculate_combustion(Decimal(1), "dekatherm", "natural_gas", hub, start=JAN, end=FEB)
    assert therms.masses == dekatherm.masses


@pytest.mark.parametrize(("quantity", "unit", "fuel", "message"), [
    (Decimal(-1), "therm", "natural_gas", "non-negative"),
    (Decimal(1), "gallon", "natural_gas", "gas unit 'gallon' is not one of"),
    (Decimal(1), "therm", "coal", "fuel 'coal' is not in factor edition 'GHGHub2024'"),
    (1.5, "therm", "natural_gas", "must be a Decimal"),
])
def test_bad_input_is_refused_with_its_reason(hub, quantity, unit, fuel, message):
    with pytest.raises(CalculationError, match=message):
        calculate_combustion(quantity, unit, fuel, hub, start=JAN, end=FEB)


def test_an_edition_round_trips_and_refuses_a_malformed_one(hub):
    assert FuelEdition.from_json_dict(hub.to_json_dict()) == hub
    broken = hub.to_json_dict()
    broken["fuels"]["natural_gas"]["kg_co2_per_mmbtu"] = 53.06
    with pytest.raises(FactorDataError, match="kg_co2_per_mmbtu: expected a decimal string"):
        FuelEdition.from_json_dict(broken)
