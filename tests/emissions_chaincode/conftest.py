"""Fixtures for the emissions chaincode tests (the network itself is in testkit.ledger)."""

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


@pytest.fixture
async def network(crypto, tmp_path) -> AsyncIterator[LedgerNetwork]:
    peer = DevPeer(config_from_mapping(devpeer_mapping(crypto, tmp_path / "ledger"), tmp_path))
    await peer.start()
    try:
        yield LedgerNetwork(peer, crypto)
    finally:
        await peer.stop()
