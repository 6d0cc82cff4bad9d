"""`emissions chaincode serve`: run a chaincode as a service (CCaaS) for Fabric peers to dial.

The flags and the serve loop are chaincode.serve's, which the chaincode image runs on its own
(`python -m chaincode.serve`), so the two are interchangeable next to a peer.
"""

from __future__ import annotations

import argparse

from chaincode.serve import UsageError, add_arguments, serve_from_args
from emissions.cli.errors import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chaincode", help="run the Python chaincode as a service for Fabric peers")
    commands = parser.add_subparsers(dest="chaincode_command", metavar="SUBCOMMAND", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a chaincode over the chaincode shim protocol (chaincode-as-a-service)",
        description="Listen for peers on --address and serve --chaincode to them as package --id.",
    )
    add_arguments(serve)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    try:
        serve_from_args(args)
    except UsageError as exc:
        raise CliError(str(exc)) from None
    return 0
