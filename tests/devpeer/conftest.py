"""Fixtures for the dev peer tests: crypto material, a running in-process peer, clients (the
helpers behind them are in testkit.devpeer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from network.msp import generate_crypto_material
from testkit.devpeer import Client, start_peer


@pytest.fixture(scope="session")
def crypto(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crypto")
    generate_crypto_material(root)
    return root


@pytest.fixture
async def peer(crypto, tmp_path):
    peer = await start_peer(crypto, tmp_path / "data")
    yield peer
    await peer.stop()


@pytest.fixture
async def client(peer, crypto):
    client = Client(peer, crypto, [])
    yield client
    for channel in client.channels:
        await channel.close()
