"""Tests pick whole ranges of loopback ports for stacks and networks, probe them, and bind them
seconds later. The ranges stay out of the kernel's ephemeral range, which outbound connections
draw from in between."""

from __future__ import annotations

import socket

import pytest

from network.fabric.layout import PORT_SPAN
from network.ports import ephemeral_range
from testkit.embedded import _ports as stack_ports
from testkit.embedded import free_base_port
from testkit.fabric import free_fabric_base_port


def test_an_outbound_connections_source_port_cannot_be_listened_on():
    """Why: a range probed free inside the ephemeral range can be taken before the peer binds it."""
    with socket.create_server(("127.0.0.1", 0)) as server, \
            socket.create_connection(server.getsockname()) as client:
        source = client.getsockname()[1]
        assert source in ephemeral_range()
        with socket.socket() as late, pytest.raises(OSError, match="in use"):
            late.bind(("127.0.0.1", source))
            late.listen()


@pytest.mark.parametrize("pick, ports_of", [
    (free_base_port, stack_ports),
    (free_fabric_base_port, lambda base: range(base, base + PORT_SPAN)),
], ids=["embedded stack", "fabric network"])
def test_ranges_for_stacks_and_networks_lie_outside_the_ephemeral_range(pick, ports_of):
    ephemeral = ephemeral_range()
    for _ in range(30):
        ports = list(ports_of(pick()))
        assert not any(port in ephemeral for port in ports), (min(ports), max(ports), ephemeral)
