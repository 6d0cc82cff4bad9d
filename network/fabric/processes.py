"""Long-running processes the network starts: each with a pid file, a log, and a readiness port.

A pid file holds the pid, the executable and the log offset at start. A pid is only trusted while
/proc/<pid>/cmdline still starts with that executable (pids get reused), so `down` stops exactly
what `up` started and nothing else. Tools that run and exit (peer CLI, osnadmin, configtxgen,
fabric-ca-client) go through `run`, whose failure is one line: the tool's own last error line.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from network.fabric.errors import FabricError

__all__ = ["ProcessSpec", "Running", "alive", "in_parallel", "read_pid", "run", "start", "stop", "wait_listening"]


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    ready_port: int | None = None  # listening on 127.0.0.1:ready_port means started


@dataclass(frozen=True)
class Running:
    name: str
    pid: int
    log: Path
    log_offset: int
    started_now: bool


def _pid_file(run_dir: Path, name: str) -> Path:
    return run_dir / f"{name}.pid"


def log_file(logs_dir: Path, name: str) -> Path:
    return logs_dir / f"{name}.log"


def alive(pid: int, executable: str | None = None) -> bool:
    """Whether `pid` runs (not a zombie) and, when given, still runs `executable`."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] in {"Z", "X"}:
        return False
    return executable is None or (bool(cmdline) and cmdline[0].decode(errors="replace") == executable)


def read_pid(run_dir: Path, name: str) -> dict | None:
    """The pid file's record when its process is still the one started; stale files are removed."""
    path = _pid_file(run_dir, name)
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if alive(record["pid"], record["exe"]):
        return record
    path.unlink(missing_ok=True)
    return None


def start(spec: ProcessSpec, run_dir: Path, logs_dir: Path) -> Running:
    """Start `spec` unless its pid file names a live process; appends to its log either way."""
    run_dir.mkdir(parents=True, exist_ok=True)
    logs_dir.mkdir(parents=True, exist_ok=True)
    log = log_file(logs_dir, spec.name)
    existing = read_pid(run_dir, spec.name)
    if existing:
        return Running(spec.name, existing["pid"], log, existing.get("log_offset", 0), False)
    offset = log.stat().st_size if log.exists() else 0
    env = {**os.environ, **spec.env}
    with open(log, "ab") as out:
        try:
            process = subprocess.Popen(list(spec.argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                       cwd=spec.cwd, env=env, start_new_session=True)
        except OSError as exc:
            raise FabricError(f"cannot start {spec.name} ({spec.argv[0]}): {exc.strerror}") from None
    _pid_file(run_dir, spec.name).write_text(json.dumps({"pid": process.pid, "exe": spec.argv[0], "log_offset": offset,
                                                         "started": time.time()}) + "\n")
    return Running(spec.name, process.pid, log, offset, True)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: init reaps it


def stop(run_dir: Path, name: str, *, timeout: float = 10.0) -> int | None:
    """Stop the process of `name`'s pid file (SIGTERM, then SIGKILL after `timeout`); its pid, or
    None when it was not running."""
    record = read_pid(run_dir, name)
    if record is None:
        return None
    pid = record["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not alive(pid):
            break
        time.sleep(0.05)
    else:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for _ in range(100):
            _reap(pid)
            if not alive(pid):
                break
            time.sleep(0.05)
    _pid_file(run_dir, name).unlink(missing_ok=True)
    return pid


def listening(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def last_log_line(log: Path, offset: int = 0) -> str:
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            lines = [line.strip() for line in f.read().decode(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    errors = [line for line in lines if any(w in line for w in ("ERRO", "PANI", "FATA", "Error", "error"))]
    return (errors or lines or [""])[-1][:400]


def wait_listening(running: Running, port: int, *, timeout: float = 30.0) -> None:
    """Until the process listens on `port`; FabricError with its last log line if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if listening(port):
            return
        _reap(running.pid)
        if not alive(running.pid):
            raise FabricError(f"{running.name} exited while starting: {last_log_line(running.log, running.log_offset)} "
                              f"(log: {running.log})")
        time.sleep(0.05)
    raise FabricError(f"{running.name} did not listen on port {port} within {timeout:g} s (log: {running.log})")


def _error_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for marker in ("Error:", "Error ", "FATA", "ERRO"):
        hits = [line for line in lines if marker in line]
        if hits:
            return hits[-1]
    return lines[-1] if lines else "no output"


def run(argv: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 60.0,
        what: str | None = None, cwd: Path | None = None) -> str:
    """Run a tool to completion; its stdout, or FabricError with its error line (from either stream)."""
    try:
        done = subprocess.run(list(argv), env={**os.environ, **(env or {})}, capture_output=True, text=True,
                              timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise FabricError(f"{what or Path(argv[0]).name} did not finish within {timeout:g} s") from None
    except OSError as exc:
        raise FabricError(f"cannot run {argv[0]}: {exc.strerror}") from None
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise FabricError(f"{what or Path(argv[0]).name} failed: {_error_line(output)}")
    return done.stdout


def in_parallel(function: Callable, items: list) -> list:
    """function(item) for every item at once (each is a child process or a wait on one); results in order."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(function, items))
