"""The project's ACA-Py agents: per-role configuration, the offline JSON-LD plugin, the launcher.

    from agents import agent_specs, AgentSupervisor
    specs = agent_specs(data_dir, base_port=8020)
    running = await AgentSupervisor(data_dir).up(specs)   # role -> RunningAgent
    await AgentSupervisor(data_dir).down()
"""

from agents.roles import ROLE_NAMES, ROLES, Flag, Role, role
from agents.spec import DEFAULT_BASE_PORT, AgentPorts, AgentSpec, agent_specs
from agents.supervisor import AgentError, AgentStartError, AgentStatus, AgentSupervisor, RunningAgent

__all__ = [
    "ROLE_NAMES",
    "ROLES",
    "Flag",
    "Role",
    "role",
    "DEFAULT_BASE_PORT",
    "AgentPorts",
    "AgentSpec",
    "agent_specs",
    "AgentError",
    "AgentStartError",
    "AgentStatus",
    "AgentSupervisor",
    "RunningAgent",
]
