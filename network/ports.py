"""Loopback ports: whether another process listens on one, said in one line.

Every server of the project (dev peer, chaincode-as-a-service, the embedded stack's services)
checks its port before binding. gRPC without SO_REUSEPORT refuses a taken port too, but only after
logging a multi-line core error; and a stack that finds a clash only when its last service binds
has to tear down everything it started first.

A port checked free can still be taken before its server binds it: inside the kernel's ephemeral
range, any outbound connection may get it as its source port. Ranges meant to be bound a while
later (a Fabric network's, whose peers start after the CAs' enrollments) belong outside it.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

__all__ = ["address_in_use_message", "ensure_address_free", "ephemeral_range", "in_use"]

_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def address_in_use_message(address: str) -> str:
    return f"cannot listen on {address}: the address is in use, another process holds it"


def in_use(host: str, port: int) -> bool:
    """Whether something listens on host:port now (port 0, or an unresolvable host: no)."""
    if port == 0:
        return False
    try:
        candidates = socket.getaddrinfo(host.strip("[]") or None, port, type=socket.SOCK_STREAM,
                                        flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return False  # the server's own bind reports an address it cannot resolve
    for family, kind, proto, _, sockaddr in candidates:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does: TIME_WAIT is no owner
            try:
                probe.bind(sockaddr)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return True
                raise
    return False


def ensure_address_free(host: str, port: int) -> None:
    """OSError with the one-line message if something already listens on host:port."""
    if in_use(host, port):
        raise OSError(address_in_use_message(f"{host}:{port}"))


def ephemeral_range() -> range:
    """The ports the kernel hands out to outbound connections and to bind(port 0)."""
    try:
        low, high = (int(part) for part in _EPHEMERAL.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    return range(low, high + 1)
