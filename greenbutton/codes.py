"""ESPI code values this package understands, and how they map to natural units and labels.

Values come from the enumerations in espiDerived.xsd / ESPI 3.3 usage.xsd (UnitSymbolKind,
CommodityKind, ServiceKind, FlowDirectionKind, AccumulationKind) and ISO 4217 for currencies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """How to report a UnitSymbolKind: `symbol` after shifting the value by `scale` powers of ten."""

    symbol: str
    scale: int = 0  # natural = raw x 10^(powerOfTenMultiplier + scale)
    energy: bool = False  # an amount that accumulates over an interval (summable as delta data)


# Wh is reported as kWh (the unit of eGRID factors and bills); the rest keep their own unit.
UNITS: dict[int, Unit] = {
    72: Unit("kWh", -3, energy=True),  # Wh
    73: Unit("VArh", energy=True),
    71: Unit("VAh", energy=True),
    38: Unit("W"),
    63: Unit("VAr"),
    61: Unit("VA"),
    169: Unit("therm", energy=True),
    42: Unit("m3", energy=True),
    119: Unit("ft3", energy=True),
    132: Unit("BTU", energy=True),
    5: Unit("A"),
    29: Unit("V"),
    33: Unit("Hz"),
    65: Unit("cosTheta"),
    0: Unit("none"),
}

ELECTRICITY = "electricity"
GAS = "gas"
WATER = "water"

# ReadingType/commodity (CommodityKind) -> commodity label.
COMMODITIES: dict[int, str] = {
    1: ELECTRICITY,  # electricity secondary metered
    2: ELECTRICITY,  # electricity primary metered
    26: ELECTRICITY,  # electricity transmission metered
    7: GAS,  # natural gas
    8: "propane",
    9: WATER,  # potable water
    14: WATER,  # non-potable water
    11: "waste-water",
    10: "steam",
    12: "heating-fluid",
    13: "cooling-fluid",
}

# UsagePoint/ServiceCategory/kind (ServiceKind) -> commodity label.
SERVICE_KINDS: dict[int, str] = {0: ELECTRICITY, 1: GAS, 2: WATER, 4: "heat", 6: "sewerage"}

# When neither the ReadingType nor its UsagePoint says, the unit does (Wh is never gas).
COMMODITY_BY_UOM: dict[int, str] = {72: ELECTRICITY, 73: ELECTRICITY, 71: ELECTRICITY, 169: GAS}

FORWARD = "forward"  # delivered to the customer
REVERSE = "reverse"  # received from the customer (export)
NET = "net"

FLOWS: dict[int, str] = {1: FORWARD, 19: REVERSE, 4: NET, 20: "total"}

DELTA_DATA = 4
ACCUMULATIONS: dict[int, str] = {
    0: "none",
    1: "bulkQuantity",
    2: "continuousCumulative",
    3: "cumulative",
    4: "deltaData",
    6: "indicating",
    9: "summation",
    10: "timeDelay",
    12: "instantaneous",
    13: "latchingQuantity",
    14: "boundedQuantity",
}

CURRENCIES: dict[int, str] = {
    840: "USD",
    124: "CAD",
    978: "EUR",
    826: "GBP",
    36: "AUD",
    484: "MXN",
    392: "JPY",
    756: "CHF",
    156: "CNY",
    356: "INR",
    554: "NZD",
}

COST_SCALE = -5  # costs are in 1/100,000 of the currency


def currency_label(code: int | None) -> str | None:
    if code is None or code == 0:
        return None
    return CURRENCIES.get(code, f"ISO4217:{code}")


def flow_label(code: int | None) -> str:
    # An absent flowDirection is read as delivered energy: that is what utilities' downloads mean
    # by it, and every exported-energy ReadingType we know of states reverse (19) explicitly.
    if code is None:
        return FORWARD
    return FLOWS.get(code, f"flow-{code}")


def accumulation_label(code: int | None) -> str:
    if code is None:
        return ACCUMULATIONS[DELTA_DATA]
    return ACCUMULATIONS.get(code, f"accumulation-{code}")
