"""`emissions demo`: the mission end to end on the embedded stack, with one command.

Starts the dev peer (persistent ledger under the data directory), or with `--ledger fabric` a real
Fabric network (`emissions network up`, reused when it is already running), the four ACA-Py agents
and the controllers; prepares the ledger (governance, eGRID factors, two registered auditors); onboards N
customers at the utility; runs consent, bill access, calculation, anchoring, issuance and
verification for each; prints one row per credential. Exit status 0 only if every credential
verified. Progress goes to stderr, the table (or `--json`) to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import aiohttp
from pathlib import Path

from emissions.cli.errors import CliError

PG_AND_E = 14328
LEDGER_HELP = ("the ledger: devpeer (default; the dev peer under the data directory, stopped with the stack) or "
               "fabric (a real Fabric network, `emissions network up` in --fabric-data: a network already running is "
               "used and left running; one the stack had to start is stopped with the stack)")


def add_ledger_arguments(parser: argparse.ArgumentParser) -> None:
    """--ledger and the Fabric network's options (shared by `demo` and `up`)."""
    parser.add_argument("--ledger", choices=("devpeer", "fabric"), default="devpeer", help=LEDGER_HELP)
    parser.add_argument("--fabric-data", type=Path, metavar="DIR",
                        help="with --ledger fabric: the network's folder (default <data-dir>/fabric)")
    parser.add_argument("--fabric-bin", metavar="DIR",
                        help="with --ledger fabric: Fabric's bin/ folder "
                             "(default: $FABRIC_BIN, else ../shared/fabric/bin)")
    parser.add_argument("--fabric-base-port", type=int, metavar="N",
                        help="with --ledger fabric: first of the network's 80 ports when it is created (default 7050)")


def ledger_choice(args: argparse.Namespace):
    """The StackConfig.ledger the options ask for."""
    from emissions.stack.backends import DevPeerLedger, FabricLedger

    fabric_options = {"--fabric-data": args.fabric_data, "--fabric-bin": args.fabric_bin,
                      "--fabric-base-port": args.fabric_base_port}
    if args.ledger == "fabric":
        return FabricLedger(args.fabric_data, args.fabric_bin, args.fabric_base_port)
    given = [name for name, value in fabric_options.items() if value is not None]
    if given:
        raise CliError(f"{', '.join(given)}: needs --ledger fabric")
    return DevPeerLedger()


def _say(text: str) -> None:
    print(f"[demo] {text}", file=sys.stderr, flush=True)


def print_table(rows) -> None:
    headers = ("customer", "period", "scope", "usage", "tCO2e (scope 1, or 2 location)", "tCO2e (2 market)",
               "record id", "verified")
    cells = [(r.customer, f"{r.period_start}..{r.period_end}", str(r.scope), r.usage, r.tco2e, r.market_tco2e,
              r.record_id[:16] + "…", "yes" if r.verified else "NO") for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    right = {3, 4, 5}
    line = lambda values: "  ".join(v.rjust(w) if i in right else v.ljust(w)  # noqa: E731
                                    for i, (v, w) in enumerate(zip(values, widths)))
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print(line(c))


async def _run(args: argparse.Namespace) -> int:
    from emissions.stack import EmbeddedStack, StackConfig, run_demo

    stack = EmbeddedStack(StackConfig(args.data_dir, base_port=args.base_port, utility_id=args.utility,
                                       auto_share_emissions=True,  # the demo's people agreed up front
                                       signups_per_minute=max(30, args.customers), ledger=ledger_choice(args),
                                       say=_say))
    await stack.start()
    try:
        async with aiohttp.ClientSession() as http:
            report = await run_demo(stack.client(http), args.customers, gas=args.gas, say=_say)
        where = {"wallet_pages": f"{stack.wallet_url}/credentials", "verifier_page": stack.verifier_url + "/",
                 "data_dir": str(stack.data_dir), "ledger": str(stack.ledger_access.data)}
    finally:
        await stack.stop()
    verified = sum(r.verified for r in report.rows)
    if args.json:
        print(json.dumps({
            "ok": report.ok, "credentials": len(report.rows), "verified": verified, "failed": report.failed,
            "bills_decrypted_by_customer": report.bills_checked, "phases": report.phases,
            "seconds": round(report.seconds, 3), "verified_per_second": round(report.verified_per_second, 2),
            "stages": report.stages, "where": where,
            "rows": [{**vars(r), "reasons": list(r.reasons)} for r in report.rows],
        }, indent=2))
    else:
        print()
        print_table(report.rows)
        print(f"\n{verified} of {len(report.rows)} credentials verified against the ledger "
              f"in {report.seconds:.1f} s ({report.verified_per_second:.1f}/s)")
        print(f"{report.bills_checked} bill(s) fetched from the content store, decrypted by the customer's wallet key, "
              f"SHA-256 equal to the credential's billSha256")
        for customer, reason in sorted(report.failed.items()):
            print(f"{customer}: FAILED: {reason}")
        for row in report.rows:
            if not row.verified:
                print(f"{row.customer} {row.period_start}: not verified: {'; '.join(row.reasons)}")
        print(f"\nwallet pages (while `emissions up` runs): {where['wallet_pages']}")
        print(f"verifier page (while `emissions up` runs): {where['verifier_page']}")
        print(f"data directory: {where['data_dir']} (ledger: {where['ledger']})")
    return 0 if report.ok else 1


def _demo(args: argparse.Namespace) -> int:
    from chaincode.emissions.shipped import load_utilities

    if args.customers < 1:
        raise CliError("--customers must be at least 1")
    if not 0 <= args.gas <= args.customers:
        raise CliError("--gas must be from 0 to --customers")
    if args.utility not in load_utilities():
        raise CliError(f"EIA utility {args.utility} is not in the eGRID utility map; try 14328 (PG&E)")
    ledger_choice(args)  # option errors before anything starts
    return asyncio.run(_run(args))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the whole mission end to end on the embedded stack (dev peer, or --ledger fabric)",
        description="Onboard customers, consent, fetch bills, anchor emissions on the ledger, issue and verify "
                    "credentials; exit 0 only if every credential verified.",
    )
    parser.add_argument("--customers", type=int, default=3, metavar="N", help="customers to onboard (default 3)")
    parser.add_argument("--gas", type=int, default=1, metavar="N",
                        help="how many of them also have a natural gas account: Scope 1 credentials (default 1)")
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"), help="where everything persists (default data/demo)")
    parser.add_argument("--base-port", type=int, default=8020, help="first of the stack's loopback ports (default 8020)")
    parser.add_argument("--utility", type=int, default=PG_AND_E, metavar="EIA_ID",
                        help=f"EIA-861 utility number (default {PG_AND_E}, Pacific Gas & Electric)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    add_ledger_arguments(parser)
    parser.set_defaults(handler=_demo)
