"""`emissions auditor serve --config FILE`: the auditor's service as a process of its own."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from emissions.cli.errors import CliError


def _serve(args: argparse.Namespace) -> int:
    from controllers.ledger import ProfileError
    from emissions.services.auditor import ServiceConfigError, load_service_config, serve_auditor

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = load_service_config(args.config)
        asyncio.run(serve_auditor(config, ready_file=args.ready_file))
    except (ServiceConfigError, ProfileError, OSError) as exc:
        raise CliError(f"auditor: {exc}") from exc
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "auditor",
        help="run the auditor's service on its own (webhooks, operator API and page)",
        description="The auditor's audit pipeline as a process of its own; see emissions/services/auditor.py "
                    "for the config file.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve until interrupted")
    serve.add_argument("--config", required=True, type=Path, help="the auditor service's TOML config")
    serve.add_argument("--ready-file", type=Path, help="write host:port here once serving")
    serve.add_argument("-v", "--verbose", action="store_true", help="log each audit step")
    serve.set_defaults(handler=_serve)
