"""A DIDComm mediator for tests: the project's ACA-Py agent command with `--open-mediation`.

A phone cannot take inbound connections: its wallet asks a mediator for routing (coordinate-mediation
1.0), opens a WebSocket to it and receives every message over that socket (Credo's implicit pickup:
the socket stays open with return route "all"; ACA-Py queues what arrives while it is closed,
`--enable-undelivered-queue`). Other agents reach the wallet by forwarding to the mediator's HTTP
endpoint with its routing key.

    from testkit.mediator import mediator_agent   # session-scoped fixture; re-export it in a conftest
    async with mediator_agent.admin() as admin:
        url = await mediator_agent.invitation_url()   # give it to CredoHolder.start(mediator_invitation=...)

The endpoint list is HTTP first, WebSocket second. ACA-Py grants mediation with its *first*
endpoint as the routing endpoint the wallet publishes, and the project's agents send over HTTP only;
Credo finds the WebSocket in the mediator's DID document (every endpoint is in it) for its pickup.

Not one of the demo's four roles (agents.ROLE_NAMES): the spec is the shared `AgentSpec` command
plus a WebSocket inbound/outbound transport, started by the same `AgentSupervisor`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from agents import AgentSupervisor, RunningAgent
from agents.roles import Flag, Role
from agents.secrets import load_or_create_secrets
from agents.spec import HOST, AgentSpec
from controllers.acapy import AcaPyAdmin
from testkit.agents import require_agents

__all__ = ["MEDIATOR_ROLE", "MediatorSpec", "Mediator", "mediator_spec", "start_mediator", "stop_mediator", "mediator_agent"]

MEDIATOR_ROLE = Role(
    "mediator",
    "Mediator",
    flags=(
        Flag("--open-mediation", "granting routing carries no decision: the mediator only relays encrypted messages"),
        Flag("--enable-undelivered-queue", "a phone is often offline: keep its messages until its socket is back"),
        Flag("--auto-accept-requests", "a wallet connects to the mediator only to ask for routing"),
    ),
)


@dataclass(frozen=True)
class MediatorSpec(AgentSpec):
    """`AgentSpec` of the mediator: also a WebSocket inbound transport on `ws_port`, no webhooks."""

    ws_port: int = 0

    @property
    def profile(self) -> Role:
        return MEDIATOR_ROLE

    @property
    def ws_endpoint(self) -> str:
        return f"ws://{self.host}:{self.ws_port}"

    def argv(self) -> list[str]:
        argv = super().argv()
        at = argv.index("--endpoint")
        argv[at + 1 : at + 2] = [self.endpoint, self.ws_endpoint]  # HTTP first: see the module docstring
        at = argv.index("--outbound-transport")
        argv[at:at] = ["--inbound-transport", "ws", self.host, str(self.ws_port), "--outbound-transport", "ws"]
        return argv

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = super().env(base)
        env.pop("ACAPY_WEBHOOK_URL", None)  # nobody controls a mediator: it has no webhooks to send
        return env


def _free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def mediator_spec(data_dir: Path | str) -> MediatorSpec:
    """The mediator's spec on free loopback ports, its secrets kept under `data_dir`/mediator."""
    inbound, admin, ws = _free_ports(3)
    role_dir = Path(data_dir).resolve() / "mediator"
    secrets = load_or_create_secrets(role_dir)
    return MediatorSpec(
        role="mediator",
        data_dir=role_dir,
        inbound_port=inbound,
        admin_port=admin,
        controller_port=0,  # no controller: a mediator sends no webhooks (see `env`)
        webhook_url="",
        api_key=secrets.admin_api_key,
        webhook_secret=secrets.webhook_secret,
        wallet_key=secrets.wallet_key,
        ws_port=ws,
    )


@dataclass
class Mediator:
    spec: MediatorSpec
    running: RunningAgent
    supervisor: AgentSupervisor

    @property
    def endpoint(self) -> str:
        return self.spec.endpoint

    @property
    def ws_endpoint(self) -> str:
        return self.spec.ws_endpoint

    def admin(self, *, timeout: float = 10.0) -> AcaPyAdmin:
        return AcaPyAdmin(self.running.admin_url, self.running.api_key, timeout=timeout)

    async def invitation_url(self) -> str:
        """A fresh single-use OOB invitation (DID Exchange 1.1) to ask this mediator for routing."""
        async with self.admin() as admin:
            invitation = await admin.create_invitation(auto_accept=True, my_label="Mediator")
        assert invitation.invitation_url
        return invitation.invitation_url


def start_mediator(data_dir: Path | str, *, timeout: float = 90.0) -> Mediator:
    spec = mediator_spec(data_dir)
    supervisor = AgentSupervisor(data_dir)
    running = asyncio.run(supervisor.up({"mediator": spec}, timeout=timeout))
    return Mediator(spec, running["mediator"], supervisor)


def stop_mediator(mediator: Mediator) -> list[str]:
    return asyncio.run(mediator.supervisor.down(["mediator"]))


@pytest.fixture(scope="session")
def mediator_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mediator]:
    """One mediator per session, in a data dir of its own (apart from the four agents')."""
    require_agents()
    mediator = start_mediator(tmp_path_factory.mktemp("mediator"))
    try:
        yield mediator
    finally:
        with contextlib.suppress(Exception):
            stop_mediator(mediator)
