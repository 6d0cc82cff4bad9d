"""`emissions chaincode serve`: flags, environment defaults and errors."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import grpc
import pytest

from ccaas_client import check_exchange, run_put_then_get
from testkit.ports import free_port
from chaincode.runtime import serve
from emissions.cli.main import main
from network.devpeer import DevPeer
from network.devpeer.config import config_from_mapping
from network.msp import generate_crypto_material
from testkit.devpeer import PROBE, Client, config_mapping
from testkit.policy import ROOT
from tests.conformance.chaincode_py.conformance import chaincode as conformance_chaincode

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


@pytest.fixture(scope="module")
def crypto(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crypto")
    generate_crypto_material(root)
    return root


async def start_serve(address: str, chaincode: str = PROBE) -> asyncio.subprocess.Process:
    """`emissions chaincode serve` as a process, once it has printed its banner."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "emissions.cli.main", "chaincode", "serve", "--chaincode", chaincode,
        "--address", address, "--id", "probe_1.0:test",
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    banner = await asyncio.wait_for(process.stdout.readline(), 30)
    if not banner:
        await process.wait()
        pytest.fail(f"chaincode server did not start: {(await process.stderr.read()).decode()[-2000:]}")
    return process


async def test_serve_stops_at_once_on_sigterm_while_a_dev_peer_holds_its_streams(crypto, tmp_path):
    address = f"127.0.0.1:{free_port()}"
    process = await start_serve(address)
    mapping = config_mapping(crypto, tmp_path / "data")
    mapping["chaincodes"] = [{"name": "probe", "version": "1.0", "endorsement_policy": "MAJORITY",
                              "ccaas": {"address": address}}]
    peer = DevPeer(config_from_mapping(mapping, tmp_path))
    try:
        await peer.start()  # both org peers open a Connect stream and keep it open, as Fabric's do
        client = Client(peer, crypto, [])
        contract = client.contract()
        await contract.submit("Put", "k", "through ccaas")
        assert (await contract.evaluate("Get", "k")).text() == "through ccaas"
        for channel in client.channels:
            await channel.close()
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            returncode = await asyncio.wait_for(process.wait(), 2)
        except TimeoutError:
            pytest.fail(f"chaincode server still running {time.monotonic() - started:.1f} s after SIGTERM")
        stderr = (await process.stderr.read()).decode()
        assert returncode == 0, stderr
        assert "Traceback" not in stderr and "ERROR" not in stderr, stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await peer.stop()


async def test_serve_on_a_taken_port_exits_1_with_one_line():
    address = f"127.0.0.1:{free_port()}"
    first = await serve(conformance_chaincode, address, "conformance:abc")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "emissions.cli.main", "chaincode", "serve", "--chaincode", SPEC,
            "--address", address, "--id", "conformance:abc",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 1
        assert err.decode().splitlines() == [
            f"emissions: error: cannot listen on {address}: the address is in use, another process holds it"]
        assert out == b""
        async with grpc.aio.insecure_channel(address) as channel:  # the first one still serves
            check_exchange(await asyncio.wait_for(run_put_then_get(channel), 10))
    finally:
        await first.stop(None)
