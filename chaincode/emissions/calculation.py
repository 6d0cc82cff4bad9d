"""Scope 2 emissions for metered kWh: deterministic, exact until one final rounding.

Pure functions of their arguments (no clock, randomness or I/O), so every endorsing peer that
runs them on the same inputs returns the same bytes. Factors come in as resolved objects; where
they came from (ledger state, shipped files) is not this module's business.

Rules:
- mass(kg) = kWh x rate(lb/MWh) x 0.45359237 / 1000, exact (see `rounding`);
- CO2e uses eGRID's published CO2e rate (AR5 GWPs: CH4 28, N2O 265), not a recomputation from
  the rounded gas rates, so our figure matches EPA's;
- kg rounded to 3 places and tonnes to 6, half-to-even, each from the unrounded value;
- a period's figures come from its total kWh, not from summing rounded hourly figures;
- hourly figures use the same annual-average factor (eGRID publishes no hourly rates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from chaincode.emissions.canonical import datetime_str, decimal_str
from chaincode.emissions.errors import CalculationError
from chaincode.emissions.factors import EmissionRates
from chaincode.emissions.lookup import MarketResolution, ResolvedFactor
from chaincode.emissions.rounding import round_kg, round_kg_per_kwh, round_tonnes
from chaincode.emissions.units import kg_for, kg_to_tonnes, lb_per_mwh_to_kg_per_kwh

Basis = Literal["location", "market"]


def metered(value: object, what: str = "kWh") -> Decimal:
    """A metered quantity: a finite, non-negative Decimal (or int)."""
    # Floats are refused: 0.1 kWh as a float is not 0.1, and peers must agree to the digit.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise CalculationError(f"{what} must be a Decimal (or int), got {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise CalculationError(f"{what} must be a finite, non-negative number, got {value}")
    return value


def aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise CalculationError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value


@dataclass(frozen=True)
class GasMasses:
    """Emitted mass per gas in kg, and CO2e in kg and metric tonnes (rounded per the rule)."""

    co2_kg: Decimal
    ch4_kg: Decimal
    n2o_kg: Decimal
    co2e_kg: Decimal
    co2e_t: Decimal

    def to_json_dict(self) -> dict[str, str]:
        return {name: decimal_str(value) for name, value in vars(self).items()}


def masses_for(kwh: Decimal, rates: EmissionRates) -> GasMasses:
    """The masses emitted for `kwh` at `rates` (lb/MWh)."""
    kwh = metered(kwh)
    co2e_kg = kg_for(kwh, rates.co2e)
    return GasMasses(
        co2_kg=round_kg(kg_for(kwh, rates.co2)),
        ch4_kg=round_kg(kg_for(kwh, rates.ch4)),
        n2o_kg=round_kg(kg_for(kwh, rates.n2o)),
        co2e_kg=round_kg(co2e_kg),
        co2e_t=round_tonnes(kg_to_tonnes(co2e_kg)),
    )


@dataclass(frozen=True)
class BasisEmissions:
    """One of the two Scope 2 figures (location- or market-based) with its factor and source."""

    basis: Basis
    method: str  # location: subregion/state/national; market: supplier-specific/residual-mix/location-fallback
    source: str
    fallback: bool
    co2e_lb_per_mwh: Decimal
    masses: GasMasses

    @property
    def co2e_kg_per_kwh(self) -> Decimal:
        return round_kg_per_kwh(lb_per_mwh_to_kg_per_kwh(self.co2e_lb_per_mwh))

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "method": self.method,
            "source": self.source,
            "fallback": self.fallback,
            "factor": {
                "co2e_lb_per_mwh": decimal_str(self.co2e_lb_per_mwh),
                "co2e_kg_per_kwh": decimal_str(self.co2e_kg_per_kwh),
            },
            "emissions": self.masses.to_json_dict(),
        }


def location_emissions(kwh: Decimal, location: ResolvedFactor) -> BasisEmissions:
    return BasisEmissions(
        basis="location", method=location.level, source=location.source, fallback=False,
        co2e_lb_per_mwh=location.rates.co2e, masses=masses_for(kwh, location.rates),
    )


def market_emissions(kwh: Decimal, market: MarketResolution) -> BasisEmissions:
    return BasisEmissions(
        basis="market", method=market.status, source=market.source, fallback=market.fallback,
        co2e_lb_per_mwh=market.rates.co2e, masses=masses_for(kwh, market.rates),
    )


@dataclass(frozen=True)
class HourEmissions:
    """CO2e for one interval of metered use (location- and market-based, kg)."""

    start: datetime
    kwh: Decimal
    location_co2e_kg: Decimal
    market_co2e_kg: Decimal

    def to_json_dict(self) -> dict[str, str]:
        return {
            "start": datetime_str(self.start),
            "kwh": decimal_str(self.kwh),
            "location_co2e_kg": decimal_str(self.location_co2e_kg),
            "market_co2e_kg": decimal_str(self.market_co2e_kg),
        }


def calculate_hourly(
    hourly_kwh: Iterable[tuple[datetime, Decimal]],
    location: ResolvedFactor,
    market: MarketResolution,
) -> tuple[HourEmissions, ...]:
    """CO2e per interval, in time order; interval starts must be distinct and timezone-aware."""
    hours = []
    seen: set[datetime] = set()
    for start, kwh in hourly_kwh:
        aware(start, "interval start")
        if start in seen:
            raise CalculationError(f"interval starting {datetime_str(start)} appears twice")
        seen.add(start)
        kwh = metered(kwh, f"kWh of the interval starting {datetime_str(start)}")
        hours.append(HourEmissions(
            start=start,
            kwh=kwh,
            location_co2e_kg=round_kg(kg_for(kwh, location.rates.co2e)),
            market_co2e_kg=round_kg(kg_for(kwh, market.rates.co2e)),
        ))
    return tuple(sorted(hours, key=lambda h: h.start))


@dataclass(frozen=True)
class PeriodEmissions:
    """Scope 2 emissions of one billing period (or month), location- and market-based."""

    start: datetime | None
    end: datetime | None
    kwh: Decimal
    location: BasisEmissions
    market: BasisEmissions
    hourly: tuple[HourEmissions, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "start": None if self.start is None else datetime_str(self.start),
            "end": None if self.end is None else datetime_str(self.end),
            "kwh": decimal_str(self.kwh),
            "location": self.location.to_json_dict(),
            "market": self.market.to_json_dict(),
            "hourly": [h.to_json_dict() for h in self.hourly],
        }


def calculate_period(
    kwh: Decimal,
    location: ResolvedFactor,
    market: MarketResolution,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    hourly_kwh: Iterable[tuple[datetime, Decimal]] = (),
) -> PeriodEmissions:
    """Emissions for `kwh` used in [start, end); per interval too when `hourly_kwh` is given."""
    kwh = metered(kwh)
    if (start is None) != (end is None):
        raise CalculationError("give both start and end of the period, or neither")
    if start is not None and end is not None:
        if aware(start, "period start") >= aware(end, "period end"):
            raise CalculationError(f"period start {datetime_str(start)} is not before its end {datetime_str(end)}")
    hourly = calculate_hourly(hourly_kwh, location, market)
    if start is not None and end is not None:
        outside = [h for h in hourly if not start <= h.start < end]
        if outside:
            raise CalculationError(f"interval starting {datetime_str(outside[0].start)} lies outside the period")
    return PeriodEmissions(
        start=start, end=end, kwh=kwh,
        location=location_emissions(kwh, location),
        market=market_emissions(kwh, market),
        hourly=hourly,
    )
