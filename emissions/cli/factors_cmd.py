"""`emissions factors lookup`: the eGRID factor for a utility, and how it was chosen."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from chaincode.emissions import shipped
from chaincode.emissions.errors import EmissionsError
from chaincode.emissions.factors import FactorEdition
from chaincode.emissions.lookup import (
    MarketResolution,
    ResolvedFactor,
    find_utility,
    resolve_location_factor,
    resolve_market_factor,
    select_edition,
)
from chaincode.emissions.market import MarketFactor
from chaincode.emissions.rounding import round_kg_per_kwh
from chaincode.emissions.units import lb_per_mwh_to_kg_per_kwh
from chaincode.emissions.utilities import UtilityRecord
from emissions.cli.errors import CliError


@dataclass(frozen=True)
class UtilityFactors:
    """Everything the CLI reports about one utility in one year."""

    utility: UtilityRecord
    year: int
    edition: FactorEdition
    location: ResolvedFactor
    market: MarketResolution


def resolve(utility_id: int, year: int, market_factors: Sequence[MarketFactor] = ()) -> UtilityFactors:
    """Shipped data -> edition, location- and market-based factors; errors as CliError."""
    try:
        utility = find_utility(shipped.load_utilities(), utility_id)
        edition = select_edition(shipped.load_editions(), year)
        location = resolve_location_factor(edition, utility)
        market = resolve_market_factor(location, utility_id, year, market_factors)
    except EmissionsError as exc:
        raise CliError(str(exc)) from exc
    return UtilityFactors(utility, year, edition, location, market)


def load_market_factors(path: Path | None) -> tuple[MarketFactor, ...]:
    """A JSON list of market factors (MarketFactor.to_json_dict form), or none."""
    if path is None:
        return ()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CliError(f"market factors {path}: {exc}") from exc
    if not isinstance(document, list):
        raise CliError(f"market factors {path}: expected a JSON list of factors")
    try:
        return tuple(MarketFactor.from_json_dict(item) for item in document)
    except EmissionsError as exc:
        raise CliError(f"market factors {path}: {exc}") from exc


def utility_json(utility: UtilityRecord) -> dict[str, Any]:
    return {"eia_id": utility.eia_id, **utility.to_json_dict()}


def describe_utility(utility: UtilityRecord) -> str:
    parts = [utility.name or "(name not in EIA-861)", f"EIA {utility.eia_id}"]
    if utility.states:
        parts.append("/".join(utility.states))
    if utility.nerc_region:
        parts.append(f"NERC {utility.nerc_region}")
    return ", ".join(parts)


def describe_market(market: MarketResolution) -> str:
    if market.fallback:
        return f"location-based figure, flagged ({market.reason})"
    return f"{market.status}: {market.source} ({market.reason})"


def percent(fraction: Decimal) -> str:
    return f"{fraction.scaleb(2).normalize():f} %"


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise argparse.ArgumentTypeError(f"year must be four digits, got {text!r}")
    return int(text)


def _lookup(args: argparse.Namespace) -> int:
    year = args.year if args.year is not None else shipped.load_editions()[-1].year
    found = resolve(args.utility, year, load_market_factors(args.market_factors))
    if args.json:
        document = {
            "utility": utility_json(found.utility),
            "year": year,
            "edition": {
                "edition": found.edition.edition,
                "year": found.edition.year,
                "published": found.edition.published,
                "source": found.edition.source,
            },
            "location": found.location.to_json_dict(),
            "market": found.market.to_json_dict(),
        }
        print(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
        return 0

    loc = found.location
    rates = loc.rates
    kg_per_kwh = round_kg_per_kwh(lb_per_mwh_to_kg_per_kwh(rates.co2e))
    rows = [
        ("utility", describe_utility(found.utility)),
        ("edition", f"{found.edition.edition} (data year {found.edition.year}, published "
                    f"{found.edition.published}) for {year}"),
        ("level", f"{loc.level}: {loc.region} ({loc.region_name})"),
        ("why", loc.reason),
        ("rates lb/MWh", f"CO2 {rates.co2}  CH4 {rates.ch4}  N2O {rates.n2o}  CO2e {rates.co2e}"),
        ("CO2e kg/kWh", f"{kg_per_kwh}"),
        ("renewable share", f"{percent(loc.renewable_share)} of generation "
                            "(hydro, biomass, wind, solar, geothermal; nuclear not counted)"),
        ("market-based", describe_market(found.market)),
        ("ambiguity", f"yes: candidates {', '.join(loc.candidates)}" if loc.ambiguous else "none"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("factors", help="eGRID emission factors for a utility")
    commands = parser.add_subparsers(dest="factors_command", metavar="SUBCOMMAND", required=True)
    lookup = commands.add_parser(
        "lookup",
        help="the location- and market-based factor for a utility, and how it was chosen",
        description="Resolve the eGRID factor for an EIA utility number: subregion, else state, else US.",
    )
    lookup.add_argument("--utility", type=int, required=True, metavar="EIA_ID", help="EIA-861 utility number")
    lookup.add_argument("--year", type=_year, metavar="YYYY",
                        help="year of use; picks that eGRID edition or the latest earlier one (default: latest)")
    lookup.add_argument("--market-factors", type=Path, metavar="FILE",
                        help="JSON list of registered market-based factors")
    lookup.add_argument("--json", action="store_true", help="print JSON instead of a table")
    lookup.set_defaults(handler=_lookup)
