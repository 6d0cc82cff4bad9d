"""A dev peer owns its port: a second one on the same address fails at start, in one line."""

from __future__ import annotations

import asyncio
import sys

import pytest

import network.devpeer.peer as peer_module
from network.devpeer import DevPeer
from network.devpeer.config import config_from_mapping
from testkit.devpeer import config_mapping, config_toml
from testkit.policy import ROOT


def in_use(address: str) -> str:
    return f"cannot listen on {address}: the address is in use, another process holds it"


def second_peer_mapping(crypto, tmp_path, address: str) -> dict:
    """Another dev peer, with its own ledger, configured to listen on `address`."""
    mapping = config_mapping(crypto, tmp_path / "second" / "data")
    mapping["listen"]["address"] = address
    return mapping


async def assert_still_serving(client) -> None:
    contract = client.contract()
    await contract.submit("Put", "after", "the second peer")
    assert (await contract.evaluate("Get", "after")).text() == "the second peer"


async def test_second_peer_on_the_same_port_fails_and_the_first_keeps_serving(peer, client, crypto, tmp_path):
    mapping = second_peer_mapping(crypto, tmp_path, peer.address)
    second = DevPeer(config_from_mapping(mapping, tmp_path / "second"))
    with pytest.raises(OSError) as raised:
        await second.start()
    assert str(raised.value) == in_use(peer.address)
    await assert_still_serving(client)


async def test_grpc_itself_refuses_the_port_when_the_early_check_is_passed(peer, client, crypto, tmp_path, monkeypatch):
    """The one-line check can race with another server's bind; SO_REUSEPORT off still refuses."""
    real_check = peer_module.ensure_address_free
    calls = []

    def check_late(host: str, port: int) -> None:
        calls.append((host, port))
        if len(calls) > 1:  # the first check "misses" the other server, as in a race
            real_check(host, port)

    monkeypatch.setattr(peer_module, "ensure_address_free", check_late)
    mapping = second_peer_mapping(crypto, tmp_path, peer.address)
    second = DevPeer(config_from_mapping(mapping, tmp_path / "second"))
    with pytest.raises(OSError) as raised:
        await second.start()
    assert len(calls) == 2  # gRPC refused the bind, then the check named the reason
    assert str(raised.value) == in_use(peer.address)
    await assert_still_serving(client)


async def test_devpeer_command_exits_1_with_one_line_for_a_taken_port(peer, client, crypto, tmp_path):
    mapping = second_peer_mapping(crypto, tmp_path, peer.address)
    config = tmp_path / "second.toml"
    config.write_text(config_toml(mapping))
    ready = tmp_path / "second.ready"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "emissions.cli.main", "devpeer", "--config", str(config), "--ready-file", str(ready),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 1
    assert err.decode().splitlines() == [f"emissions: error: devpeer: {in_use(peer.address)}"]
    assert not ready.exists()
    await assert_still_serving(client)
