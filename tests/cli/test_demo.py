"""`emissions demo`: the README's main job, run as a newcomer would: the whole mission on the
embedded stack (dev peer, four agents, controllers), then again on the same data directory."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

from controllers.customer.directory import CustomerDirectory
from controllers.customer.store import CustomerStore
from controllers.ledger import load_profile
from controllers.workflow import WorkflowStore
from testkit.agents import require_agents
from testkit.embedded import free_base_port
from testkit.policy import ROOT


def demo(*args: str, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emissions.cli", "demo", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_demo_runs_the_mission_and_reruns_on_the_same_data(tmp_path):
    require_agents()
    data, base = tmp_path / "demo", str(free_base_port())
    first = demo("--customers", "2", "--json", "--data-dir", str(data), "--base-port", base)
    assert first.returncode == 0, first.stderr[-3000:] + first.stdout[-3000:]  # --json: "failed" says why
    report = json.loads(first.stdout)
    assert_two_customers_verified(report, data)
    assert "loading eGRID2023" in first.stderr and "[demo]" in first.stderr  # progress on stderr
    # Connection profiles for every org, printed, so `emissions ledger --profile` reaches the demo's ledger.
    profiles = data / "ledger" / "profiles"
    assert f"connection profiles in {profiles.resolve()}" in first.stderr
    verifier = load_profile(profiles / "VerifierMSP.toml")
    assert (verifier.msp_id, verifier.channel, verifier.gateway) == ("VerifierMSP", "utilityemissions",
                                                                     f"127.0.0.1:{int(base) + 50}")
    assert {p.name for p in profiles.iterdir()} >= {"Auditor1MSP.toml", "Auditor1MSP-Admin.toml", "Auditor2MSP.toml"}

    _assert_no_personal_data_on_the_public_ledger(data)

    again = demo("--customers", "1", "--gas", "0", "--data-dir", str(data), "--base-port", base)
    assert again.returncode == 0, again.stderr[-3000:] + again.stdout[-3000:]
    assert "loading eGRID2023" not in again.stderr and "registered auditor" not in again.stderr
    assert "12 of 12 credentials verified" in again.stdout and "customer-1" in again.stdout


def assert_two_customers_verified(report: dict, data) -> None:
    """What `demo --customers 2 --json` must report, on any ledger: 12 monthly bills of electricity
    each (Scope 2), and of natural gas for customer-1 (Scope 1, its `--gas 1` account)."""
    assert report["ok"] and report["failed"] == {}
    assert report["bills_decrypted_by_customer"] == 2
    assert report["credentials"] == 36 and report["verified"] == 36
    rows = report["rows"]
    assert {r["customer"] for r in rows} == {"customer-1", "customer-2"}
    assert len({r["record_id"] for r in rows}) == 36 and all(r["verified"] for r in rows)
    by_scope = {scope: [r for r in rows if r["scope"] == scope] for scope in (1, 2)}
    assert len(by_scope[2]) == 24 and len(by_scope[1]) == 12
    assert {r["customer"] for r in by_scope[1]} == {"customer-1"}
    assert all(r["usage"].endswith(" kWh") and float(r["market_tco2e"]) > 0 for r in by_scope[2])
    assert all(r["usage"].endswith(" therm") and r["market_tco2e"] == "" for r in by_scope[1])
    assert all(float(r["tco2e"]) > 0 and float(r["usage"].split()[0]) > 0 for r in rows)
    assert all(r["block_number"] > 0 for r in rows)
    # Each customer's credentials carry its own account's usage, not another customer's.
    yearly = {c: [r["usage"] for r in by_scope[2] if r["customer"] == c] for c in ("customer-1", "customer-2")}
    assert yearly["customer-1"] != yearly["customer-2"]
    assert report["where"]["data_dir"] == str(data.resolve())


def _assert_no_personal_data_on_the_public_ledger(data) -> None:
    """The demo customers' DIDs (one wallet each) and account / service point numbers (DEMO-...,
    SP-...) appear in the private collection only: never in public state, history, blocks (with
    their events) or hashes."""
    with WorkflowStore(data / "customer" / "customers.sqlite3") as store:
        dids = [CustomerStore(store, scope=entry.wallet_id).get_meta("did").encode()
                for entry in CustomerDirectory(store).all()]
    assert len(dids) == 2 and len(set(dids)) == 2  # two customers, two wallets, two DIDs
    ledger = sqlite3.connect(data / "ledger" / "devpeer" / "ledger.sqlite")
    try:
        # Whole identifiers, not prefixes: a short byte string turns up by chance in signatures.
        secrets = re.compile(b"|".join(re.escape(d) for d in dids) + rb"|(DEMO|SP)-[0-9A-F]{6}-[0-9]{3}")
        for table, column in (("blocks", "block"), ("state", "value"), ("history", "value"), ("pvt_hash", "value_hash")):
            for (value,) in ledger.execute(f"SELECT {column} FROM {table}"):
                found = secrets.search(bytes(value))
                assert found is None, f"{table}: {found.group()!r}"
        private = b"".join(bytes(v) for (v,) in ledger.execute("SELECT value FROM pvt"))
        assert {m.group() for m in secrets.finditer(private)} >= set(dids)
        assert re.search(rb"DEMO-[0-9A-F]{6}-001", private)  # the scan looks for what is there
    finally:
        ledger.close()


def test_unknown_utility_is_one_readable_line(tmp_path):
    proc = demo("--data-dir", str(tmp_path), "--utility", "999999999", timeout=120)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("emissions:")]
    assert lines and "999999999" in lines[0]
    assert "Traceback" not in proc.stderr
