"""Which factor applies: edition by year, location-based by region level, market-based by registry.

Location-based (GHG Protocol Scope 2: grid-average factor for where the electricity is used):
the utility's eGRID subregion (from EPA's crosswalks), else its state (EIA-861), else the US.
Each result says which level was used and why.

Market-based: a factor registered for the utility (supplier-specific before residual mix, each
the latest not after the billing year); otherwise the location-based figure, flagged, because
no supplier-specific or residual-mix factor exists (the Guidance's disclosure for that case).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from chaincode.emissions.canonical import decimal_str
from chaincode.emissions.errors import FactorDataError, NoEditionError, UnknownUtilityError
from chaincode.emissions.factors import EmissionRates, FactorEdition, RegionFactor, RegionLevel, ResourceMix
from chaincode.emissions.market import MARKET_KINDS, MarketFactor
from chaincode.emissions.utilities import UtilityRecord

MarketStatus = Literal["supplier-specific", "residual-mix", "location-fallback"]


@dataclass(frozen=True)
class ResolvedFactor:
    """The location-based factor chosen for a utility, and why."""

    edition: str
    level: RegionLevel
    region: str
    region_name: str
    rates: EmissionRates
    mix: ResourceMix
    reason: str
    ambiguous: bool
    candidates: tuple[str, ...]

    @property
    def renewable_share(self) -> Decimal:
        return self.mix.renewable_share

    @property
    def source(self) -> str:
        return f"{self.edition} {self.level} {self.region}"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "edition": self.edition,
            "level": self.level,
            "region": self.region,
            "region_name": self.region_name,
            "rates_lb_per_mwh": self.rates.to_json_dict(),
            "mix": self.mix.to_json_dict(),
            "renewable_share": decimal_str(self.renewable_share),
            "reason": self.reason,
            "ambiguous": self.ambiguous,
            "candidates": list(self.candidates),
        }


@dataclass(frozen=True)
class MarketResolution:
    """The market-based factor, or the flagged location-based fallback."""

    status: MarketStatus
    rates: EmissionRates
    source: str
    reason: str

    @property
    def fallback(self) -> bool:
        """True when no market instrument exists and the location-based figure stands in."""
        return self.status == "location-fallback"

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "fallback": self.fallback,
            "rates_lb_per_mwh": self.rates.to_json_dict(),
            "source": self.source,
            "reason": self.reason,
        }


def select_edition(editions: Iterable[FactorEdition], year: int) -> FactorEdition:
    """The edition for `year`'s data, else the latest earlier one; never a later edition.

    A later edition describes a different grid, so a year before every edition is an error.
    """
    if not isinstance(year, int) or isinstance(year, bool):
        raise NoEditionError(f"year must be an integer, got {year!r}")
    by_year: dict[int, FactorEdition] = {}
    for edition in editions:
        if edition.year in by_year:
            raise FactorDataError(f"two editions for data year {edition.year}: "
                                  f"{by_year[edition.year].edition}, {edition.edition}")
        by_year[edition.year] = edition
    usable = [y for y in by_year if y <= year]
    if not usable:
        available = ", ".join(f"{e.edition} ({y})" for y, e in sorted(by_year.items())) or "none"
        raise NoEditionError(f"no eGRID edition applies to {year}: available editions are {available}")
    return by_year[max(usable)]


def find_utility(utilities: Mapping[int, UtilityRecord], eia_id: int) -> UtilityRecord:
    record = utilities.get(eia_id)
    if record is None:
        raise UnknownUtilityError(f"EIA utility {eia_id} is in neither EIA-861 nor EPA's eGRID crosswalks")
    return record


def _resolved(edition: FactorEdition, level: RegionLevel, region: RegionFactor, reason: str,
              ambiguous: bool = False, candidates: tuple[str, ...] = ()) -> ResolvedFactor:
    return ResolvedFactor(
        edition=edition.edition, level=level, region=region.code, region_name=region.name,
        rates=region.rates, mix=region.mix, reason=reason, ambiguous=ambiguous,
        candidates=candidates or (region.code,),
    )


def resolve_location_factor(edition: FactorEdition, utility: UtilityRecord) -> ResolvedFactor:
    """Subregion, else state, else national factor for `utility` in `edition`."""
    who = f"EIA {utility.eia_id}" + (f" ({utility.name})" if utility.name else "")
    assignment = utility.subregion
    if assignment is not None and assignment.chosen in edition.subregions:
        reason = f"{who} is in subregion {assignment.chosen}: {assignment.basis}"
        if assignment.ambiguous:
            reason += f"; candidates {', '.join(assignment.shortlist)}"
        return _resolved(edition, "subregion", edition.subregions[assignment.chosen], reason,
                         assignment.ambiguous, assignment.shortlist)

    if assignment is None:
        why_not = f"{who} is in no EPA subregion crosswalk"
    else:
        why_not = f"{who}'s crosswalk subregion {assignment.chosen} has no {edition.edition} rate"
    known = [s for s in utility.states if s in edition.states]
    if known:
        source = f"EIA-861 {utility.eia861_year}" if utility.eia861_year else "EIA-861"
        reason = f"{why_not}; {source} places it in {'/'.join(utility.states)}, using state {known[0]}"
        if len(known) > 1:
            reason += " (first of several states with rates)"
        return _resolved(edition, "state", edition.states[known[0]], reason, len(known) > 1, tuple(known))

    if utility.states:
        why_state = f"{edition.edition} has no state rate for {'/'.join(utility.states)}"
    else:
        why_state = "no state is known for it"
    return _resolved(edition, "national", edition.us, f"{why_not}; {why_state}; using the US average")


def resolve_market_factor(
    location: ResolvedFactor,
    utility_id: int,
    year: int,
    registered: Iterable[MarketFactor] = (),
) -> MarketResolution:
    """The market-based factor for `utility_id` in `year`, or the flagged location fallback."""
    usable = [f for f in registered if f.utility_id == utility_id and f.year <= year]
    if usable:
        best = min(usable, key=lambda f: (MARKET_KINDS.index(f.kind), -f.year))
        same = [f for f in usable if (f.kind, f.year) == (best.kind, best.year)]
        if len(same) > 1:
            raise FactorDataError(f"two {best.kind} factors registered for EIA {utility_id} in {best.year}")
        vintage = "" if best.year == year else f" (latest registered, from {best.year})"
        return MarketResolution(
            status=best.kind, rates=best.rates, source=best.source,
            reason=f"{best.kind} factor registered for EIA {utility_id}{vintage}",
        )
    return MarketResolution(
        status="location-fallback",
        rates=location.rates,
        source=location.source,
        reason=f"no supplier-specific or residual-mix factor exists for EIA {utility_id} in {year}; "
        f"reporting the location-based {location.level} factor, flagged as such",
    )
