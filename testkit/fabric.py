"""A real Fabric network (`emissions network up`) for the tests that run against one: started once
per session in a temporary folder on a free range of loopback ports, stopped at the end.

Without the binaries (see network.fabric.binaries) the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from controllers.ledger import ConnectionProfile, load_profile
from network.fabric.binaries import fabric_available
from network.fabric.layout import PORT_SPAN
from testkit.policy import ROOT, require
from testkit.ports import free_base

__all__ = ["FabricNetwork", "fabric_network", "free_fabric_base_port", "network_cli", "require_fabric"]


def require_fabric() -> None:
    reason = fabric_available()
    require(reason is None, reason or "")


def free_fabric_base_port() -> int:
    """A base port whose PORT_SPAN ports are all free (probed by binding each)."""
    return free_base(lambda base: range(base, base + PORT_SPAN), span=PORT_SPAN, step=100)


def network_cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """`emissions network ...` as a person runs it (its own process, the project's interpreter)."""
    return subprocess.run([sys.executable, "-m", "emissions.cli", "network", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


@dataclass
class FabricNetwork:
    data: Path
    base_port: int
    up_seconds: float
    up_output: str
    shared: dict = field(default_factory=dict)  # what one test leaves for a later one

    def cli(self, command: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
        return network_cli(command, "--data", str(self.data), *args, timeout=timeout)

    def status(self) -> dict:
        done = self.cli("status", "--json", timeout=60)
        return json.loads(done.stdout)

    def profile(self, name: str) -> ConnectionProfile:
        """`Auditor1MSP`, `Auditor1MSP-Admin`, `VerifierMSP`, ..."""
        return load_profile(self.data / "profiles" / f"{name}.toml")

    def up(self) -> subprocess.CompletedProcess:
        return self.cli("up", "--base-port", str(self.base_port))


@pytest.fixture(scope="session")
def fabric_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FabricNetwork]:
    require_fabric()
    data = tmp_path_factory.mktemp("fabric") / "network"
    base = free_fabric_base_port()
    started = time.monotonic()
    done = network_cli("up", "--data", str(data), "--base-port", str(base))
    network = FabricNetwork(data, base, time.monotonic() - started, done.stdout)
    try:
        if done.returncode != 0:
            pytest.fail(f"emissions network up failed:\n{done.stdout}{done.stderr}")
        yield network
    finally:
        network.cli("down", timeout=60)
