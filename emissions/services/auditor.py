"""The auditor's service as a process of its own: `emissions auditor serve --config auditor.toml`.

It needs what the auditor org already runs (its ACA-Py agent, a ledger connection profile, its
registered did:key and the bill recipients' X25519 keys) and serves the agent's webhooks, the
operator API and the operator page on one port. Every fact of an audit lives in the workflow
store under `data_dir`, so the process can be killed at any moment and started again.

    data_dir = "auditor"                      # workflow.sqlite3
    listen = "127.0.0.1:9031"                 # the agent posts its webhooks here
    operator_key_file = "auditor/operator.key"
    ledger_profile = "ledger/auditor1.toml"   # a connection profile (controllers.ledger.profile)
    bills = "bills"                           # the content store the encrypted bills go to

    [agent]
    admin_url = "http://127.0.0.1:8031"
    api_key_file = "agents/auditor/admin.key"
    webhook_secret_file = "agents/auditor/webhook.key"

    [issuer]
    did = "did:key:z6Mk..."                   # registered on the ledger for the profile's org
    edition = "eGRID2023"

    [recipients]                              # who can open a bill: MSP id -> X25519 multibase
    Auditor1MSP = "z6LS..."

    [utilities]                               # EIA-861 utility id -> the utility's service URL
    "14328" = "http://127.0.0.1:9001"

    [timing]                                  # optional, seconds
    exchange_timeout = 60
    sweep_interval = 15

Relative paths resolve against the config file's folder; secrets are read from files (0600), never
written in the config itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import stat
import tomllib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from controllers.acapy import AcaPyAdmin
from controllers.auditor import AuditManager, AuditorConfig, build_app
from controllers.issuance import EmissionsIssuer, IssuerSettings
from controllers.ledger import load_profile, open_ledger
from controllers.workflow import WorkflowStore
from custody import BillCustody, LocalContentStore, Recipient

LOG = logging.getLogger(__name__)

__all__ = ["AuditorServiceConfig", "ServiceConfigError", "load_service_config", "running_auditor", "serve_auditor"]

_KEYS = {"data_dir", "listen", "operator_key_file", "ledger_profile", "bills", "agent", "issuer", "recipients",
         "utilities", "timing"}


class ServiceConfigError(ValueError):
    """The service's config is unusable; the message names the file and the field."""


@dataclass(frozen=True)
class AuditorServiceConfig:
    data_dir: Path
    host: str
    port: int
    operator_key: str = field(repr=False)
    ledger_profile: Path
    bills: Path
    admin_url: str
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    did: str
    edition: str
    recipients: dict[str, str]
    utilities: dict[str, str]
    exchange_timeout: float = 60.0
    sweep_interval: float = 15.0


def load_service_config(path: str | Path) -> AuditorServiceConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ServiceConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ServiceConfigError(f"{path} is not valid TOML: {exc}") from None
    base, source = path.resolve().parent, str(path)
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ServiceConfigError(f"{source}: unknown key(s) {', '.join(unknown)}")

    def table(name: str, keys: set[str] | None = None, required: bool = True) -> dict[str, Any]:
        value = data.get(name, None if required else {})
        if not isinstance(value, dict):
            raise ServiceConfigError(f"{source}: [{name}] must be a table")
        unknown = sorted(set(value) - keys) if keys is not None else []
        if unknown:
            raise ServiceConfigError(f"{source}: unknown key(s) in [{name}]: {', '.join(unknown)}")
        return value

    def text(where: dict[str, Any], key: str, label: str | None = None) -> str:
        value = where.get(key)
        if not isinstance(value, str) or not value:
            raise ServiceConfigError(f"{source}: {label or key} must be a non-empty string")
        return value

    def secret(where: dict[str, Any], key: str, label: str) -> str:
        file = base / text(where, key, label)
        try:
            mode = file.stat().st_mode
            value = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ServiceConfigError(f"{source}: {label}: cannot read {file}: {exc.strerror}") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ServiceConfigError(f"{source}: {label}: {file} is accessible to others "
                                     f"(mode {stat.S_IMODE(mode):04o}); chmod 600 {file}")
        if not value:
            raise ServiceConfigError(f"{source}: {label}: {file} is empty")
        return value

    host, _, port = text(data, "listen").rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ServiceConfigError(f"{source}: listen must be host:port")
    agent = table("agent", {"admin_url", "api_key_file", "webhook_secret_file"})
    issuer = table("issuer", {"did", "edition"})
    timing = table("timing", {"exchange_timeout", "sweep_interval"}, required=False)
    recipients, utilities = table("recipients"), table("utilities")
    if not recipients or not all(isinstance(v, str) and v.startswith("z") for v in recipients.values()):
        raise ServiceConfigError(f"{source}: [recipients] must map MSP ids to X25519 multibase keys")
    if not all(isinstance(v, str) and v.startswith("http") for v in utilities.values()):
        raise ServiceConfigError(f"{source}: [utilities] must map EIA utility ids to service URLs")
    for key in ("exchange_timeout", "sweep_interval"):
        if key in timing and (isinstance(timing[key], bool) or not isinstance(timing[key], int | float)
                              or timing[key] <= 0):
            raise ServiceConfigError(f"{source}: timing.{key} must be a positive number of seconds")
    return AuditorServiceConfig(
        data_dir=base / text(data, "data_dir"), host=host, port=int(port),
        operator_key=secret(data, "operator_key_file", "operator_key_file"),
        ledger_profile=base / text(data, "ledger_profile"), bills=base / text(data, "bills"),
        admin_url=text(agent, "admin_url", "agent.admin_url"),
        api_key=secret(agent, "api_key_file", "agent.api_key_file"),
        webhook_secret=secret(agent, "webhook_secret_file", "agent.webhook_secret_file"),
        did=text(issuer, "did", "issuer.did"), edition=text(issuer, "edition", "issuer.edition"),
        recipients=dict(recipients), utilities=dict(utilities),
        **{key: float(timing[key]) for key in ("exchange_timeout", "sweep_interval") if key in timing},
    )


@asynccontextmanager
async def running_auditor(config: AuditorServiceConfig, *,
                          before_start: Callable[[AuditManager], None] | None = None) -> AsyncIterator[AuditManager]:
    """The service, serving on `config.listen` until the context ends. `before_start` sees the
    manager before its first sweep (the crash tests arm their kill point there)."""
    async with AsyncExitStack() as stack:
        store = WorkflowStore(config.data_dir / "workflow.sqlite3")
        stack.callback(store.close)
        admin = await stack.enter_async_context(AcaPyAdmin(config.admin_url, config.api_key, timeout=30))
        http = await stack.enter_async_context(aiohttp.ClientSession())
        ledger = await stack.enter_async_context(open_ledger(load_profile(config.ledger_profile)))
        recipients = [Recipient.of(msp, key) for msp, key in config.recipients.items()]
        issuer = EmissionsIssuer(IssuerSettings(config.did, edition=config.edition), admin, ledger,
                                 BillCustody(LocalContentStore(config.bills)), store, recipients)
        manager = AuditManager(AuditorConfig(config.data_dir, config.utilities, exchange_timeout=config.exchange_timeout,
                                             sweep_interval=config.sweep_interval), admin, http, store, issuer)
        if before_start is not None:
            before_start(manager)
        runner = web.AppRunner(build_app(manager, config.webhook_secret, config.operator_key), access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, config.host, config.port).start()
        # The first sweep resumes what a stop or a kill left open; it runs beside the service, so a
        # long resume (or an agent still starting) does not hold back the webhooks and the API.
        first = asyncio.create_task(_first_sweep(manager))
        stack.push_async_callback(_cancelled, first)
        yield manager


async def _first_sweep(manager: AuditManager) -> None:
    try:
        await manager.start()
    except Exception:  # noqa: BLE001 - the sweep timer tries again
        LOG.exception("the first sweep failed; the sweep timer tries again")


async def _cancelled(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def serve_auditor(config: AuditorServiceConfig, *, ready_file: Path | None = None,
                        before_start: Callable[[AuditManager], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT; `ready_file` gets host:port once webhooks and the API are
    served. A stop lets the step in hand finish its write; a kill is survived by the store."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with running_auditor(config, before_start=before_start):
        if ready_file is not None:
            ready_file.write_text(f"{config.host}:{config.port}")
        await stopping.wait()
