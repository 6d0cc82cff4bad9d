"""`emissions`: the project's command line.

Each command group lives in its own module under emissions/cli/ and exposes
`register(subparsers)`; this module only wires them together and turns errors into one readable
line (the traceback is behind `--debug`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from emissions.cli.errors import CliError

__all__ = ["CliError", "build_parser", "main"]

# Command modules, in the order `emissions --help` lists them. A module that is missing is a bug,
# so there is no try/except around the import.
COMMAND_MODULES = (
    "emissions.cli.demo_cmd",
    "emissions.cli.greenbutton_cmd",
    "emissions.cli.factors_cmd",
    "emissions.cli.calc_cmd",
    "emissions.cli.crypto_cmd",
    "emissions.cli.chaincode_cmd",
    "emissions.cli.devpeer_cmd",
    "emissions.cli.ledger_cmd",
    "emissions.cli.network_cmd",
    "emissions.cli.agents_cmd",
    "emissions.cli.up_cmd",
    "emissions.cli.auditor_cmd",
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the arguments, with only the command they name.

    Command modules import what their commands need (ACA-Py clients, the ledger, aiohttp), so a
    small command such as `emissions greenbutton summarize` loads only its own module.
    """
    parser = argparse.ArgumentParser(
        prog="emissions",
        description="Audited Scope 2 emissions for purchased electricity, anchored on Hyperledger Fabric.",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _modules_for(argv):
        importlib.import_module(name).register(subparsers)
    return parser


def _modules_for(argv: Sequence[str] | None) -> Sequence[str]:
    command = next((arg for arg in argv or () if not arg.startswith("-")), None)
    module = f"emissions.cli.{command}_cmd"
    # No command, or an unknown one: all of them, for the help text or argparse's "invalid choice".
    return (module,) if module in COMMAND_MODULES else COMMAND_MODULES


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except KeyboardInterrupt:
        print("emissions: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI's one place that turns errors into a line
        if args.debug:
            traceback.print_exc()
        message = str(exc) or type(exc).__name__
        print(f"emissions: error: {message}", file=sys.stderr)
        if not args.debug and not isinstance(exc, CliError):
            print("emissions: run with --debug for details", file=sys.stderr)
        return 1
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
