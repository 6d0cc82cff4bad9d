"""`emissions demo`: the main job on the embedded default, end to end as far as the project goes.

Today: a customer's year of Green Button data is generated (as the utility would serve it), read
back with the project's parser, and turned into Scope 2 emissions per billing month with the
eGRID factors, location- and market-based. Each later stage of the project (ledger, agents,
credentials) adds its step here, so a newcomer always sees the whole system with one command.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from controllers.cli.calc_cmd import calculate, emissions_json, print_emissions_table, read_periods
from controllers.cli.greenbutton_cmd import print_summary_table
from controllers.greenbutton import parse_file, summary, write_feed

PG_AND_E = 14328


def _step(number: int, total: int, text: str) -> None:
    print(f"[{number}/{total}] {text}", file=sys.stderr, flush=True)


def _demo(args: argparse.Namespace) -> int:
    data_dir: Path = args.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    feed = data_dir / f"greenbutton-seed{args.seed}-{args.year}.xml"

    _step(1, 3, f"utility: generating a year of hourly Green Button data -> {feed}")
    write_feed(feed, seed=args.seed, start=date(args.year, 1, 1),
               days=(date(args.year + 1, 1, 1) - date(args.year, 1, 1)).days, interval_seconds=3600)

    _step(2, 3, "auditor: parsing the feed")
    usage = summary(parse_file(feed))

    _step(3, 3, f"auditor: Scope 2 emissions per billing period for EIA utility {args.utility}")
    periods = read_periods(feed)
    results = calculate(args.utility, periods)

    if args.json:
        document = {
            "feed": str(feed),
            "usage": usage,
            "emissions": emissions_json(results, [p.source for p in periods]),
        }
        print(json.dumps(document, indent=2, sort_keys=True, default=str))
        return 0
    print()
    print_summary_table(usage)
    print()
    print_emissions_table(results)
    print(f"\ndata directory: {data_dir.resolve()}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the main job on the embedded default",
        description="Generate a customer's Green Button year, read it, and compute its Scope 2 emissions.",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"), help="where files go (default data/demo)")
    parser.add_argument("--utility", type=int, default=PG_AND_E, metavar="EIA_ID",
                        help=f"EIA-861 utility number (default {PG_AND_E}, Pacific Gas & Electric)")
    parser.add_argument("--year", type=int, default=2023, help="billing year (default 2023)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated customer data")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.set_defaults(handler=_demo)
