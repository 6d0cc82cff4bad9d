"""`emissions agents up | down | status`: the four ACA-Py agents as local processes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from emissions.cli.errors import CliError

DEFAULT_DATA_DIR = Path("data/agents")


def _progress(role: str, message: str) -> None:
    print(f"  {role:<9} {message}", file=sys.stderr, flush=True)


def _up(args: argparse.Namespace) -> int:
    from agents import AgentError, AgentSupervisor, agent_specs

    try:
        specs = agent_specs(args.data_dir, base_port=args.base_port)
        supervisor = AgentSupervisor(args.data_dir, progress=_progress)
        print(f"starting agents in {supervisor.data_dir}", file=sys.stderr)
        running = asyncio.run(supervisor.up(specs, timeout=args.timeout))
    except (AgentError, ValueError, OSError) as exc:
        raise CliError(f"agents up: {exc}") from exc
    for role, agent in running.items():
        spec = specs[role]
        print(f"{role:<9} pid {agent.pid:<7} admin {agent.admin_url}  endpoint {agent.endpoint}  webhooks -> {spec.webhook_url}")
    return 0


def _down(args: argparse.Namespace) -> int:
    from agents import AgentError, AgentSupervisor

    try:
        stopped = asyncio.run(AgentSupervisor(args.data_dir, progress=_progress).down(timeout=args.timeout))
    except (AgentError, OSError) as exc:
        raise CliError(f"agents down: {exc}") from exc
    print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from agents import ROLE_NAMES, AgentError, AgentSupervisor

    try:
        known = AgentSupervisor(args.data_dir).status()
    except AgentError as exc:
        raise CliError(f"agents status: {exc}") from exc
    for role in ROLE_NAMES:
        st = known.get(role)
        if st is None:
            print(f"{role:<9} stopped")
        else:
            print(f"{role:<9} {st.state:<8} pid {st.pid}  admin {st.admin_url}")
    # Exit status tells scripts whether all four are up.
    return 0 if all(known.get(r) is not None and known[r].state == "running" for r in ROLE_NAMES) else 3


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "agents",
        help="start, stop or inspect the four ACA-Py agents (utility, customer, auditor, verifier)",
        description="Run the project's ACA-Py agents as local processes with sqlite wallets under a data directory.",
    )
    sub = parser.add_subparsers(dest="agents_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help=f"wallets, logs, keys, pids (default {DEFAULT_DATA_DIR})")

    from agents import DEFAULT_BASE_PORT

    up = sub.add_parser("up", help="start the agents that are not running and wait until all are ready")
    common(up)
    up.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT, help=f"first port; each role takes base+10i, base+10i+1 (default {DEFAULT_BASE_PORT})")
    up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for readiness (default 90)")
    up.set_defaults(handler=_up)

    down = sub.add_parser("down", help="stop the agents started by `up` (by their recorded process ids)")
    common(down)
    down.add_argument("--timeout", type=float, default=15.0, help="seconds before a stubborn agent is killed (default 15)")
    down.set_defaults(handler=_down)

    status = sub.add_parser("status", help="show each role's state (exit status 3 unless all four run)")
    common(status)
    status.set_defaults(handler=_status)
