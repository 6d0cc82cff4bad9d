"""`emissions calc`: Scope 2 emissions per billing period of a Green Button file.

A period's year (which picks the eGRID edition and the market factor vintage) is the UTC year
of its midpoint, so a period drawn in local time is not pushed into the neighbouring year by the
time-zone offset, and a December-to-January bill counts in the year holding most of it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from chaincode.emissions.calculation import PeriodEmissions, calculate_period
from chaincode.emissions.canonical import decimal_str
from chaincode.emissions.errors import EmissionsError
from chaincode.emissions.market import MarketFactor
from chaincode.emissions.rounding import exact
from emissions.cli.factors_cmd import (
    UtilityFactors,
    describe_utility,
    load_market_factors,
    resolve,
    utility_json,
)
from emissions.cli.errors import CliError
from greenbutton import GreenButtonError, PeriodUsage, electricity_usage_by_period, parse_file


def period_year(period: PeriodUsage) -> int:
    return (period.start + (period.end - period.start) / 2).year


def read_periods(path: Path) -> list[PeriodUsage]:
    try:
        periods = electricity_usage_by_period(parse_file(path))
    except (GreenButtonError, OSError) as exc:
        raise CliError(f"{path}: {exc}") from exc
    if not periods:
        raise CliError(f"{path}: no delivered electricity falls in any billing period")
    return periods


def calculate(
    utility_id: int,
    periods: Sequence[PeriodUsage],
    market_factors: Sequence[MarketFactor] = (),
    *,
    hourly: bool = False,
) -> list[tuple[UtilityFactors, PeriodEmissions]]:
    """Emissions per period, each with the factors of its own year."""
    results = []
    for period in periods:
        factors = resolve(utility_id, period_year(period), market_factors)
        try:
            emissions = calculate_period(
                period.kwh, factors.location, factors.market,
                start=period.start, end=period.end,
                hourly_kwh=period.hourly_kwh if hourly else (),
            )
        except EmissionsError as exc:
            raise CliError(f"period {period.start:%Y-%m-%d}: {exc}") from exc
        results.append((factors, emissions))
    return results


def _total(values: Sequence[Decimal]) -> Decimal:
    ctx = exact()
    total = Decimal(0)
    for value in values:
        total = ctx.add(total, value)
    return total


def emissions_json(results: list[tuple[UtilityFactors, PeriodEmissions]], sources: list[str]) -> dict[str, Any]:
    first = results[0][0]
    return {
        "utility": utility_json(first.utility),
        "periods": [
            {
                **emissions.to_json_dict(),
                "period_source": source,
                "year": factors.year,
                "location_factor": factors.location.to_json_dict(),
                "market_factor": factors.market.to_json_dict(),
            }
            for (factors, emissions), source in zip(results, sources)
        ],
        "totals": {
            "kwh": decimal_str(_total([e.kwh for _, e in results])),
            "location_co2e_kg": decimal_str(_total([e.location.masses.co2e_kg for _, e in results])),
            "market_co2e_kg": decimal_str(_total([e.market.masses.co2e_kg for _, e in results])),
            "note": "sums of the rounded per-period figures",
        },
    }


def print_emissions_table(results: list[tuple[UtilityFactors, PeriodEmissions]]) -> None:
    first = results[0][0]
    print(f"utility   {describe_utility(first.utility)}")
    for factors in {f.location.source: f for f, _ in results}.values():
        print(f"location  {factors.location.source}: {factors.location.reason}")
    for factors in {f.market.source + f.market.status: f for f, _ in results}.values():
        market = factors.market
        flag = " [location-based fallback: no supplier-specific or residual-mix factor]" if market.fallback else ""
        print(f"market    {market.status} {market.source}{flag}")
    header = ("period start (UTC)", "end (UTC)", "kWh", "location kg CO2e", "market kg CO2e", "factor")
    rows = [
        (
            f"{e.start:%Y-%m-%d %H:%M}", f"{e.end:%Y-%m-%d %H:%M}", decimal_str(e.kwh),
            decimal_str(e.location.masses.co2e_kg), decimal_str(e.market.masses.co2e_kg),
            f"{f.location.edition} {f.location.level} {f.location.region}",
        )
        for f, e in results
    ]
    rows.append((
        "total", "", decimal_str(_total([e.kwh for _, e in results])),
        decimal_str(_total([e.location.masses.co2e_kg for _, e in results])),
        decimal_str(_total([e.market.masses.co2e_kg for _, e in results])), "",
    ))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4}
    for row in [header, *rows]:
        print("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())


def _calc(args: argparse.Namespace) -> int:
    periods = read_periods(args.file)
    results = calculate(args.utility, periods, load_market_factors(args.market_factors), hourly=args.hourly)
    if args.json:
        document = emissions_json(results, [p.source for p in periods])
        print(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print_emissions_table(results)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calc",
        help="kWh and CO2e per billing period of a Green Button file",
        description="Scope 2 emissions per billing period (or calendar month), location- and market-based.",
    )
    parser.add_argument("--utility", type=int, required=True, metavar="EIA_ID", help="EIA-861 utility number")
    parser.add_argument("file", type=Path, metavar="FILE", help="Green Button (ESPI) XML file")
    parser.add_argument("--market-factors", type=Path, metavar="FILE",
                        help="JSON list of registered market-based factors")
    parser.add_argument("--hourly", action="store_true", help="with --json, include per-hour figures")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=_calc)
