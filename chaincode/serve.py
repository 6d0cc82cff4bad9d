"""Serving a chaincode as a service (CCaaS): the flags, their environment defaults and the serve loop,
shared by `emissions chaincode serve` and `python -m chaincode.serve`.

The chaincode image runs `python -m chaincode.serve`: it needs nothing of the project but
`chaincode/` and `network/ports.py`, while the `emissions` command line would bring the services,
ACA-Py and aiohttp into the image. Flags default to the variables fabric-samples' CCaaS containers
use (CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID, CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY,
CHAINCODE_CLIENT_CA_CERT, CHAINCODE_TLS_DISABLED), so the same image works under both.
The runtime is imported only when serving: `emissions --help` stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

__all__ = ["UsageError", "add_arguments", "main", "serve_from_args"]


class UsageError(Exception):
    """A mistake in the flags or the environment, or a server that cannot start: one line."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    env = os.environ.get
    parser.add_argument("--chaincode", default=env("CHAINCODE_OBJECT"), metavar="MODULE:OBJECT",
                        help="chaincode to serve: a Chaincode, a Contract (class or instance) or a list of Contracts "
                             "(default: $CHAINCODE_OBJECT)")
    parser.add_argument("--address", default=env("CHAINCODE_SERVER_ADDRESS"), metavar="HOST:PORT",
                        help="listen address (default: $CHAINCODE_SERVER_ADDRESS)")
    parser.add_argument("--id", dest="chaincode_id", default=env("CHAINCODE_ID"), metavar="PACKAGE_ID",
                        help="package id the peer knows this chaincode by, label:hash (default: $CHAINCODE_ID)")
    parser.add_argument("--tls-cert", default=env("CHAINCODE_TLS_CERT"), metavar="PEM",
                        help="server TLS certificate (default: $CHAINCODE_TLS_CERT)")
    parser.add_argument("--tls-key", default=env("CHAINCODE_TLS_KEY"), metavar="PEM",
                        help="server TLS private key (default: $CHAINCODE_TLS_KEY)")
    parser.add_argument("--tls-client-ca", default=env("CHAINCODE_CLIENT_CA_CERT"), metavar="PEM",
                        help="require peers to present a certificate from this CA: mutual TLS "
                             "(default: $CHAINCODE_CLIENT_CA_CERT)")


def _tls_config(args: argparse.Namespace):
    from chaincode.runtime import TlsConfig

    if os.environ.get("CHAINCODE_TLS_DISABLED", "").lower() == "true" and not (args.tls_cert or args.tls_key):
        return None
    if not args.tls_cert and not args.tls_key:
        if args.tls_client_ca:
            raise UsageError("--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first")
        return None
    if not (args.tls_cert and args.tls_key):
        raise UsageError("TLS needs both --tls-cert and --tls-key")
    try:
        return TlsConfig.from_files(args.tls_cert, args.tls_key, args.tls_client_ca)
    except OSError as exc:
        raise UsageError(str(exc)) from None


async def _run(chaincode, address: str, chaincode_id: str, tls) -> None:
    from chaincode.runtime import serve

    try:
        server = await serve(chaincode, address, chaincode_id, tls)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    mode = "mutual TLS" if tls and tls.mutual else "TLS" if tls else "plaintext"
    print(f"chaincode {chaincode_id} listening on {address} ({mode})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Containers are stopped with SIGTERM: finish in-flight transactions (up to 5 s) instead of dying
    # mid-stream. Peers never close their Connect streams; server.stop ends them, so an idle server
    # stops at once.
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop(grace=5)


def serve_from_args(args: argparse.Namespace) -> None:
    """Serve until SIGTERM or SIGINT; UsageError for anything wrong before the server listens."""
    from chaincode.runtime import load_chaincode

    if not args.chaincode:
        raise UsageError("no chaincode: pass --chaincode MODULE:OBJECT or set CHAINCODE_OBJECT")
    if not args.address:
        raise UsageError("no listen address: pass --address HOST:PORT or set CHAINCODE_SERVER_ADDRESS")
    if not args.chaincode_id:
        raise UsageError("no chaincode id: pass --id LABEL:HASH or set CHAINCODE_ID")
    tls = _tls_config(args)
    try:
        chaincode = load_chaincode(args.chaincode)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cannot load chaincode {args.chaincode}: {exc}") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_run(chaincode, args.address, args.chaincode_id, tls))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaincode.serve",
                                     description="Serve a chaincode to Fabric peers over the shim protocol (CCaaS).")
    add_arguments(parser)
    try:
        serve_from_args(parser.parse_args(argv))
    except UsageError as exc:
        print(f"chaincode: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
