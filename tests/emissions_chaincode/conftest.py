"""Fixtures for the emissions chaincode tests (the network itself is in testkit.ledger).

Tests marked `fabric_too` run twice: on a fresh dev peer, and on the session's real Fabric network
with the chaincode freshly deployed under a name of its own (testkit.fabric.FabricNetwork.fresh_ledger).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from network.devpeer import DevPeer
from network.devpeer.config import config_from_mapping
from network.msp import generate_crypto_material
from testkit.ledger import LedgerNetwork, crypto_config, devpeer_mapping


@pytest.fixture(scope="session")
def crypto(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crypto")
    generate_crypto_material(root, crypto_config())
    return root


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "network" not in metafunc.fixturenames:
        return
    ledgers = ["devpeer", "fabric"] if metafunc.definition.get_closest_marker("fabric_too") else ["devpeer"]
    metafunc.parametrize("network", ledgers, indirect=True, ids=[f"ledger={name}" for name in ledgers])


@pytest.fixture
async def network(request, crypto, tmp_path) -> AsyncIterator[LedgerNetwork]:
    if request.param == "fabric":
        yield request.getfixturevalue("fabric_network").fresh_ledger()
        return
    peer = DevPeer(config_from_mapping(devpeer_mapping(crypto, tmp_path / "ledger"), tmp_path))
    await peer.start()
    try:
        yield LedgerNetwork(peer, crypto)
    finally:
        await peer.stop()
