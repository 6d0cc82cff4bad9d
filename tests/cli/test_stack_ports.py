"""The embedded stack checks its ports before it starts anything."""

from __future__ import annotations

import socket

import pytest

from emissions.stack import EmbeddedStack, StackConfig
from emissions.stack.ports import PortsTaken, ensure_free
from testkit.embedded import free_base_port


def test_a_port_in_use_is_named_with_what_wanted_it():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with pytest.raises(PortsTaken, match=f"^port {taken} \\(wallet pages\\) on 127.0.0.1 is in use by another "
                                             "process; choose another --base-port$"):
            ensure_free("127.0.0.1", {"wallet pages": taken})
    ensure_free("127.0.0.1", {"wallet pages": taken})  # free again


async def test_a_taken_port_stops_the_stack_before_it_starts_anything(tmp_path):
    config = StackConfig(tmp_path, base_port=free_base_port())
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", config.wallet_pages_port))
        squatter.listen()
        with pytest.raises(PortsTaken, match=f"port {config.wallet_pages_port} \\(wallet pages\\)"):
            await EmbeddedStack(config).start()
    # Nothing was started: no ledger, no agent logs (only the agents' configuration was prepared).
    assert not (tmp_path / "ledger").exists() and not list((tmp_path / "agents").rglob("*.log"))
