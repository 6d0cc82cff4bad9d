"""The embedded stack (`emissions up`) for tests that use it as a person would: on a base port whose
every port is free right now, in a temporary data directory, stopped (agents and dev peer too)
afterwards."""

from __future__ import annotations

import contextlib
import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from agents import ROLE_NAMES
from emissions.stack import EmbeddedStack, StackConfig

__all__ = ["free_base_port", "embedded_stack"]


def _ports(base: int) -> list[int]:
    config = StackConfig(Path("."), base_port=base)
    agents = [base + 10 * i + k for i in range(len(ROLE_NAMES)) for k in (0, 1, 1001)]
    return [*agents, config.gateway_port, config.wallet_pages_port]


def free_base_port(tries: int = 200) -> int:
    """A base port whose stack ports are all free (probed by binding each)."""
    rng = random.Random()
    for _ in range(tries):
        base = rng.randrange(20000, 60000 - 1100, 10)
        held: list[socket.socket] = []
        try:
            for port in _ports(base):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                held.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no free range of loopback ports for the embedded stack")


@contextlib.asynccontextmanager
async def embedded_stack(data_dir: Path, **options) -> AsyncIterator[EmbeddedStack]:
    stack = EmbeddedStack(StackConfig(data_dir, base_port=free_base_port(), **options))
    await stack.start()
    try:
        yield stack
    finally:
        await stack.stop()
