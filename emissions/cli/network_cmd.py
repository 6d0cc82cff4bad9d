"""`emissions network up | down | status`: a real Hyperledger Fabric 2.5 network, natively.

    emissions network up [--data data/fabric] [--base-port 7050] [--orderers 3|1] [--fabric-bin DIR]
    emissions network status [--json]
    emissions network down

Two auditor orgs (a peer and a fabric-ca each), an operator org (the etcdraft ordering service and
its fabric-ca), a verifier org (a fabric-ca; no peer), the channel `utilityemissions` and the
emissions chaincode run as a service, all on 127.0.0.1 with TLS. `up` writes a connection profile
per org and client to <data>/profiles/, so `emissions ledger --profile <data>/profiles/Auditor1MSP.toml ...`
and the services work against it as against the dev peer. The binaries come from --fabric-bin,
$FABRIC_BIN, or ../shared/fabric/bin beside the project.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from emissions.cli.errors import CliError

DEFAULT_DATA = Path("data/fabric")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("network", help="run a real Hyperledger Fabric network from native binaries")
    commands = parser.add_subparsers(dest="network_command", metavar="SUBCOMMAND", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--data", type=Path, default=DEFAULT_DATA,
                         help=f"the network's folder: keys, ledgers, logs, pid files (default {DEFAULT_DATA})")
        sub.add_argument("--fabric-bin", metavar="DIR",
                         help="Fabric's bin/ folder (default: $FABRIC_BIN, else ../shared/fabric/bin)")

    up = commands.add_parser("up", help="start the network, or finish starting it (idempotent)")
    common(up)
    up.add_argument("--base-port", type=int, help="first of 80 loopback ports (default 7050; fixed once created)")
    up.add_argument("--orderers", type=int, choices=(1, 3), help="etcdraft orderers (default 3; fixed once created)")
    up.add_argument("--json", action="store_true", help="print the summary as JSON at the end")
    up.set_defaults(handler=_up)

    down = commands.add_parser("down", help="stop every process `up` started (the data stays)")
    common(down)
    down.set_defaults(handler=_down)

    status = commands.add_parser("status", help="each process, the channel height per peer, the chaincode")
    common(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)


def _say(line: str) -> None:
    print(line, flush=True)


def _write_profiles(folder: Path):
    from emissions.stack.backends import write_fabric_profiles

    return lambda specs: write_fabric_profiles(folder, specs)


def _up(args: argparse.Namespace) -> int:
    from network.fabric import FabricError, NetworkLayout, locate_fabric, up

    try:
        dist = locate_fabric(args.fabric_bin)
        layout = NetworkLayout.open(args.data, args.base_port, args.orderers)
    except FabricError as exc:
        raise CliError(str(exc)) from None
    try:
        summary = up(layout, dist, say=_say, write_profiles=_write_profiles(layout.profiles_dir))
    except FabricError as exc:
        started = any(layout.run_dir.glob("*.pid"))
        hint = f" (logs: {layout.logs_dir}; stop what started with `emissions network down --data {args.data}`)"
        raise CliError(f"{exc}{hint if started else ''}") from None
    if args.json:
        print(json.dumps(summary, indent=2))
    return 0


def _down(args: argparse.Namespace) -> int:
    from network.fabric import NetworkLayout, down

    if not (args.data / "network.json").is_file():
        raise CliError(f"no network in {args.data} (nothing to stop)")
    down(NetworkLayout.open(args.data), say=_say)
    return 0


def _status(args: argparse.Namespace) -> int:
    from network.fabric import FabricError, NetworkLayout, locate_fabric, status

    if not (args.data / "network.json").is_file():
        raise CliError(f"no network in {args.data}: start one with `emissions network up --data {args.data}`")
    layout = NetworkLayout.open(args.data)
    try:
        dist = locate_fabric(args.fabric_bin)
    except FabricError as exc:
        raise CliError(str(exc)) from None
    result = status(layout, dist)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0 if result.all_running else 3
    for p in result.processes:
        state = f"running, pid {p.pid}" if p.pid is not None else "stopped"
        print(f"{p.name:<36} {state:<20} ports {', '.join(map(str, p.ports))}")
    for peer, height in result.heights.items():
        print(f"channel utilityemissions on {peer}: " + (f"height {height}" if isinstance(height, int) else str(height)))
    chaincode = result.chaincode
    if isinstance(chaincode, dict):
        approvals = ", ".join(org for org, ok in sorted(chaincode.get("approvals", {}).items()) if ok)
        print(f"chaincode emissions: version {chaincode.get('version')} sequence {chaincode.get('sequence')} "
              f"committed, approved by {approvals}")
    else:
        print(f"chaincode emissions: {chaincode}")
    return 0 if result.all_running else 3
