"""`emissions demo --ledger fabric`: the whole mission (consent, fetch, anchor, issue, verify) on a
real Fabric network, as the dev peer's demo test runs it (tests/cli/test_demo.py).

The demo gets a network of its own (its own folder and ports), not the session's `fabric_network`:
the ledger's auditor registry binds each auditor org to its agent's DIDs, so the demo's stack and
tests/fabric/test_network.py (which registers test DIDs) cannot share one ledger. Run first (the
file sorts first), it is also the only network on the machine while it runs.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agents import AgentSupervisor
from controllers.customer.directory import CustomerDirectory
from controllers.customer.store import CustomerStore
from controllers.ledger import load_profile
from controllers.workflow import WorkflowStore
from network.fabric.layout import PORT_SPAN
from testkit.agents import require_agents
from testkit.embedded import free_base_port
from testkit.fabric import free_fabric_base_port, network_cli, require_fabric
from testkit.policy import ROOT
from tests.cli.test_demo import assert_two_customers_verified

pytestmark = pytest.mark.slow


def demo(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emissions.cli", "demo", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def _ports() -> tuple[int, int]:
    """A stack base port and a Fabric base port whose ranges do not overlap."""
    while True:
        stack, fabric = free_base_port(), free_fabric_base_port()
        if fabric + PORT_SPAN <= stack or fabric >= stack + 1100:
            return stack, fabric


def _running(fabric: Path) -> list[str]:
    return sorted(p.name for p in (fabric / "run").glob("*.pid"))


def test_demo_runs_the_mission_on_a_real_fabric_network(tmp_path):
    require_fabric()
    require_agents()
    data, fabric = tmp_path / "demo", tmp_path / "fabric"
    base, fabric_base = _ports()
    ledger = ("--ledger", "fabric", "--fabric-data", str(fabric), "--fabric-base-port", str(fabric_base))
    try:
        first = demo("--customers", "2", "--json", "--data-dir", str(data), "--base-port", str(base), *ledger)
        assert first.returncode == 0, first.stderr[-4000:] + first.stdout[-3000:]  # --json: "failed" says why
        report = json.loads(first.stdout)
        assert_two_customers_verified(report, data)  # anchored in blocks of the real channel
        rows = report["rows"]
        assert report["where"]["ledger"] == str((fabric / "nodes").resolve())
        # The stack ran `network up` and used its profiles; no dev peer.
        assert "network: creating" in first.stderr and "loading eGRID2023" in first.stderr
        assert "ledger: dev peer" not in first.stderr and not (data / "ledger").exists()
        profiles = fabric / "profiles"
        assert f"connection profiles in {profiles.resolve()}" in first.stderr
        verifier = load_profile(profiles / "VerifierMSP.toml")
        assert (verifier.msp_id, verifier.gateway) == ("VerifierMSP", f"127.0.0.1:{fabric_base + 30}")
        assert verifier.tls_ca is not None
        # The stack started the network, so it stopped it.
        assert _running(fabric) == []

        _assert_no_personal_data_in_the_blocks(data, fabric, {r["record_id"] for r in rows})

        # Again on the same data, with the network started beforehand: reused, and left running.
        up = network_cli("up", "--data", str(fabric))
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-2000:]
        before = _running(fabric)
        again = demo("--customers", "1", "--gas", "0", "--data-dir", str(data), "--base-port", str(base), *ledger)
        assert again.returncode == 0, again.stderr[-4000:] + again.stdout[-3000:]
        assert "is running (it stays running" in again.stderr
        assert "loading eGRID2023" not in again.stderr and "registered auditor" not in again.stderr
        assert "12 of 12 credentials verified" in again.stdout and "customer-1" in again.stdout
        assert _running(fabric) == before and len(before) == 11
    finally:
        network_cli("down", "--data", str(fabric), timeout=120)
        if (data / "agents").exists():  # a demo killed by its timeout leaves its agents behind
            asyncio.run(AgentSupervisor(data / "agents").down())


def _assert_no_personal_data_in_the_blocks(data: Path, fabric: Path, record_ids: set[str]) -> None:
    """The demo customers' DIDs and account / service point numbers (DEMO-..., SP-...) travel as
    transient data into the private collection only: never in a block of the channel (every peer's
    and orderer's block files: transactions, their public writes, private-data hashes, events)."""
    with WorkflowStore(data / "customer" / "customers.sqlite3") as store:
        dids = [CustomerStore(store, scope=entry.wallet_id).get_meta("did").encode()
                for entry in CustomerDirectory(store).all()]
    assert len(dids) == 2 and len(set(dids)) == 2
    files = sorted((fabric / "nodes").rglob("blockfile_*"))
    peers = [f for f in files if f.parts[len((fabric / "nodes").parts)].startswith("peer")]
    assert len(peers) >= 2 and len(files) >= 4, files  # both peers, the orderers
    secrets = re.compile(b"|".join(re.escape(d) for d in dids) + rb"|(DEMO|SP)-[0-9A-F]{6}-[0-9]{3}")
    for path in files:
        blocks = path.read_bytes()
        found = secrets.search(blocks)
        assert found is None, f"{path.relative_to(fabric)}: {found.group()!r}"
    # The scan reads what is there: each peer's blocks hold every record the demo anchored.
    for path in peers:
        blocks = path.read_bytes()
        assert {r for r in record_ids if r.encode() not in blocks} == set(), path
