"""ESPI code values this package understands, and how they map to natural units and labels.

Values come from the enumerations in espiDerived.xsd / ESPI 3.3 usage.xsd (UnitSymbolKind,
CommodityKind, ServiceKind, FlowDirectionKind, AccumulationKind) and ISO 4217 for currencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Unit:
    """How to report a UnitSymbolKind: `symbol` after shifting the value by `scale` powers of ten."""

    symbol: str
    scale: int = 0  # natural = raw x 10^(powerOfTenMultiplier + scale)
    energy: bool = False  # an amount that accumulates over an interval (summable as delta data)
    # Roughly how many joules one natural unit carries (volumes as natural gas at ~1,026 BTU/ft3),
    # only to tell a plausible reading from one no service could deliver; never for a result.
    joules: Decimal | None = None


# Average power no single electricity or gas service reaches: a large power station's output.
MOST_WATTS = Decimal(10**9)

_GAS_JOULES_PER_FT3 = Decimal("1082500")  # 1,026 BTU

# Wh is reported as kWh (the unit of eGRID factors and bills); the rest keep their own unit.
# Gas units follow UnitSymbolKind in usage.xsd, which has no ccf, mcf or dekatherm: files state
# those as ft3 or therm with a powerOfTenMultiplier of 2, 3 or 1 (see gas_unit).
UNITS: dict[int, Unit] = {
    72: Unit("kWh", -3, energy=True, joules=Decimal(3_600_000)),  # Wh
    73: Unit("VArh", energy=True, joules=Decimal(3600)),
    71: Unit("VAh", energy=True, joules=Decimal(3600)),
    38: Unit("W"),
    63: Unit("VAr"),
    61: Unit("VA"),
    169: Unit("therm", energy=True, joules=Decimal(105_480_400)),
    42: Unit("m3", energy=True, joules=_GAS_JOULES_PER_FT3 * Decimal("35.3147")),
    166: Unit("m3", energy=True, joules=_GAS_JOULES_PER_FT3 * Decimal("35.3147")),  # m3uncompensated
    167: Unit("m3", energy=True, joules=_GAS_JOULES_PER_FT3 * Decimal("35.3147")),  # m3compensated
    119: Unit("ft3", energy=True, joules=_GAS_JOULES_PER_FT3),
    120: Unit("ft3", energy=True, joules=_GAS_JOULES_PER_FT3),  # ft3compensated
    132: Unit("BTU", energy=True, joules=Decimal("1055.06")),
    31: Unit("J", energy=True, joules=Decimal(1)),
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

# Units a gas series may be summed in (energy or volume); W-like levels are never summed.
GAS_UNITS_BY_SYMBOL: dict[str, bool] = {"therm": True, "ft3": True, "m3": True, "BTU": True, "J": True}

# UnitMultiplierKind (usage.xsd): the powers of ten a file may scale its values by.
MULTIPLIERS = frozenset((-12, -9, -6, -3, -2, -1, 0, 1, 2, 3, 6, 9, 12))

# Names a gas bill uses for a base unit scaled by a power of ten: 10^2 ft3 is a ccf, and so on.
_SCALED_GAS_UNITS = {("ft3", 2): "ccf", ("ft3", 3): "mcf", ("therm", 1): "dekatherm"}


def gas_unit(symbol: str, exponent: int) -> tuple[str, int]:
    """(unit, remaining exponent): the unit a gas bill would state for `symbol` x 10^exponent.

    ft3 x 10^2 is ccf, x 10^3 (or more) mcf; therm x 10 (or more) dekatherm; anything else keeps
    its own unit. The quantity is raw x 10^(remaining exponent) in the returned unit.
    """
    for (base, power), name in sorted(_SCALED_GAS_UNITS.items(), key=lambda item: -item[0][1]):
        if symbol == base and exponent >= power:
            if name == "ccf" and exponent > 2:
                continue  # 10^3 or more reads better as mcf
            return name, exponent - power
    return symbol, exponent

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
