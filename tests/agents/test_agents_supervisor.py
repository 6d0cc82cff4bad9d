"""AgentSupervisor through its Python API: restart keeps the wallet, a failing start is reported."""

from __future__ import annotations

import json

import pytest

from agents import AgentPorts, AgentStartError, AgentSupervisor, agent_specs
from controllers.acapy import AcaPyAdmin
from testkit.agents import free_agent_ports, require_agents

ROLES = ("verifier",)


async def test_restart_keeps_the_wallet(tmp_path):
    require_agents()
    specs = agent_specs(tmp_path, ports=free_agent_ports(ROLES), roles=ROLES)
    progress: list[tuple[str, str]] = []
    sup = AgentSupervisor(tmp_path, progress=lambda r, m: progress.append((r, m)))
    try:
        first = (await sup.up(specs))["verifier"]
        assert first.started
        async with AcaPyAdmin(first.admin_url, first.api_key) as admin:
            did = (await admin.create_did_key()).did
        assert await sup.down(["verifier"]) == ["verifier"]
        assert sup.status() == {}

        second = (await sup.up(specs))["verifier"]
        assert second.started and second.pid != first.pid
        async with AcaPyAdmin(second.admin_url, second.api_key) as admin:
            dids = [d["did"] for d in (await admin.request("GET", "/wallet/did", params={"method": "key"}))["results"]]
        assert did in dids
        assert any("ready in" in m for _, m in progress)
    finally:
        await sup.down()


async def test_agent_that_dies_at_start_is_reported_with_its_log(tmp_path):
    require_agents()
    specs = agent_specs(tmp_path, ports=free_agent_ports(ROLES), roles=ROLES)
    sup = AgentSupervisor(tmp_path)
    try:
        await sup.up(specs)
        await sup.down()
        # Same wallet, wrong key: askar refuses to open it and the agent exits.
        secrets_file = tmp_path / "verifier" / "secrets.json"
        data = json.loads(secrets_file.read_text())
        data["wallet_key"] = "3wRKS3fzN9Bp8kbqKpFEtDYbbGgkPsYQFdGY6HYhuDzp"
        secrets_file.write_text(json.dumps(data))
        with pytest.raises(AgentStartError, match="verifier agent exited during start-up"):
            await sup.up(agent_specs(tmp_path, ports={"verifier": _ports(specs)}, roles=ROLES))
        assert sup.status() == {}  # nothing recorded for a process that is gone
    finally:
        await sup.down()


def _ports(specs) -> AgentPorts:
    s = specs["verifier"]
    return AgentPorts(s.inbound_port, s.admin_port, s.controller_port)
