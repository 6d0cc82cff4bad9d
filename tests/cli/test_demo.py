"""`emissions demo`: the README's main job, run as a newcomer would."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

from controllers.cli.main import main


def test_demo_reports_twelve_billing_months_of_pge_emissions(tmp_path, capsys):
    assert main(["demo", "--data-dir", str(tmp_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)

    emissions = document["emissions"]
    assert emissions["utility"]["eia_id"] == 14328
    periods = emissions["periods"]
    assert len(periods) == 12
    assert {p["location_factor"]["region"] for p in periods} == {"CAMX"}
    # The delivered total the parser reports is the total the calculation used.
    usage_kwh = Decimal(str(document["usage"]["series"][0]["total"]))
    assert Decimal(emissions["totals"]["kwh"]) == usage_kwh
    # CAMX CO2e 429.983 lb/MWh: kg = kWh * 0.429983 * 0.45359237, within per-period rounding.
    expected = usage_kwh * Decimal("429.983") * Decimal("0.45359237") / 1000
    assert abs(Decimal(emissions["totals"]["location_co2e_kg"]) - expected) < Decimal("0.01")


def test_demo_is_deterministic_for_a_seed(tmp_path, capsys):
    main(["demo", "--data-dir", str(tmp_path / "a"), "--json", "--seed", "3"])
    first = json.loads(capsys.readouterr().out)
    main(["demo", "--data-dir", str(tmp_path / "b"), "--json", "--seed", "3"])
    second = json.loads(capsys.readouterr().out)
    assert first["emissions"] == second["emissions"]


def test_unknown_utility_is_one_readable_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "controllers.cli", "demo", "--data-dir", str(tmp_path), "--utility", "999999999"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("emissions:")]
    assert lines and "999999999" in lines[0]
    assert "Traceback" not in proc.stderr
