"""`emissions chaincode serve`: flags, environment defaults and errors."""

from __future__ import annotations

import asyncio
import os
import sys

import grpc
import pytest

from emissions.cli.main import main
from ccaas_client import check_exchange, free_port, run_put_then_get

SPEC = "tests.conformance.chaincode_py.conformance:chaincode"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--chaincode", SPEC, "--id", "cc:1"], "no listen address"),
        (["--chaincode", SPEC, "--address", "127.0.0.1:1"], "no chaincode id"),
        (["--chaincode", SPEC, "--address", "127.0.0.1:1", "--id", "cc:1", "--tls-cert", "c.pem"], "both --tls-cert and --tls-key"),
        (["--chaincode", SPEC, "--address", "127.0.0.1:1", "--id", "cc:1", "--tls-client-ca", "ca.pem"], "mutual TLS is TLS first"),
        (["--chaincode", SPEC, "--address", "127.0.0.1:1", "--id", "cc:1", "--tls-cert", "/nope/c.pem", "--tls-key", "/nope/k.pem"], "cannot read TLS certificate /nope/c.pem"),
        (["--chaincode", "tests.conformance.chaincode_py.conformance", "--address", "127.0.0.1:1", "--id", "cc:1"], "package.module:attribute"),
    ],
)
def test_serve_reports_bad_options_in_one_line(argv, message, capsys, monkeypatch):
    for name in ("CHAINCODE_SERVER_ADDRESS", "CHAINCODE_ID", "CHAINCODE_TLS_CERT", "CHAINCODE_TLS_KEY", "CHAINCODE_CLIENT_CA_CERT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["chaincode", "serve", *argv]) == 1
    error = capsys.readouterr().err
    assert message in error
    assert "--debug" not in error  # a CliError is the whole story


async def test_serve_takes_address_and_id_from_the_fabric_samples_environment():
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "CHAINCODE_SERVER_ADDRESS": address, "CHAINCODE_ID": "conformance:abc"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from emissions.cli.main import main; sys.exit(main())",
        "chaincode", "serve", "--chaincode", SPEC,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        banner = await asyncio.wait_for(process.stdout.readline(), 30)
        assert banner.decode().strip() == f"chaincode conformance:abc listening on {address} (plaintext)"
        async with grpc.aio.insecure_channel(address) as channel:
            check_exchange(await asyncio.wait_for(run_put_then_get(channel), 10))
    finally:
        process.terminate()
        returncode = await process.wait()
    assert returncode == 0, (await process.stderr.read()).decode()  # SIGTERM is a clean shutdown
