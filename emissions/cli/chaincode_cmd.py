"""`emissions chaincode serve`: run a chaincode as a service (CCaaS) for Fabric peers to dial.

Flags default to the environment variables fabric-samples' CCaaS containers use
(CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID, CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY,
CHAINCODE_CLIENT_CA_CERT, CHAINCODE_TLS_DISABLED), so the same image works under both.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal

from emissions.cli.errors import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("chaincode", help="run the Python chaincode as a service for Fabric peers")
    commands = parser.add_subparsers(dest="chaincode_command", metavar="SUBCOMMAND", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a chaincode over the chaincode shim protocol (chaincode-as-a-service)",
        description="Listen for peers on --address and serve --chaincode to them as package --id.",
    )
    env = os.environ.get
    serve.add_argument("--chaincode", required=True, metavar="MODULE:OBJECT",
                       help="chaincode to serve: a Chaincode, a Contract (class or instance) or a list of Contracts")
    serve.add_argument("--address", default=env("CHAINCODE_SERVER_ADDRESS"), metavar="HOST:PORT",
                       help="listen address (default: $CHAINCODE_SERVER_ADDRESS)")
    serve.add_argument("--id", dest="chaincode_id", default=env("CHAINCODE_ID"), metavar="PACKAGE_ID",
                       help="package id the peer knows this chaincode by, label:hash (default: $CHAINCODE_ID)")
    serve.add_argument("--tls-cert", default=env("CHAINCODE_TLS_CERT"), metavar="PEM",
                       help="server TLS certificate (default: $CHAINCODE_TLS_CERT)")
    serve.add_argument("--tls-key", default=env("CHAINCODE_TLS_KEY"), metavar="PEM",
                       help="server TLS private key (default: $CHAINCODE_TLS_KEY)")
    serve.add_argument("--tls-client-ca", default=env("CHAINCODE_CLIENT_CA_CERT"), metavar="PEM",
                       help="require peers to present a certificate from this CA: mutual TLS "
                            "(default: $CHAINCODE_CLIENT_CA_CERT)")
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from chaincode.runtime import TlsConfig, load_chaincode  # the CLI stays fast for other commands

    if not args.address:
        raise CliError("no listen address: pass --address HOST:PORT or set CHAINCODE_SERVER_ADDRESS")
    if not args.chaincode_id:
        raise CliError("no chaincode id: pass --id LABEL:HASH or set CHAINCODE_ID")
    tls = _tls_config(args, TlsConfig)
    try:
        chaincode = load_chaincode(args.chaincode)
    except (ValueError, TypeError) as exc:
        raise CliError(f"cannot load chaincode {args.chaincode}: {exc}") from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_run(chaincode, args.address, args.chaincode_id, tls))
    return 0


def _tls_config(args: argparse.Namespace, tls_config_type):
    if os.environ.get("CHAINCODE_TLS_DISABLED", "").lower() == "true" and not (args.tls_cert or args.tls_key):
        return None
    if not args.tls_cert and not args.tls_key:
        if args.tls_client_ca:
            raise CliError("--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first")
        return None
    if not (args.tls_cert and args.tls_key):
        raise CliError("TLS needs both --tls-cert and --tls-key")
    try:
        return tls_config_type.from_files(args.tls_cert, args.tls_key, args.tls_client_ca)
    except OSError as exc:
        raise CliError(str(exc)) from None


async def _run(chaincode, address: str, chaincode_id: str, tls) -> None:
    from chaincode.runtime import serve

    try:
        server = await serve(chaincode, address, chaincode_id, tls)
    except (OSError, ValueError) as exc:
        raise CliError(str(exc)) from None
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
