"""Real ACA-Py agents for tests: the four roles on free loopback ports in a temporary data dir.

Use from any test package by re-exporting the fixture in that package's conftest.py:

    from testkit.agents import agent_network  # noqa: F401  (session-scoped fixture)

    async def test_something(agent_network):
        async with agent_network.holder() as customer:   # a customer's sub-wallet
            ...
        agent_network.specs["customer"].controller_port   # where the customer's webhooks go
        agent_network.specs["customer"].webhook_secret    # the x-api-key header they carry
        async with agent_network.webhooks("customer", "auditor") as hooks:   # role -> WebhookReceiver
            await hooks["auditor"].waiter.wait_for("connections", conn_id, {"active"}, timeout=10)

Webhooks of role R are POSTed to http://127.0.0.1:<specs[R].controller_port>/webhooks/topic/<t>/;
a test (or a controller under test) listens there, e.g. with controllers.acapy.WebhookReceiver.
Agents start once per session (about 2-3 s for all four on 2 cores) and stop at its end; tests
must not assume an empty wallet. Plain functions `start_agents` / `stop_agents` do the same outside
pytest (benchmarks).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents import ROLE_NAMES, AgentPorts, AgentSpec, AgentSupervisor, RunningAgent, agent_specs
from agents.processes import supported as proc_supported
from aiohttp import web

from controllers.acapy import AcaPyAdmin, WebhookReceiver
from testkit.policy import require
from testkit.ports import free_port

__all__ = ["AgentNetwork", "agent_network", "free_port", "free_agent_ports", "start_agents", "stop_agents", "require_agents"]


def free_agent_ports(roles: tuple[str, ...] = ROLE_NAMES) -> dict[str, AgentPorts]:
    # Hold every probe socket open until all are chosen, so no two roles get the same port.
    socks, ports = [], []
    try:
        for _ in range(3 * len(roles)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return {r: AgentPorts(*ports[3 * i : 3 * i + 3]) for i, r in enumerate(roles)}


@dataclass
class AgentNetwork:
    data_dir: Path
    specs: dict[str, AgentSpec]
    running: dict[str, RunningAgent]
    supervisor: AgentSupervisor
    _holder_token: str | None = None

    def admin(self, role: str, *, timeout: float = 10.0) -> AcaPyAdmin:
        """A fresh admin client for `role` (use `async with`)."""
        agent = self.running[role]
        return AcaPyAdmin(agent.admin_url, agent.api_key, timeout=timeout)

    @contextlib.asynccontextmanager
    async def holder(self, *, timeout: float = 10.0) -> AsyncIterator[AcaPyAdmin]:
        """A customer's wallet: the session's test sub-wallet of the multitenant customer agent (the
        agent's own wallet may not hold credentials). Its webhooks go to the customer's controller
        port, with the sub-wallet's id in `x-wallet-id`."""
        async with self.admin("customer", timeout=timeout) as agent:
            if self._holder_token is None:
                _wallet_id, self._holder_token = await agent.create_tenant("Customer")
            yield agent.tenant(self._holder_token)

    @contextlib.asynccontextmanager
    async def webhooks(self, *roles: str) -> AsyncIterator[dict[str, WebhookReceiver]]:
        """Listen for the webhooks of `roles` on their controller ports (role -> receiver)."""
        runners: list[web.AppRunner] = []
        receivers = {}
        try:
            for role in roles:
                spec = self.specs[role]
                receivers[role] = WebhookReceiver(spec.webhook_secret)
                runner = web.AppRunner(receivers[role].app("/webhooks"), access_log=None)
                await runner.setup()
                runners.append(runner)
                await web.TCPSite(runner, spec.host, spec.controller_port, reuse_address=True).start()
            yield receivers
        finally:
            for runner in runners:
                await runner.cleanup()


def require_agents() -> None:
    require(importlib.util.find_spec("acapy_agent") is not None, "acapy-agent is not installed")
    require(proc_supported(), "the agent supervisor needs Linux /proc")


def start_agents(data_dir: Path, *, roles: tuple[str, ...] = ROLE_NAMES, timeout: float = 90.0) -> AgentNetwork:
    specs = agent_specs(data_dir, ports=free_agent_ports(roles), roles=roles)
    supervisor = AgentSupervisor(data_dir)
    running = asyncio.run(supervisor.up(specs, timeout=timeout))
    return AgentNetwork(Path(data_dir), specs, running, supervisor)


def stop_agents(network: AgentNetwork) -> list[str]:
    return asyncio.run(network.supervisor.down())


# Each conftest that re-exports the fixture makes its own fixture definition; sharing one network
# (counted) keeps it to one set of agents per session however many packages use it.
_shared: AgentNetwork | None = None
_users = 0


@pytest.fixture(scope="session")
def agent_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentNetwork]:
    """The four agents, started once per test session (synchronous: no event-loop scope issues)."""
    global _shared, _users
    require_agents()
    if _shared is None:
        _shared = start_agents(tmp_path_factory.mktemp("agents"))
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0 and _shared is not None:
            network, _shared = _shared, None
            stop_agents(network)
