"""eGRID factor editions: output emission rates and generation mix per region.

A `FactorEdition` is one eGRID release (e.g. eGRID2023, data year 2023) with total output
emission rates in lb/MWh for every subregion, every state and the US, kept as the exact
decimals EPA published. It round-trips through `to_json_dict`/`from_json_dict`, which is the
form the factor registry stores on the ledger.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from chaincode.emissions.canonical import decimal_str, parse_decimal
from chaincode.emissions.errors import FactorDataError
from chaincode.emissions.rounding import exact
from chaincode.emissions.units import GWP_AR5

RegionLevel = Literal["subregion", "state", "national"]

_ONE = Decimal(1)


def _require_keys(data: object, keys: tuple[str, ...], what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise FactorDataError(f"{what}: expected an object, got {type(data).__name__}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise FactorDataError(f"{what}: missing {', '.join(missing)}")
    return data


class _DecimalRecord:
    """A frozen dataclass of Decimal fields that round-trips through JSON as decimal strings."""

    def to_json_dict(self) -> dict[str, str]:
        return {f.name: decimal_str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json_dict(cls, data: object, what: str):
        names = tuple(f.name for f in fields(cls))
        data = _require_keys(data, names, what)
        return cls(**{n: parse_decimal(data[n], f"{what}.{n}") for n in names})


@dataclass(frozen=True)
class EmissionRates(_DecimalRecord):
    """Total output emission rates, lb per MWh of net generation."""

    co2: Decimal
    ch4: Decimal
    n2o: Decimal
    co2e: Decimal

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise FactorDataError(f"{f.name} rate must be a non-negative Decimal, got {value!r}")

    def co2e_from_gases(self) -> Decimal:
        """CO2e recomputed from the gas rates with AR5 GWPs (a consistency check, not a source)."""
        ctx = exact()
        total = ctx.add(self.co2, ctx.multiply(self.ch4, GWP_AR5["ch4"]))
        return ctx.add(total, ctx.multiply(self.n2o, GWP_AR5["n2o"]))

    @classmethod
    def from_json_dict(cls, data: object, what: str = "rates") -> EmissionRates:
        return super().from_json_dict(data, what)


@dataclass(frozen=True)
class ResourceMix(_DecimalRecord):
    """Share of net generation by fuel, as fractions 0..1 (EPA rounds to 3 places)."""

    coal: Decimal
    oil: Decimal
    gas: Decimal
    other_fossil: Decimal
    nuclear: Decimal
    hydro: Decimal
    biomass: Decimal
    wind: Decimal
    solar: Decimal
    geothermal: Decimal
    other_unknown_purchased_fuel: Decimal

    # Nuclear is low-carbon but not renewable, so it is not counted here.
    RENEWABLE = ("hydro", "biomass", "wind", "solar", "geothermal")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= _ONE:
                raise FactorDataError(f"{f.name} fraction must be a Decimal in [0, 1], got {value!r}")

    @property
    def renewable_share(self) -> Decimal:
        """Hydro + biomass + wind + solar + geothermal, exact sum of the published fractions."""
        ctx = exact()
        total = Decimal(0)
        for name in self.RENEWABLE:
            total = ctx.add(total, getattr(self, name))
        return total

    @classmethod
    def from_json_dict(cls, data: object, what: str = "mix") -> ResourceMix:
        return super().from_json_dict(data, what)


@dataclass(frozen=True)
class RegionFactor:
    """The rates and generation mix of one region (an eGRID subregion, a state, or the US)."""

    code: str
    name: str
    rates: EmissionRates
    mix: ResourceMix

    def to_json_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rates": self.rates.to_json_dict(), "mix": self.mix.to_json_dict()}

    @classmethod
    def from_json_dict(cls, code: str, data: object, what: str) -> RegionFactor:
        data = _require_keys(data, ("name", "rates", "mix"), what)
        if not isinstance(data["name"], str):
            raise FactorDataError(f"{what}.name: expected a string")
        return cls(
            code=code,
            name=data["name"],
            rates=EmissionRates.from_json_dict(data["rates"], f"{what}.rates"),
            mix=ResourceMix.from_json_dict(data["mix"], f"{what}.mix"),
        )


def _regions_from_json(data: object, what: str) -> Mapping[str, RegionFactor]:
    if not isinstance(data, Mapping):
        raise FactorDataError(f"{what}: expected an object keyed by region code")
    return {code: RegionFactor.from_json_dict(code, v, f"{what}.{code}") for code, v in data.items()}


@dataclass(frozen=True)
class FactorEdition:
    """One eGRID edition. `year` is its data year: eGRID2023 describes generation in 2023."""

    edition: str
    year: int
    published: str
    source: str
    subregions: Mapping[str, RegionFactor]
    states: Mapping[str, RegionFactor]
    us: RegionFactor
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or isinstance(self.year, bool) or not 1990 <= self.year <= 9999:
            raise FactorDataError(f"edition {self.edition!r}: year must be an integer data year, got {self.year!r}")
        # Read-only views: an edition is immutable once sealed on the ledger.
        object.__setattr__(self, "subregions", MappingProxyType(dict(self.subregions)))
        object.__setattr__(self, "states", MappingProxyType(dict(self.states)))
        object.__setattr__(self, "provenance", MappingProxyType(copy.deepcopy(dict(self.provenance))))

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "edition": self.edition,
            "year": self.year,
            "published": self.published,
            "source": self.source,
            "subregions": {c: r.to_json_dict() for c, r in sorted(self.subregions.items())},
            "states": {c: r.to_json_dict() for c, r in sorted(self.states.items())},
            "us": self.us.to_json_dict(),
            "provenance": copy.deepcopy(dict(self.provenance)),
        }

    @classmethod
    def from_json_dict(cls, data: object) -> FactorEdition:
        keys = ("edition", "year", "published", "source", "subregions", "states", "us")
        data = _require_keys(data, keys, "edition")
        name = data["edition"]
        if not isinstance(name, str) or not name:
            raise FactorDataError("edition.edition: expected a non-empty string")
        for key in ("published", "source"):
            if not isinstance(data[key], str):
                raise FactorDataError(f"{name}.{key}: expected a string")
        provenance = data.get("provenance", {})
        if not isinstance(provenance, Mapping):
            raise FactorDataError(f"{name}.provenance: expected an object")
        return cls(
            edition=name,
            year=data["year"],
            published=data["published"],
            source=data["source"],
            subregions=_regions_from_json(data["subregions"], f"{name}.subregions"),
            states=_regions_from_json(data["states"], f"{name}.states"),
            us=RegionFactor.from_json_dict("US", data["us"], f"{name}.us"),
            provenance=provenance,
        )
