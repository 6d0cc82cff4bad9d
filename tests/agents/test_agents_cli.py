"""`emissions agents up | status | down` as a user runs it: separate processes, real agents."""

from __future__ import annotations

import json
import os
import random
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from agents import ROLE_NAMES
from emissions.cli import main as cli_main
from testkit.agents import require_agents

ROOT = Path(__file__).resolve().parents[2]

# Until emissions.cli.agents_cmd is listed in COMMAND_MODULES, run the CLI with it appended.
_SHIM = (
    "import sys, emissions.cli.main as m\n"
    "if 'emissions.cli.agents_cmd' not in m.COMMAND_MODULES:\n"
    "    m.COMMAND_MODULES = (*m.COMMAND_MODULES, 'emissions.cli.agents_cmd')\n"
    "sys.exit(m.main(sys.argv[1:]))\n"
)


def emissions(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", _SHIM, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)


def _free_block() -> int:
    """A base port whose 4 agents' inbound and admin ports are all free right now."""
    for _ in range(50):
        base = random.randrange(20000, 55000, 10)
        ports = [base + 10 * i + d for i in range(len(ROLE_NAMES)) for d in (0, 1)]
        try:
            for p in ports:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return base
    pytest.fail("no free block of ports found")


@pytest.fixture
def cli_agents(tmp_path):
    require_agents()
    data = tmp_path / "agents"
    base = _free_block()
    yield data, base
    emissions("agents", "down", "--data-dir", str(data))  # never leave agents behind


def _pids(data: Path) -> dict[str, int]:
    return {r: rec["pid"] for r, rec in json.loads((data / "agents.json").read_text()).items()}


def test_up_status_twin_down(cli_agents):
    data, base = cli_agents
    assert cli_main  # the CLI module imports cleanly

    st = emissions("agents", "status", "--data-dir", str(data))
    assert st.returncode == 3 and st.stdout.count("stopped") == 4

    up = emissions("agents", "up", "--data-dir", str(data), "--base-port", str(base))
    assert up.returncode == 0, up.stderr
    for role in ROLE_NAMES:
        assert f"{role}" in up.stdout and "ready in" in up.stderr
    assert f"admin http://127.0.0.1:{base + 1}" in up.stdout
    first = _pids(data)
    assert set(first) == set(ROLE_NAMES)

    st = emissions("agents", "status", "--data-dir", str(data))
    assert st.returncode == 0, st.stdout
    assert st.stdout.count(" running ") == 4

    # A second `up` finds them instead of starting twins.
    again = emissions("agents", "up", "--data-dir", str(data), "--base-port", str(base))
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already running") == 4
    assert _pids(data) == first

    # Logs and secrets live in the data dir; secrets are private to the user.
    for role in ROLE_NAMES:
        assert (data / role / "agent.log").stat().st_size > 0
        assert stat.S_IMODE((data / role / "secrets.json").stat().st_mode) == 0o600
        assert (data / role / "acapy" / "wallet" / f"emissions-{role}" / "sqlite.db").exists()
        cmdline = Path(f"/proc/{first[role]}/cmdline").read_bytes()
        secrets = json.loads((data / role / "secrets.json").read_text())
        assert secrets["admin_api_key"].encode() not in cmdline and secrets["wallet_key"].encode() not in cmdline

    down = emissions("agents", "down", "--data-dir", str(data))
    assert down.returncode == 0, down.stderr
    assert all(not Path(f"/proc/{pid}").exists() or b"Z" in Path(f"/proc/{pid}/stat").read_bytes().split(b") ")[1][:1] for pid in first.values())
    st = emissions("agents", "status", "--data-dir", str(data))
    assert st.returncode == 3 and st.stdout.count("stopped") == 4


def test_down_never_signals_a_process_that_is_not_ours(cli_agents, tmp_path):
    data, _ = cli_agents
    # A record whose pid belongs to some other live process (here: a sleeper we own).
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        data.mkdir(parents=True)
        (data / "agents.json").write_text(json.dumps({
            "customer": {"pid": stranger.pid, "start_ticks": 1, "host": "127.0.0.1", "admin_port": 1, "inbound_port": 2,
                         "admin_url": "http://127.0.0.1:1", "endpoint": "http://127.0.0.1:2", "log": "x"}
        }))
        st = emissions("agents", "status", "--data-dir", str(data))
        assert "customer  stale" in st.stdout and st.returncode == 3
        down = emissions("agents", "down", "--data-dir", str(data))
        assert down.returncode == 0
        assert "not our agent" in down.stderr
        assert stranger.poll() is None  # still alive
    finally:
        stranger.kill()
        stranger.wait()


def test_up_reports_a_busy_port(cli_agents):
    data, base = cli_agents
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base + 1))  # the utility's admin port
        squatter.listen()
        up = emissions("agents", "up", "--data-dir", str(data), "--base-port", str(base))
    assert up.returncode == 1
    assert f"admin port {base + 1} is in use" in up.stderr
    assert not (data / "agents.json").exists() or json.loads((data / "agents.json").read_text()) == {}
