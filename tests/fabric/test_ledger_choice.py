"""`--ledger devpeer|fabric` without starting a network: the options, and failing before anything starts."""

from __future__ import annotations

import subprocess
import sys

from emissions.stack import EmbeddedStack, StackConfig
from emissions.stack.backends import DevPeerBackend, FabricBackend, FabricLedger
from testkit.embedded import free_base_port
from testkit.policy import ROOT


def demo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emissions.cli", "demo", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_the_dev_peer_is_the_default_and_fabric_defaults_to_a_folder_in_the_data(tmp_path):
    assert isinstance(EmbeddedStack(StackConfig(tmp_path)).ledger, DevPeerBackend)
    fabric = EmbeddedStack(StackConfig(tmp_path, ledger=FabricLedger())).ledger
    assert isinstance(fabric, FabricBackend) and fabric.data == (tmp_path / "fabric").resolve()
    elsewhere = EmbeddedStack(StackConfig(tmp_path, ledger=FabricLedger(tmp_path / "net"))).ledger
    assert elsewhere.data == (tmp_path / "net").resolve()


def test_fabric_options_without_fabric_are_one_line(tmp_path):
    proc = demo("--data-dir", str(tmp_path), "--fabric-data", str(tmp_path / "net"))
    assert proc.returncode == 1
    assert "emissions: error: --fabric-data: needs --ledger fabric" in proc.stderr
    assert "Traceback" not in proc.stderr and not list(tmp_path.iterdir())


def test_missing_fabric_binaries_stop_the_demo_before_anything_starts(tmp_path):
    data = tmp_path / "demo"
    proc = demo("--data-dir", str(data), "--base-port", str(free_base_port()), "--ledger", "fabric",
                "--fabric-bin", str(tmp_path / "nowhere"))
    assert proc.returncode == 1
    assert "emissions: error: no Fabric binaries at" in proc.stderr and "Traceback" not in proc.stderr
    assert not (data / "fabric").exists() and not list((data / "agents").rglob("*.log"))
