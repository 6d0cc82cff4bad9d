"""`emissions greenbutton`: summarize a Green Button (ESPI) file, or generate one."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from emissions.cli.errors import CliError
from greenbutton import (
    DEFAULT_MAX_BYTES,
    GreenButtonError,
    parse_file,
    summary,
    write_feed,
)
from greenbutton.generator import COMMODITIES, ESPI_VERSIONS, GAS_UNITS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("greenbutton", help="read or generate Green Button (ESPI) usage files")
    commands = parser.add_subparsers(dest="greenbutton_command", metavar="SUBCOMMAND", required=True)

    summarize = commands.add_parser("summarize", help="totals per reading type and flow")
    summarize.add_argument("file", metavar="FILE")
    summarize.add_argument("--json", action="store_true", help="print JSON instead of a table")
    summarize.add_argument("--net", action="store_true", help="also report delivered minus exported")
    summarize.add_argument(
        "--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help=f"refuse larger files (default {DEFAULT_MAX_BYTES})"
    )
    summarize.set_defaults(handler=_summarize)

    generate = commands.add_parser("generate", help="write a synthetic, schema-valid ESPI feed")
    generate.add_argument("--out", required=True, metavar="FILE")
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--start", type=_date, default=date(2024, 1, 1), metavar="YYYY-MM-DD")
    generate.add_argument("--days", type=int, default=366)
    generate.add_argument("--interval", type=int, default=3600, metavar="SECONDS")
    generate.add_argument("--espi-version", choices=ESPI_VERSIONS, default="1")
    generate.add_argument("--tz", default="America/Los_Angeles")
    generate.add_argument("--no-costs", action="store_true")
    generate.add_argument("--no-summaries", action="store_true")
    generate.add_argument("--commodity", choices=COMMODITIES, default="electricity")
    generate.add_argument("--gas-unit", choices=GAS_UNITS, default="therm", help="with --commodity gas")
    generate.set_defaults(handler=_generate)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _summarize(args: argparse.Namespace) -> int:
    try:
        doc = parse_file(args.file, max_bytes=args.max_bytes)
    except GreenButtonError as exc:
        raise CliError(f"{args.file}: {exc}") from exc
    except OSError as exc:
        raise CliError(f"{args.file}: {exc.strerror or exc}") from exc
    data = summary(doc, net=args.net)
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_summary_table(data)
    return 0


def print_summary_table(data: dict) -> None:
    print(f"{'commodity':<12} {'flow':<8} {'accumulation':<13} {'total':>14} {'unit':<6} {'readings':>8}  period")
    for s in data["series"]:
        total = "-" if s["total"] is None else f"{s['total']}"
        print(
            f"{s['commodity']:<12} {s['flow']:<8} {s['accumulation']:<13} {total:>14} {s['unit']:<6} "
            f"{s['readings']:>8}  {s['start']} .. {s['end']}"
        )
        extras = [f"{s[k]} {k}" for k in ("duplicates", "gaps", "overlaps") if s[k]]
        if "cost" in s:
            extras.append(f"cost {s['cost']} {s['currency'] or ''}".rstrip())
        if extras:
            print(f"{'':<12} " + ", ".join(extras))
    for p in data.get("billing_periods", []):
        consumption = f"{p['consumption']} {p['unit']}" if "consumption" in p else ""
        bill = f"bill {p['bill']} {p['currency'] or ''}".rstrip() if "bill" in p else ""
        print(f"billing period {p['start']} .. {p['end']}  {consumption}  {bill}".rstrip())
    for n in data.get("net", []):
        print(f"net {n['commodity']} {n['net']} {n['unit']} (delivered {n['delivered']}, exported {n['exported']})")
    for notice in data.get("notices", []):
        where = f"{notice['element']} (line {notice['line']}): " if notice["element"] and notice["line"] else ""
        print(f"note: {where}{notice['message']}")


def _generate(args: argparse.Namespace) -> int:
    try:
        size = write_feed(
            args.out,
            seed=args.seed,
            start=args.start,
            days=args.days,
            interval_seconds=args.interval,
            espi_version=args.espi_version,
            with_costs=not args.no_costs,
            with_summaries=not args.no_summaries,
            tz=args.tz,
            commodity=args.commodity,
            gas_unit=args.gas_unit,
        )
    except GreenButtonError as exc:
        raise CliError(str(exc)) from exc
    except OSError as exc:
        raise CliError(f"{args.out}: {exc.strerror or exc}") from exc
    print(f"wrote {args.out} ({size} bytes)", file=sys.stderr)
    return 0
