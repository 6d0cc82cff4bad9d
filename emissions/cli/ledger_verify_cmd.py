"""`emissions ledger verify`: check a dev peer's ledger on disk, as the dev peer does at every start.

Offline: it reads the SQLite file read-only, so it needs no profile or gateway and may run beside a
peer that is serving the same ledger.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from emissions.cli.errors import CliError


def _run(args: argparse.Namespace) -> int:
    from network.devpeer import ConfigError, load_config
    from network.devpeer.integrity import ProgressLine
    from network.devpeer.ledger import LedgerError, verify_ledger_file

    try:
        data_dir = args.data_dir if args.config is None else load_config(args.config).data_dir
        blocks = verify_ledger_file(data_dir / "ledger.sqlite", progress=ProgressLine("checking the ledger"))
    except (ConfigError, LedgerError) as exc:
        raise CliError(str(exc)) from None
    print(f"ledger OK: {blocks} blocks, chain, data hashes and transaction filters verified")
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    verify = commands.add_parser(
        "verify", help="check a dev peer ledger on disk: chain, data hashes, transaction filters (offline, "
                       "no --profile; exit 1 when corrupt)",
        description="Check every block of a dev peer's ledger: numbering, links, data hashes, stored header "
                    "hashes, and each transaction filter against the transaction index. Reads the SQLite file "
                    "read-only; needs no --profile or gateway, and may run while the dev peer serves it.")
    where = verify.add_mutually_exclusive_group(required=True)
    where.add_argument("--data-dir", type=Path, metavar="DIR",
                       help="the dev peer's data directory (its config's data_dir, holding ledger.sqlite)")
    where.add_argument("--config", type=Path, metavar="FILE", help="the dev peer's TOML config; its data_dir is checked")
    verify.set_defaults(handler=_run)
