"""`emissions ledger` against a dev peer running as its own process (`emissions devpeer`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from emissions.cli import main as cli
from greenbutton import write_feed

from testkit.ledger import ORGS, devpeer_mapping
from tests.emissions_chaincode.setup import DIDS, KEY_AGREEMENT

CUSTOMER = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"


def _toml_value(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)


def write_devpeer_toml(mapping: dict, path: Path) -> None:
    lines = [f"{key} = {_toml_value(value)}" for key, value in mapping.items() if not isinstance(value, (dict, list))]
    lines += [f"listen = {_toml_value(mapping['listen'])}", f"block_cutting = {_toml_value(mapping['block_cutting'])}"]
    for table in ("orgs", "chaincodes"):
        for entry in mapping[table]:
            lines.append(f"[[{table}]]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in entry.items()]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def devpeer(crypto, tmp_path):
    config = tmp_path / "devpeer.toml"
    write_devpeer_toml(devpeer_mapping(crypto, tmp_path / "ledger"), config)
    ready = tmp_path / "ready"
    process = subprocess.Popen([sys.executable, "-m", "emissions.cli", "devpeer", "--config", str(config),
                                "--ready-file", str(ready)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() or not ready.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dev peer did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        yield ready.read_text()
    finally:
        process.terminate()
        process.wait(10)


def profiles(crypto: Path, address: str, folder: Path) -> dict[str, Path]:
    paths = {}
    for msp, domain in ORGS.items():
        for user in ("Admin", "User1"):
            path = folder / f"{msp}-{user}.toml"
            msp_dir = crypto / "peerOrganizations" / domain / "users" / f"{user}@{domain}" / "msp"
            path.write_text(f'gateway = "{address}"\nmsp_id = "{msp}"\nmsp_dir = "{msp_dir}"\n')
            paths[f"{msp}-{user}"] = path
    return paths


def run(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_loads_factors_registers_records_and_verifies(devpeer, crypto, tmp_path, monkeypatch, capsys):
    p = profiles(crypto, devpeer, tmp_path)
    secret_file = tmp_path / "index.secret"
    code, _, err = run(monkeypatch, capsys, "ledger", "--profile", str(p["Auditor1MSP-Admin"]), "bootstrap",
                       "--orgs", "Auditor1MSP,Auditor2MSP", "--index-secret-file", str(secret_file))
    assert code == 0, err
    assert f"generated a new customer index secret in {secret_file} (mode 0600)" in err
    assert secret_file.stat().st_mode & 0o777 == 0o600
    secret_file.chmod(0o640)
    code, _, err = run(monkeypatch, capsys, "ledger", "--profile", str(p["Auditor2MSP-Admin"]), "bootstrap",
                       "--orgs", "Auditor1MSP,Auditor2MSP", "--index-secret-file", str(secret_file))
    assert code == 1 and "is accessible to others (mode 0640)" in err
    secret_file.chmod(0o600)
    code, _, err = run(monkeypatch, capsys, "ledger", "--profile", str(p["Auditor2MSP-Admin"]), "bootstrap",
                       "--orgs", "Auditor1MSP,Auditor2MSP", "--index-secret-file", str(secret_file))
    assert code == 0, err  # the same secret, read from the file
    code, out, err = run(monkeypatch, capsys, "ledger", "--profile", str(p["Auditor1MSP-Admin"]), "load-factors")
    assert code == 0, err
    assert json.loads(out)["counts"] == {"states": 52, "subregions": 27, "utilities": 3595}
    assert "utilities: 3595/3595" in err

    code, out, _ = run(monkeypatch, capsys, "ledger", "--profile", str(p["Auditor1MSP-Admin"]), "register-auditor",
                       "--msp-id", "Auditor1MSP", "--name", "Auditor One", "--did", DIDS["Auditor1MSP"],
                       "--key-agreement-key", KEY_AGREEMENT["Auditor1MSP"])
    proposal = json.loads(out)["proposal_id"]
    code, out, _ = run(monkeypatch, capsys, "ledger", "--profile", str(p["Auditor2MSP-Admin"]), "approve", proposal)
    assert json.loads(out)["status"] == "applied"

    bill = tmp_path / "usage.xml"
    write_feed(bill, seed=1, start=date(2024, 1, 1), days=62)
    code, out, err = run(monkeypatch, capsys, "ledger", "--profile", str(p["Auditor1MSP-User1"]), "record",
                         "--utility", "14328", "--customer-did", CUSTOMER, "--account", "ACCT-77",
                         "--service-point", "SP-1", "--auditor-did", DIDS["Auditor1MSP"], "--period", "1", str(bill))
    assert code == 0, err
    [result] = json.loads(out)
    record_id = result["record"]["record_id"]
    assert "location" not in result["record"]  # figures are private

    code, out, _ = run(monkeypatch, capsys, "ledger", "--profile", str(p["Auditor2MSP-User1"]), "get-record",
                       record_id, "--detail")
    detail = json.loads(out)["detail"]
    assert detail["account_id"] == "ACCT-77"
    assert detail["emissions"]["location"]["source"] == "eGRID2023 subregion CAMX"
    detail_file = tmp_path / "detail.json"
    detail_file.write_text(json.dumps(detail, indent=4))  # any formatting: it is hashed canonically
    code, out, _ = run(monkeypatch, capsys, "ledger", "--profile", str(p["VerifierMSP-User1"]), "verify-record",
                       record_id, "--detail", str(detail_file))
    assert code == 0 and json.loads(out)["matches"] is True
    detail_file.write_text(json.dumps({**detail, "account_id": "ACCT-78"}))
    code, out, _ = run(monkeypatch, capsys, "ledger", "--profile", str(p["VerifierMSP-User1"]), "verify-record",
                       record_id, "--detail", str(detail_file))
    assert code == 3 and json.loads(out)["matches"] is False

    code, _, err = run(monkeypatch, capsys, "ledger", "--profile", str(p["VerifierMSP-User1"]), "record",
                       "--utility", "14328", "--customer-did", CUSTOMER, "--account", "ACCT-77",
                       "--service-point", "SP-1", "--auditor-did", DIDS["Auditor1MSP"], str(bill))
    assert code == 1 and "VerifierMSP is not a registered auditor org" in err


def test_package_chaincode_prints_a_reproducible_package_id(tmp_path, monkeypatch, capsys):
    ids = []
    for name in ("a.tar.gz", "b.tar.gz"):
        code, out, _ = run(monkeypatch, capsys, "ledger", "package-chaincode", "--address", "emissions-cc:9999",
                           "--out", str(tmp_path / name))
        assert code == 0
        ids.append(out.strip())
    assert ids[0] == ids[1] and ids[0].startswith("emissions_1.0:")
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
