"""`emissions devpeer --config FILE`: serve the Fabric-compatible dev peer until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from emissions.cli.errors import CliError


def _run(args: argparse.Namespace) -> int:
    from network.devpeer import ConfigError, load_config, run_devpeer
    from network.devpeer.collections import CollectionsError
    from network.devpeer.ledger import LedgerError
    from network.devpeer.policy import PolicyError
    from network.msp import MspError

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
        asyncio.run(run_devpeer(config, ready_file=args.ready_file))
    except (ConfigError, CollectionsError, PolicyError, MspError, LedgerError, OSError) as exc:
        raise CliError(f"devpeer: {exc}") from exc
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "devpeer",
        help="run the single-process Fabric dev peer (Gateway service, SQLite ledger)",
        description="Serve gateway.Gateway for one channel, endorsing for every configured org. The ledger's "
                    "whole chain is checked first; a corrupt one is refused (see `emissions ledger verify`).",
    )
    parser.add_argument("--config", required=True, type=Path, help="the dev peer TOML config")
    parser.add_argument("--ready-file", type=Path, help="write host:port here once listening")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every block and invalid transaction")
    parser.set_defaults(handler=_run)
