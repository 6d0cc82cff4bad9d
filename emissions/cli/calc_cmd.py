"""`emissions calc`: emissions per billing period of Green Button files (XML or CSV): Scope 2 for
electricity (eGRID, location- and market-based), Scope 1 for natural gas (the GHG Hub fuel edition
the ledger uses). Several files (a customer's electricity and gas bills) give a section each and
a total of both scopes.

A period's year (which picks the eGRID edition and the market factor vintage) is the UTC year
of its midpoint, so a period drawn in local time is not pushed into the neighbouring year by the
time-zone offset, and a December-to-January bill counts in the year holding most of it.

Masses are reported in metric tonnes CO2e (tCO2e), the unit of the demo, the credentials and the
pages; every column and field name says its unit. What the reader assumed about the file (its
notices) is printed under the table and kept per period in the JSON.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
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
from greenbutton import (
    GasPeriodUsage,
    GreenButtonError,
    Notice,
    PeriodUsage,
    UsageDocument,
    delivered_electricity,
    electricity_usage_by_period,
    gas_usage_by_period,
    parse_file,
    read_usage,
)


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


def emissions_json(
    results: list[tuple[UtilityFactors, PeriodEmissions]],
    sources: list[str],
    notices: Sequence[Sequence[Notice]] = (),
) -> dict[str, Any]:
    first = results[0][0]
    notices = list(notices) or [()] * len(results)
    return {
        "utility": utility_json(first.utility),
        "periods": [
            {
                **emissions.to_json_dict(),
                "period_source": source,
                "year": factors.year,
                "location_factor": factors.location.to_json_dict(),
                "market_factor": factors.market.to_json_dict(),
                "notices": [n.to_json() for n in period_notices],
            }
            for (factors, emissions), source, period_notices in zip(results, sources, notices)
        ],
        "totals": {
            "kwh": decimal_str(_total([e.kwh for _, e in results])),
            "location_co2e_t": decimal_str(_total([e.location.masses.co2e_t for _, e in results])),
            "market_co2e_t": decimal_str(_total([e.market.masses.co2e_t for _, e in results])),
            "note": "sums of the rounded per-period figures",
        },
    }


def print_emissions_table(
    results: list[tuple[UtilityFactors, PeriodEmissions]], notices: Sequence[Sequence[Notice]] = ()
) -> None:
    first = results[0][0]
    print(f"utility   {describe_utility(first.utility)}")
    for factors in {f.location.source: f for f, _ in results}.values():
        print(f"location  {factors.location.source}: {factors.location.reason}")
    for factors in {f.market.source + f.market.status: f for f, _ in results}.values():
        market = factors.market
        flag = " [location-based fallback: no supplier-specific or residual-mix factor]" if market.fallback else ""
        print(f"market    {market.status} {market.source}{flag}")
    header = ("period start (UTC)", "end (UTC)", "kWh", "location tCO2e", "market tCO2e", "factor")
    rows = [
        (
            f"{e.start:%Y-%m-%d %H:%M}", f"{e.end:%Y-%m-%d %H:%M}", decimal_str(e.kwh),
            decimal_str(e.location.masses.co2e_t), decimal_str(e.market.masses.co2e_t),
            f"{f.location.edition} {f.location.level} {f.location.region}",
        )
        for f, e in results
    ]
    rows.append((
        "total", "", decimal_str(_total([e.kwh for _, e in results])),
        decimal_str(_total([e.location.masses.co2e_t for _, e in results])),
        decimal_str(_total([e.market.masses.co2e_t for _, e in results])), "",
    ))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4}
    for row in [header, *rows]:
        print("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    seen: dict[str, None] = {}
    for period_notices in notices:
        seen.update((str(n), None) for n in period_notices)
    for text in seen:
        print(f"note: {text}")


def _read(path: Path) -> UsageDocument:
    try:
        return read_usage(path.read_bytes())[1]
    except (GreenButtonError, OSError) as exc:
        raise CliError(f"{path}: {exc}") from exc


def gas_emissions(periods: Sequence[GasPeriodUsage]) -> list[dict[str, Any]]:
    """Scope 1 per period with the shipped fuel edition, as the ledger computes it."""
    from chaincode.emissions.combustion import calculate_combustion
    from chaincode.emissions.shipped import load_fuel_editions
    from controllers.ledger import fuel_unit

    edition = load_fuel_editions()[-1]
    results = []
    for period in periods:
        try:
            burned = calculate_combustion(period.quantity, fuel_unit(period.unit), "natural_gas", edition,
                                          start=period.start, end=period.end)
        except ValueError as exc:  # an EmissionsError, or a unit without a fuel factor
            raise CliError(f"period {period.start:%Y-%m-%d}: {exc}") from exc
        results.append({**burned.to_json_dict(), "period_source": period.source,
                        "notices": [n.to_json() for n in period.notices]})
    return results


def gas_json(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"scope": 1, "fuel": "natural_gas", "periods": results,
            "totals": {"co2e_t": decimal_str(_total([Decimal(r["emissions"]["co2e_t"]) for r in results])),
                       "note": "sums of the rounded per-period figures"}}


def print_gas_table(results: list[dict[str, Any]]) -> None:
    first = results[0]
    print(f"scope 1   natural gas, {first['factor']['edition']} factors per mmBtu, GWP {first['gwp']['name']}")
    header = ("period start (UTC)", "end (UTC)", "gas", "unit", "mmBtu", "tCO2e")
    rows = [(r["start"][:16].replace("T", " "), r["end"][:16].replace("T", " "), r["quantity"], r["unit"], r["mmbtu"],
             r["emissions"]["co2e_t"]) for r in results]
    rows.append(("total", "", "", "", "", gas_json(results)["totals"]["co2e_t"]))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {2, 4, 5}
    for row in [header, *rows]:
        print("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    seen = {n["message"]: None for r in results for n in r["notices"]}
    for text in seen:
        print(f"note: {text}")


def _one_file(args: argparse.Namespace, path: Path) -> tuple[dict[str, Any], Decimal, Callable[[], None]]:
    """One bill's JSON document, its tCO2e (Scope 1, or Scope 2 location-based) and how to print it."""
    document = _read(path)
    if not delivered_electricity(document):
        try:
            gas = gas_usage_by_period(document)
        except GreenButtonError as exc:
            raise CliError(f"{path}: no delivered electricity, and {exc}") from exc
        results = gas_emissions(gas)
        payload = gas_json(results)
        return payload, Decimal(payload["totals"]["co2e_t"]), lambda: print_gas_table(results)
    if args.utility is None:
        raise CliError(f"{path} is an electricity bill: --utility EIA_ID is needed for its eGRID factors")
    try:
        periods = electricity_usage_by_period(document)
    except GreenButtonError as exc:
        raise CliError(f"{path}: {exc}") from exc
    results = calculate(args.utility, periods, load_market_factors(args.market_factors), hourly=args.hourly)
    notices = [p.notices for p in periods]
    payload = emissions_json(results, [p.source for p in periods], notices)
    return payload, Decimal(payload["totals"]["location_co2e_t"]), lambda: print_emissions_table(results, notices)


def _calc(args: argparse.Namespace) -> int:
    bills = [(path, *_one_file(args, path)) for path in args.files]
    if len(bills) == 1:
        payload, _, show = bills[0][1:]
        if args.json:
            print(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False))
        else:
            show()
        return 0
    total = decimal_str(_total([co2e for _, _, co2e, _ in bills]))
    if args.json:
        print(json.dumps({"bills": [{"file": str(path), **payload} for path, payload, _, _ in bills],
                          "total_co2e_t": total, "note": "Scope 1 plus Scope 2 location-based"},
                         indent=2, sort_keys=True, ensure_ascii=False))
        return 0
    for path, _, _, show in bills:
        print(f"== {path}")
        show()
        print()
    print(f"total tCO2e, Scope 1 + Scope 2 location-based: {total}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calc",
        help="tCO2e per billing period of Green Button files: electricity (Scope 2) and natural gas (Scope 1)",
        description="Emissions per billing period (or calendar month): Scope 2 location- and market-based for an "
                    "electricity bill, Scope 1 for a natural gas bill; with several files, a total of both scopes.",
    )
    parser.add_argument("--utility", type=int, metavar="EIA_ID",
                        help="EIA-861 utility number (needed for electricity bills: it picks the eGRID factors)")
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE", help="Green Button XML or CSV file(s)")
    parser.add_argument("--market-factors", type=Path, metavar="FILE",
                        help="JSON list of registered market-based factors")
    parser.add_argument("--hourly", action="store_true", help="with --json, include per-hour figures")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=_calc)
