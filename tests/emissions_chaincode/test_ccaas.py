"""The same chaincode served as a service (`emissions chaincode serve`), as a real peer would use it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from network.devpeer import DevPeer
from network.devpeer.config import config_from_mapping

from testkit.ledger import ROOT, LedgerNetwork, devpeer_mapping
from testkit.ports import free_port
from tests.emissions_chaincode.setup import customer, governed_with_factors, record_request


@pytest.fixture
def chaincode_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "emissions.cli", "chaincode", "serve", "--chaincode",
         "chaincode.emissions.chaincode:chaincode", "--address", f"127.0.0.1:{port}", "--id", "emissions_1.0:test"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chaincode server did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


async def test_record_through_a_ccaas_chaincode(crypto, tmp_path, chaincode_server):
    mapping = devpeer_mapping(crypto, tmp_path / "ledger", {"ccaas": {"address": chaincode_server}})
    peer = DevPeer(config_from_mapping(mapping, tmp_path))
    await peer.start()
    try:
        network = LedgerNetwork(peer, crypto)
        await governed_with_factors(network)
        async with network.client() as client:
            outcome = await client.record_emissions(record_request(), customer())
            assert (await client.get_record(outcome.record_id))["status"] == "active"
            assert (await client.record_emissions(record_request(), customer())).replayed
    finally:
        await peer.stop()
