"""Market-based factors: what a utility's customers bought, as opposed to the grid average.

The GHG Protocol Scope 2 Guidance ranks market-based emission factors: contractual instruments
and supplier-specific (utility) factors first, then a residual mix, and only when neither exists
the location-based grid average, which must then be disclosed as such. The factor registry holds
the first two per utility and year; this module only models them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from chaincode.emissions.errors import FactorDataError
from chaincode.emissions.factors import EmissionRates

MarketKind = Literal["supplier-specific", "residual-mix"]
MARKET_KINDS: tuple[MarketKind, ...] = ("supplier-specific", "residual-mix")


@dataclass(frozen=True)
class MarketFactor:
    """A registered market-based factor for one utility and data year (rates in lb/MWh)."""

    utility_id: int
    year: int
    kind: MarketKind
    rates: EmissionRates
    source: str

    def __post_init__(self) -> None:
        if self.kind not in MARKET_KINDS:
            raise FactorDataError(f"market factor kind must be one of {MARKET_KINDS}, got {self.kind!r}")
        for name in ("utility_id", "year"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise FactorDataError(f"market factor {name} must be a positive integer, got {value!r}")
        if not self.source.strip():
            raise FactorDataError("market factor source must name where the figure was published")

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "utility_id": self.utility_id,
            "year": self.year,
            "kind": self.kind,
            "rates": self.rates.to_json_dict(),
            "source": self.source,
        }

    @classmethod
    def from_json_dict(cls, data: object) -> MarketFactor:
        if not isinstance(data, dict):
            raise FactorDataError("market factor: expected an object")
        try:
            return cls(
                utility_id=data["utility_id"],
                year=data["year"],
                kind=data["kind"],
                rates=EmissionRates.from_json_dict(data["rates"], "market factor rates"),
                source=str(data["source"]),
            )
        except KeyError as exc:
            raise FactorDataError(f"market factor: missing {exc.args[0]}") from None
