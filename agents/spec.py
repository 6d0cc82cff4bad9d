"""`AgentSpec`: everything needed to start one role's ACA-Py agent, and `agent_specs` for all four.

Port layout from a base port N (default 8020), role index i in ROLE_NAMES order:
inbound DIDComm N+10i, admin N+10i+1, the role's controller (webhook target) admin+1000.
Tests pass explicit `ports` instead, taken from free-port probes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from agents.roles import ROLE_NAMES, Role, role
from agents.secrets import load_or_create_secrets

__all__ = ["AgentPorts", "AgentSpec", "agent_specs", "DEFAULT_BASE_PORT", "HOST", "PLUGIN", "WEBHOOK_PATH"]

DEFAULT_BASE_PORT = 8020
HOST = "127.0.0.1"
PLUGIN = "agents.jsonld_plugin"
WEBHOOK_PATH = "/webhooks"
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A multitenant agent keeps every sub-wallet as a profile of one Askar store ("single-wallet-askar"):
# creating a tenant is a row, not a file, and one connection pool serves them all.
_MULTITENANT = ("--multitenant", "--multitenant-admin",
                "--multitenancy-config", '{"wallet_type": "single-wallet-askar", "wallet_name": "emissions-tenants"}')


@dataclass(frozen=True)
class AgentPorts:
    inbound: int
    admin: int
    controller: int

    def __post_init__(self) -> None:
        for name in ("inbound", "admin", "controller"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= 65535:
                raise ValueError(f"{name} port must be an integer in 1..65535, got {value!r}")
        if len({self.inbound, self.admin, self.controller}) != 3:
            raise ValueError(f"inbound, admin and controller ports must differ, got {self}")


@dataclass(frozen=True)
class AgentSpec:
    role: str
    data_dir: Path  # this role's own directory: wallet, log, secrets
    inbound_port: int
    admin_port: int
    controller_port: int
    webhook_url: str = field(repr=False)  # without the secret
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    wallet_key: str = field(repr=False)
    jwt_secret: str = field(repr=False, default="")
    host: str = HOST

    @property
    def profile(self) -> Role:
        return role(self.role)

    @property
    def admin_url(self) -> str:
        return f"http://{self.host}:{self.admin_port}"

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.inbound_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "agent.log"

    @property
    def wallet_name(self) -> str:
        return f"emissions-{self.role}"

    def argv(self) -> list[str]:
        """The command line; secrets are not in it (see `env`)."""
        return [
            sys.executable, "-m", "acapy_agent", "start",
            "--label", self.profile.label,
            "--inbound-transport", "http", self.host, str(self.inbound_port),
            "--outbound-transport", "http",
            "--endpoint", self.endpoint,
            "--admin", self.host, str(self.admin_port),
            "--no-ledger",
            "--wallet-type", "askar",
            "--wallet-name", self.wallet_name,
            "--wallet-storage-type", "default",
            "--wallet-key-derivation-method", "RAW",
            "--auto-provision",
            "--preserve-exchange-records",
            "--plugin", PLUGIN,
            "--log-level", "warning",  # info level logs exchange details; records ids are enough
            *self.profile.args,
            *(_MULTITENANT if self.profile.multitenant else ()),
        ]

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        # The plugin is imported by the agent, so the project must be importable there.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        env["ACAPY_HOME"] = str(self.data_dir / "acapy")  # wallet files live under the data dir
        env["ACAPY_WALLET_KEY"] = self.wallet_key
        env["ACAPY_ADMIN_API_KEY"] = self.api_key
        if self.profile.multitenant:
            env["ACAPY_MULTITENANT_JWT_SECRET"] = self.jwt_secret
        env["ACAPY_WEBHOOK_URL"] = f"{self.webhook_url}#{self.webhook_secret}"
        env["PYTHONUNBUFFERED"] = "1"
        return env


def _default_ports(base_port: int) -> dict[str, AgentPorts]:
    if not 1024 <= base_port <= 65535 - 10 * len(ROLE_NAMES) - 1001:
        raise ValueError(f"base port {base_port} leaves no room for {len(ROLE_NAMES)} agents (try 8020)")
    out = {}
    for i, name in enumerate(ROLE_NAMES):
        inbound = base_port + 10 * i
        out[name] = AgentPorts(inbound, inbound + 1, inbound + 1001)
    return out


def _split_webhook(role_name: str, url: str) -> tuple[str, str | None]:
    base, _, secret = url.partition("#")
    parts = urlsplit(base)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"webhook URL for {role_name} must be http(s)://host:port/path, got {base!r}")
    return base.rstrip("/"), (secret or None)


def agent_specs(
    data_dir: Path | str,
    *,
    base_port: int = DEFAULT_BASE_PORT,
    ports: Mapping[str, AgentPorts] | None = None,
    webhook_urls: Mapping[str, str] | None = None,
    roles: tuple[str, ...] = ROLE_NAMES,
) -> dict[str, AgentSpec]:
    """Specs for `roles` under `data_dir`, creating (once) each role's secrets there.

    `webhook_urls[role]` may be `url` or `url#secret`; the default is the role's controller port
    with path /webhooks and the stored secret. A secret given in the URL wins over the stored one.
    """
    data_dir = Path(data_dir).resolve()
    chosen = dict(_default_ports(base_port)) if ports is None else dict(ports)
    for name in roles:
        role(name)
        if name not in chosen:
            raise ValueError(f"no ports given for role {name!r}")
    unknown = set(webhook_urls or {}) - set(ROLE_NAMES)
    if unknown:
        raise ValueError(f"webhook URL for unknown role(s): {', '.join(sorted(unknown))}")
    all_ports = [p for n in roles for p in (chosen[n].inbound, chosen[n].admin, chosen[n].controller)]
    if len(set(all_ports)) != len(all_ports):
        raise ValueError("two agents were given the same port")

    specs = {}
    for name in roles:
        p = chosen[name]
        role_dir = data_dir / name
        secrets = load_or_create_secrets(role_dir)
        url, secret = _split_webhook(name, (webhook_urls or {}).get(name, f"http://{HOST}:{p.controller}{WEBHOOK_PATH}"))
        specs[name] = AgentSpec(
            role=name,
            data_dir=role_dir,
            inbound_port=p.inbound,
            admin_port=p.admin,
            controller_port=p.controller,
            webhook_url=url,
            api_key=secrets.admin_api_key,
            webhook_secret=secret or secrets.webhook_secret,
            wallet_key=secrets.wallet_key,
            jwt_secret=secrets.jwt_secret,
        )
    return specs
