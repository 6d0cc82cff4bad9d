"""The embedded stack (`emissions up`) for tests that use it as a person would: on a base port whose
every port is free right now, in a temporary data directory, stopped (agents and dev peer too)
afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from agents import ROLE_NAMES
from emissions.stack import EmbeddedStack, StackConfig
from testkit.ports import free_base

__all__ = ["free_base_port", "embedded_stack"]


def _ports(base: int) -> list[int]:
    config = StackConfig(Path("."), base_port=base)
    agents = [base + 10 * i + k for i in range(len(ROLE_NAMES)) for k in (0, 1, 1001)]
    return [*agents, config.gateway_port, config.wallet_pages_port]


def free_base_port() -> int:
    """A base port whose stack ports are all free (probed by binding each)."""
    return free_base(_ports, span=1100, step=10)


@contextlib.asynccontextmanager
async def embedded_stack(data_dir: Path, **options) -> AsyncIterator[EmbeddedStack]:
    stack = EmbeddedStack(StackConfig(data_dir, base_port=free_base_port(), **options))
    await stack.start()
    try:
        yield stack
    finally:
        await stack.stop()
