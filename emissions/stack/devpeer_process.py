"""The dev peer as a child process with a persistent data directory, found again on restart.

Its pid and kernel start time go to `<ledger>/devpeer.json`, so a later stack start reuses a dev
peer that is still running (same config, same port) and a stop signals only the process this
stack started, never another one that reused the pid.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.processes import ProcessIdentity, identity_of

__all__ = ["DevPeerProcess", "DevPeerStartError"]

_PROJECT = Path(__file__).resolve().parents[2]


class DevPeerStartError(RuntimeError):
    """The dev peer did not come up; the message carries the end of its log."""


def _toml(mapping: dict[str, Any]) -> str:
    """The dev peer config as TOML (flat tables and arrays of tables: all this config needs)."""
    def value(v: Any) -> str:
        return json.dumps(v) if isinstance(v, (str, int, float, bool)) else "[" + ", ".join(value(x) for x in v) + "]"

    lines = [f"{k} = {value(v)}" for k, v in mapping.items() if not isinstance(v, (dict, list))]
    for key, v in mapping.items():
        if isinstance(v, dict):
            lines += ["", f"[{key}]", *(f"{k} = {value(x)}" for k, x in v.items())]
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                lines += ["", f"[[{key}]]", *(f"{k} = {value(x)}" for k, x in item.items())]
    return "\n".join(lines) + "\n"


@dataclass
class DevPeerProcess:
    root: Path  # <data_dir>/ledger
    address: str = ""
    pid: int = 0
    started: bool = False

    @property
    def state_file(self) -> Path:
        return self.root / "devpeer.json"

    @property
    def log_path(self) -> Path:
        return self.root / "devpeer.log"

    def _running(self) -> dict[str, Any] | None:
        try:
            state = json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        ident = ProcessIdentity(int(state["pid"]), int(state["start_ticks"]))
        return state if ident.matches("devpeer") else None

    async def start(self, mapping: dict[str, Any], *, timeout: float = 30.0) -> str:
        """Start (or find) the dev peer for `mapping`; returns its gateway address."""
        config = self.root / "devpeer.toml"
        text = _toml(mapping)
        tomllib.loads(text)  # a config we cannot read back is a bug here, not in the dev peer
        running = self._running()
        if running is not None and running.get("config") == text:
            self.address, self.pid, self.started = running["address"], int(running["pid"]), False
            return self.address
        if running is not None:
            self._signal(int(running["pid"]))
        self.root.mkdir(parents=True, exist_ok=True)
        config.write_text(text)
        ready = self.root / "devpeer.ready"
        ready.unlink(missing_ok=True)
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "emissions.cli", "devpeer", "--config", str(config), "--ready-file", str(ready)],
                cwd=_PROJECT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(_PROJECT), os.environ.get("PYTHONPATH"))))},
            )
        deadline = time.monotonic() + timeout
        while not (ready.exists() and ready.read_text().strip()):
            if process.poll() is not None:
                raise DevPeerStartError(f"the dev peer exited at start-up:\n{self._tail()}")
            if time.monotonic() > deadline:
                process.kill()
                raise DevPeerStartError(f"the dev peer was not ready after {timeout:.0f} s:\n{self._tail()}")
            await asyncio.sleep(0.05)
        self.address, self.pid, self.started = ready.read_text().strip(), process.pid, True
        ident = identity_of(process.pid)
        self.state_file.write_text(json.dumps({"pid": process.pid, "start_ticks": ident.start_ticks if ident else 0,
                                               "address": self.address, "config": text}))
        return self.address

    async def stop(self, *, timeout: float = 10.0) -> None:
        running = self._running()
        if running is None:
            return
        pid = int(running["pid"])
        self._signal(pid)
        deadline = time.monotonic() + timeout
        while identity_of(pid) is not None and time.monotonic() < deadline:
            try:
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
            except ChildProcessError:
                pass
            await asyncio.sleep(0.05)
        if identity_of(pid) is not None:
            os.kill(pid, signal.SIGKILL)
        self.state_file.unlink(missing_ok=True)

    @staticmethod
    def _signal(pid: int) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def _tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
