"""The consent stack as fixtures: each test gets the three controllers and the auditor's service
on a fresh ledger, and afterwards checks that no account number, customer DID or kWh figure reached
a log line (controllers, aiohttp access logs, agent logs)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from testkit.agents import agent_network  # noqa: F401  (session-scoped real agents)
from testkit.consent_stack import Stack


@contextlib.asynccontextmanager
async def running_stack(agent_network, tmp_path, caplog, **options) -> AsyncIterator[Stack]:
    caplog.set_level(logging.DEBUG)
    s = await Stack.start(agent_network, tmp_path, **options)
    try:
        yield s
    finally:
        usage = {p["kwh"] for audit in s.auditor.audits() for p in audit.periods}
        await s.stop()
        _assert_no_personal_data(s, caplog, usage)


@pytest.fixture
async def stack(agent_network, tmp_path, caplog):
    async with running_stack(agent_network, tmp_path, caplog) as s:
        yield s


@pytest.fixture
async def sweeping_stack(agent_network, tmp_path, caplog):
    """An auditor whose app sweeps often and gives an agent step one second."""
    options = {"exchange_timeout": 1.0, "sweep_interval": 0.2}
    async with running_stack(agent_network, tmp_path, caplog, auditor_options=options) as s:
        yield s


def _assert_no_personal_data(s: Stack, caplog, usage: set[str]) -> None:
    secrets = {s.customer.did, *s.private_values, *usage}
    lines = [r.getMessage() for r in caplog.records]
    for path in [*(Path(spec.log_path) for spec in s.network.specs.values()), *s.logs]:
        lines += path.read_text(errors="replace").splitlines()
    leaks = [(value, line) for line in lines for value in secrets if value and value in line]
    assert not leaks, f"personal data in logs: {leaks[:3]}"
