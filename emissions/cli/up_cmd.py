"""`emissions up`: the embedded stack, kept running for a person to use the pages.

The same stack `emissions demo` drives (dev peer, four agents, controllers), on the same data
directory, until Ctrl-C; then the controllers, the agents and the dev peer stop (the data stays).
With `--ledger fabric` it uses a real Fabric network instead of the dev peer (see `emissions demo`):
a network that was already running stays running, one the stack started stops with it.
With `--customers N` it first runs the demo's flow for N new customers, so the wallet and
verifier pages have something to show.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import aiohttp
from pathlib import Path

from emissions.cli.demo_cmd import add_ledger_arguments, ledger_choice
from emissions.cli.errors import CliError


def _say(text: str) -> None:
    print(f"[up] {text}", file=sys.stderr, flush=True)


async def _run(args: argparse.Namespace) -> int:
    from emissions.stack import EmbeddedStack, StackConfig, run_demo

    stack = EmbeddedStack(StackConfig(args.data_dir, base_port=args.base_port,
                                      signups_per_minute=max(30, args.customers), ledger=ledger_choice(args),
                                      say=_say))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stack.start()
    try:
        if args.customers:
            # No verification here: the wallet leaves sharing to the person, so a request would wait.
            async with aiohttp.ClientSession() as http:
                report = await run_demo(stack.client(http), args.customers, say=_say, verify=False)
            sign_ins = _keep_sign_ins(stack.data_dir / "customer" / "demo-sign-ins.txt", report.sign_ins)
            _say(f"{len(report.rows)} credential(s) issued; sign in to the wallet pages as one of the customers "
                 f"in {sign_ins}, ask for the credentials on the verifier page and share them from the wallet")
        print(f"wallet pages:   {stack.wallet_url}/  (a customer signs up at {stack.wallet_url}/signup)")
        for role, url in (("utility", stack.url("utility")), ("auditor", stack.url("auditor")),
                          ("verifier", stack.verifier_url)):
            print(f"{role + ' pages:':15} {url}/  (sign in as operator, the password is in "
                  f"{stack.data_dir / role / 'operator.key'})")
        print(f"ledger gateway: {stack.ledger_access.gateway} (data in {stack.ledger_access.data})")
        print(f"data directory: {stack.data_dir}")
        print("running; Ctrl-C stops the stack (the data stays)", flush=True)
        await stopping.wait()
    finally:
        _say("stopping")
        await stack.stop()
    return 0


def _keep_sign_ins(path: Path, sign_ins: dict[str, tuple[str, str]]) -> Path:
    """The demo customers' usernames and passwords, for the person trying the pages (0600, appended)."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as out:
        for username, password in sign_ins.values():
            out.write(f"{username} {password}\n")
    return path


def _up(args: argparse.Namespace) -> int:
    if args.customers < 0:
        raise CliError("--customers must not be negative")
    ledger_choice(args)  # option errors before anything starts
    return asyncio.run(_run(args))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "up",
        help="start the embedded stack and keep it running (pages for a person)",
        description="Start the dev peer (or, with --ledger fabric, a real Fabric network), the four agents and the "
                    "controllers, and keep them running until Ctrl-C.",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data/demo"), help="where everything persists (default data/demo)")
    parser.add_argument("--base-port", type=int, default=8020, help="first of the stack's loopback ports (default 8020)")
    parser.add_argument("--customers", type=int, default=0, metavar="N", help="first run the demo flow for N customers")
    add_ledger_arguments(parser)
    parser.set_defaults(handler=_up)
