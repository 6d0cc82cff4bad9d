"""`emissions crypto`: crypto material (MSP folders, TLS certificates) for the Fabric network."""

from __future__ import annotations

import argparse
from pathlib import Path

from emissions.cli.errors import CliError
from network.msp import DEFAULT_CONFIG_PATH, MspError, generate_crypto_material, load_crypto_config


def register(subparsers) -> None:
    parser = subparsers.add_parser("crypto", help="generate Fabric crypto material (cryptogen layout)")
    commands = parser.add_subparsers(dest="crypto_command", metavar="SUBCOMMAND", required=True)
    generate = commands.add_parser(
        "generate",
        help="write CA, MSP and TLS material for every organisation; existing keys are kept",
        description="Write peerOrganizations/ and ordererOrganizations/ as cryptogen does. "
        "Re-running keeps existing keys and still-valid certificates unless --force.",
    )
    generate.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH, help="crypto config TOML (default: %(default)s)")
    generate.add_argument("--out", type=Path, default=Path("var/crypto"), help="output folder (default: %(default)s)")
    generate.add_argument("--force", action="store_true", help="replace all keys and certificates")
    generate.set_defaults(handler=_generate)


def _generate(args: argparse.Namespace) -> int:
    try:
        config = load_crypto_config(args.config)
        layout = generate_crypto_material(args.out, config, force=args.force)
    except MspError as exc:
        raise CliError(str(exc)) from exc
    for org in layout.orgs:
        nodes = ", ".join(n.name for n in org.nodes) or "no nodes"
        users = ", ".join(u.name.split("@")[0] for u in org.users)
        print(f"{org.msp_id}: {org.root} ({nodes}; users {users})")
    return 0
