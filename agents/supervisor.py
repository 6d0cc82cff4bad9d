"""`AgentSupervisor`: start, find, and stop the project's ACA-Py agents as local processes.

State lives in `<data_dir>/agents.json` (pid, kernel start time, ports per role), guarded by an
advisory lock, so a second `up` from any process finds running agents instead of starting twins,
and `down` from another process stops exactly the processes `up` started.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from agents.processes import ProcessIdentity, identity_of
from agents.spec import AgentSpec

__all__ = ["AgentError", "AgentStartError", "AgentStatus", "AgentSupervisor", "RunningAgent", "Progress"]

STATE_FILE = "agents.json"
_LOCK_FILE = ".agents.lock"
Progress = Callable[[str, str], None]  # (role, message)


class AgentError(Exception):
    """An agent could not be started, found or stopped; the message says which and why."""


class AgentStartError(AgentError):
    pass


@dataclass(frozen=True)
class RunningAgent:
    role: str
    admin_url: str
    endpoint: str
    api_key: str = field(repr=False)
    pid: int
    log_path: Path
    controller_port: int
    webhook_secret: str = field(repr=False)
    started: bool  # False when `up` found it already running


@dataclass(frozen=True)
class AgentStatus:
    role: str
    state: str  # "running" | "stopped" | "stale" (recorded, but the process is gone or not ours)
    pid: int | None
    admin_url: str | None


def _marker(host: str, admin_port: int) -> str:
    # The agent we started on that admin port has exactly this in its argv (joined by spaces).
    return f"--admin {host} {admin_port}"


class AgentSupervisor:
    def __init__(self, data_dir: Path | str, *, progress: Progress | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self._progress = progress or (lambda role, message: None)
        self._children: dict[int, subprocess.Popen] = {}

    # -- state -----------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.data_dir / STATE_FILE

    def _load(self) -> dict[str, dict]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise AgentError(f"{self.state_path} is corrupt ({exc}); stop the agents by hand and delete it") from exc
        return data if isinstance(data, dict) else {}

    def _save(self, state: Mapping[str, dict]) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.state_path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.data_dir / _LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _ours(record: Mapping) -> bool:
        ident = ProcessIdentity(int(record["pid"]), int(record["start_ticks"]))
        return ident.matches(_marker(record["host"], int(record["admin_port"])))

    # -- status ----------------------------------------------------------------------------
    def status(self) -> dict[str, AgentStatus]:
        """Each recorded role's state, from the process table (no network)."""
        out = {}
        for role, rec in sorted(self._load().items()):
            state = "running" if self._ours(rec) else "stale"
            out[role] = AgentStatus(role, state, int(rec["pid"]), rec.get("admin_url"))
        return out

    # -- up --------------------------------------------------------------------------------
    async def up(self, specs: Mapping[str, AgentSpec], *, timeout: float = 60.0) -> dict[str, RunningAgent]:
        """Start every agent in `specs` that is not already running; wait until all are ready."""
        with self._locked():
            state = self._load()
            running: dict[str, RunningAgent] = {}
            started: list[str] = []
            try:
                for role, spec in specs.items():
                    rec = state.get(role)
                    if rec is not None and self._ours(rec):
                        if int(rec["admin_port"]) != spec.admin_port or int(rec["inbound_port"]) != spec.inbound_port:
                            raise AgentError(
                                f"{role} agent already running (pid {rec['pid']}) on admin port {rec['admin_port']}, "
                                f"not {spec.admin_port}; run `emissions agents down` first"
                            )
                        self._progress(role, f"already running (pid {rec['pid']})")
                        running[role] = self._running(spec, int(rec["pid"]), started=False)
                        continue
                    self._check_ports_free(spec)
                    pid, ident = self._spawn(spec)
                    state[role] = {
                        "pid": pid,
                        "start_ticks": ident.start_ticks,
                        "host": spec.host,
                        "admin_port": spec.admin_port,
                        "inbound_port": spec.inbound_port,
                        "admin_url": spec.admin_url,
                        "endpoint": spec.endpoint,
                        "log": str(spec.log_path),
                    }
                    self._save(state)  # recorded before waiting: a later `down` can always stop it
                    started.append(role)
                    self._progress(role, f"started (pid {pid}), log {spec.log_path}")
                    running[role] = self._running(spec, pid, started=True)
                await asyncio.gather(*(self._wait_ready(specs[r], running[r].pid, timeout) for r in running))
            except BaseException:
                await self._stop_roles(state, started)
                self._save(state)
                raise
            return running

    @staticmethod
    def _running(spec: AgentSpec, pid: int, *, started: bool) -> RunningAgent:
        return RunningAgent(
            role=spec.role,
            admin_url=spec.admin_url,
            endpoint=spec.endpoint,
            api_key=spec.api_key,
            pid=pid,
            log_path=spec.log_path,
            controller_port=spec.controller_port,
            webhook_secret=spec.webhook_secret,
            started=started,
        )

    @staticmethod
    def _check_ports_free(spec: AgentSpec) -> None:
        for what, port in (("inbound", spec.inbound_port), ("admin", spec.admin_port)):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((spec.host, port))
                except OSError:
                    raise AgentStartError(
                        f"{spec.role} agent: {what} port {port} is in use by another process; choose another --base-port"
                    ) from None

    def _spawn(self, spec: AgentSpec) -> tuple[int, ProcessIdentity]:
        spec.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(spec.log_path, "ab") as log:
            log.write(f"\n==== {time.strftime('%Y-%m-%dT%H:%M:%S%z')} starting {spec.role} agent ====\n".encode())
            log.flush()
            # Own session: the agent outlives the CLI that started it and gets no terminal signals.
            proc = subprocess.Popen(
                spec.argv(),
                env=spec.env(),
                cwd=spec.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._children[proc.pid] = proc
        ident = identity_of(proc.pid)
        if ident is None:
            raise AgentStartError(f"{spec.role} agent exited at once; see {spec.log_path}")
        return proc.pid, ident

    async def _wait_ready(self, spec: AgentSpec, pid: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        headers = {"X-API-Key": spec.api_key}
        began = time.monotonic()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as http:
            while True:
                if identity_of(pid) is None:
                    raise AgentStartError(f"{spec.role} agent exited during start-up:\n{_tail(spec.log_path)}")
                if await _ready(http, spec.admin_url, headers):
                    self._progress(spec.role, f"ready in {time.monotonic() - began:.1f} s at {spec.admin_url}")
                    return
                if time.monotonic() > deadline:
                    raise AgentStartError(
                        f"{spec.role} agent not ready after {timeout:.0f} s at {spec.admin_url}:\n{_tail(spec.log_path)}"
                    )
                await asyncio.sleep(0.1)

    # -- down ------------------------------------------------------------------------------
    async def down(self, roles: list[str] | None = None, *, timeout: float = 15.0) -> list[str]:
        """Stop the recorded agents (all, or `roles`) that are still ours; returns the roles stopped."""
        with self._locked():
            state = self._load()
            chosen = [r for r in (roles or list(state)) if r in state]
            stopped = await self._stop_roles(state, chosen, timeout=timeout)
            self._save(state)
            return stopped

    async def _stop_roles(self, state: dict[str, dict], roles: list[str], *, timeout: float = 15.0) -> list[str]:
        stopped = []
        targets: list[tuple[str, int]] = []
        for role in roles:
            rec = state.pop(role, None)
            if rec is None:
                continue
            if not self._ours(rec):
                self._progress(role, f"not running (pid {rec['pid']} is gone or not our agent); record dropped")
                continue
            pid = int(rec["pid"])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            targets.append((role, pid))
        deadline = time.monotonic() + timeout
        for role, pid in targets:
            while not self._reaped(pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if not self._reaped(pid):
                self._progress(role, f"did not stop in {timeout:.0f} s; killing pid {pid}")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                while not self._reaped(pid):
                    await asyncio.sleep(0.05)
            self._progress(role, f"stopped (pid {pid})")
            stopped.append(role)
        return stopped

    def _reaped(self, pid: int) -> bool:
        child = self._children.get(pid)
        if child is not None:
            if child.poll() is None:
                return False
            del self._children[pid]
            return True
        return identity_of(pid) is None


async def _ready(http: aiohttp.ClientSession, admin_url: str, headers: Mapping[str, str]) -> bool:
    """Ready means: admin API up AND the offline JSON-LD loader bound (see agents.jsonld_plugin)."""
    try:
        async with http.get(f"{admin_url}/status/ready", headers=headers) as r:
            if r.status != 200 or not (await r.json()).get("ready"):
                return False
        async with http.get(f"{admin_url}/emissions/jsonld", headers=headers) as r:
            return r.status == 200 and bool((await r.json()).get("offline_loader"))
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text[-lines:])
