"""Scope 1 emissions from a gas bill: fuel burned on site, EPA GHG Emission Factors Hub factors.

Pure functions (no clock, randomness or I/O), exact Decimal arithmetic until one final rounding,
so every endorsing peer returns the same bytes, as for Scope 2 (`calculation`).

Rules:
- a bill in energy units converts to mmBtu by definition (1 therm = 0.1 mmBtu, 1 dekatherm =
  1 mmBtu, 1 Btu = 10^-6 mmBtu); one in volume units (scf, ccf, mcf, m3) through the fuel's heat content per scf
  (1 ccf = 100 scf, 1 mcf = 1,000 scf, 1 m3 = 35.3147 scf);
- mass(kg) = mmBtu x the Hub's factor per mmBtu (CO2 in kg, CH4 and N2O in g, so / 1000). The
  per-mmBtu factors serve every unit, so a bill gives the same CO2e whichever unit it is in;
- CO2e = CO2 + GWP(CH4) x CH4 + GWP(N2O) x N2O from the unrounded masses, with the edition's GWP
  set (AR5 100-year, as eGRID 2023's CO2e rates use, so both scopes add up);
- kg rounded to 3 places, tonnes to 6, half-to-even, each from the unrounded value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from chaincode.emissions.calculation import GasMasses, aware, metered
from chaincode.emissions.canonical import datetime_str, decimal_str, parse_decimal
from chaincode.emissions.errors import CalculationError, FactorDataError
from chaincode.emissions.rounding import exact, round_kg, round_tonnes
from chaincode.emissions.units import kg_to_tonnes

__all__ = ["GAS_UNITS", "CombustionEmissions", "FuelEdition", "FuelFactor", "GwpSet", "calculate_combustion",
           "to_mmbtu"]

SCF_PER_M3 = Decimal("35.3147")
# unit -> (mmBtu per unit for energy units, or None; scf per unit for volume units, or None)
GAS_UNITS: Mapping[str, tuple[Decimal | None, Decimal | None]] = {
    "btu": (Decimal("0.000001"), None),
    "therm": (Decimal("0.1"), None),
    "dekatherm": (Decimal(1), None),
    "mmbtu": (Decimal(1), None),
    "scf": (None, Decimal(1)),
    "ccf": (None, Decimal(100)),
    "mcf": (None, Decimal(1000)),
    "m3": (None, SCF_PER_M3),
}
_G_PER_KG = Decimal(1000)


def _positive(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise FactorDataError(f"{what} must be a positive Decimal, got {value!r}")
    return value


@dataclass(frozen=True)
class FuelFactor:
    """One fuel's row of the Hub's Table 1 (higher heating values)."""

    heat_content_mmbtu_per_scf: Decimal
    kg_co2_per_mmbtu: Decimal
    g_ch4_per_mmbtu: Decimal
    g_n2o_per_mmbtu: Decimal

    def __post_init__(self) -> None:
        for f in fields(self):
            _positive(getattr(self, f.name), f.name)

    def to_json_dict(self) -> dict[str, str]:
        return {f.name: decimal_str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json_dict(cls, data: object, what: str) -> FuelFactor:
        names = tuple(f.name for f in fields(cls))
        if not isinstance(data, Mapping) or set(data) != set(names):
            raise FactorDataError(f"{what}: expected exactly {', '.join(names)}")
        return cls(**{n: parse_decimal(data[n], f"{what}.{n}") for n in names})


@dataclass(frozen=True)
class GwpSet:
    """The global warming potentials CO2e is computed with (100-year)."""

    name: str
    ch4: Decimal
    n2o: Decimal

    def to_json_dict(self) -> dict[str, str]:
        return {"name": self.name, "ch4": decimal_str(self.ch4), "n2o": decimal_str(self.n2o)}

    @classmethod
    def from_json_dict(cls, data: object, what: str = "gwp") -> GwpSet:
        if not isinstance(data, Mapping) or set(data) != {"name", "ch4", "n2o"} or not isinstance(data["name"], str):
            raise FactorDataError(f"{what}: expected name, ch4 and n2o")
        return cls(data["name"], _positive(parse_decimal(data["ch4"], f"{what}.ch4"), f"{what}.ch4"),
                   _positive(parse_decimal(data["n2o"], f"{what}.n2o"), f"{what}.n2o"))


@dataclass(frozen=True)
class FuelEdition:
    """A sealed set of fuel factors: e.g. the Hub's 2024 edition, natural gas and propane."""

    edition: str
    year: int
    published: str
    source: str
    gwp: GwpSet
    fuels: Mapping[str, FuelFactor]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or isinstance(self.year, bool) or not 1990 <= self.year <= 9999:
            raise FactorDataError(f"fuel edition {self.edition!r}: year must be an integer, got {self.year!r}")
        if not self.fuels:
            raise FactorDataError(f"fuel edition {self.edition!r} has no fuels")

    def fuel(self, name: str) -> FuelFactor:
        try:
            return self.fuels[name]
        except KeyError:
            raise CalculationError(f"fuel {name!r} is not in factor edition {self.edition!r} "
                                   f"(it has {', '.join(sorted(self.fuels))})") from None

    def to_json_dict(self) -> dict[str, Any]:
        return {"edition": self.edition, "year": self.year, "published": self.published, "source": self.source,
                "gwp": self.gwp.to_json_dict(), "fuels": {n: f.to_json_dict() for n, f in sorted(self.fuels.items())},
                "provenance": dict(self.provenance)}

    @classmethod
    def from_json_dict(cls, data: object) -> FuelEdition:
        keys = {"edition", "year", "published", "source", "gwp", "fuels", "provenance"}
        if not isinstance(data, Mapping) or set(data) != keys:
            raise FactorDataError(f"fuel edition: expected exactly {', '.join(sorted(keys))}")
        name = data["edition"]
        if not isinstance(name, str) or not name or not isinstance(data["fuels"], Mapping):
            raise FactorDataError("fuel edition: edition must be a name and fuels an object")
        for key in ("published", "source"):
            if not isinstance(data[key], str):
                raise FactorDataError(f"{name}.{key}: expected a string")
        if not isinstance(data["provenance"], Mapping):
            raise FactorDataError(f"{name}.provenance: expected an object")
        return cls(name, data["year"], data["published"], data["source"], GwpSet.from_json_dict(data["gwp"], f"{name}.gwp"),
                   {fuel: FuelFactor.from_json_dict(f, f"{name}.fuels.{fuel}") for fuel, f in data["fuels"].items()},
                   dict(data["provenance"]))


def to_mmbtu(quantity: Decimal, unit: str, fuel: FuelFactor) -> Decimal:
    """The energy content of `quantity` `unit` of the fuel, exact."""
    quantity = metered(quantity, "gas quantity")
    try:
        energy, volume = GAS_UNITS[unit]
    except KeyError:
        raise CalculationError(f"gas unit {unit!r} is not one of {', '.join(GAS_UNITS)}") from None
    ctx = exact()
    if energy is not None:
        return ctx.multiply(quantity, energy)
    return ctx.multiply(ctx.multiply(quantity, volume), fuel.heat_content_mmbtu_per_scf)


@dataclass(frozen=True)
class CombustionEmissions:
    """Scope 1 emissions of one billing period's gas."""

    start: datetime
    end: datetime
    fuel: str
    quantity: Decimal
    unit: str
    mmbtu: Decimal
    edition: str
    factor: FuelFactor
    gwp: GwpSet
    masses: GasMasses

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "scope": 1,
            "start": datetime_str(self.start),
            "end": datetime_str(self.end),
            "fuel": self.fuel,
            "quantity": decimal_str(self.quantity),
            "unit": self.unit,
            "mmbtu": decimal_str(self.mmbtu),
            "factor": {"edition": self.edition, **self.factor.to_json_dict()},
            "gwp": self.gwp.to_json_dict(),
            "emissions": self.masses.to_json_dict(),
        }


def calculate_combustion(quantity: Decimal, unit: str, fuel: str, edition: FuelEdition, *, start: datetime,
                         end: datetime) -> CombustionEmissions:
    """Scope 1 emissions for `quantity` `unit` of `fuel` burned in [start, end)."""
    if aware(start, "period start") >= aware(end, "period end"):
        raise CalculationError(f"period start {datetime_str(start)} is not before its end {datetime_str(end)}")
    factor = edition.fuel(fuel)
    mmbtu = to_mmbtu(quantity, unit, factor)
    ctx = exact()
    co2 = ctx.multiply(mmbtu, factor.kg_co2_per_mmbtu)
    ch4 = ctx.divide(ctx.multiply(mmbtu, factor.g_ch4_per_mmbtu), _G_PER_KG)
    n2o = ctx.divide(ctx.multiply(mmbtu, factor.g_n2o_per_mmbtu), _G_PER_KG)
    co2e = ctx.add(ctx.add(co2, ctx.multiply(ch4, edition.gwp.ch4)), ctx.multiply(n2o, edition.gwp.n2o))
    masses = GasMasses(co2_kg=round_kg(co2), ch4_kg=round_kg(ch4), n2o_kg=round_kg(n2o), co2e_kg=round_kg(co2e),
                       co2e_t=round_tonnes(kg_to_tonnes(co2e)))
    return CombustionEmissions(start, end, fuel, Decimal(quantity), unit, mmbtu, edition.edition, factor, edition.gwp,
                               masses)
