"""`emissions greenbutton summarize|generate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emissions.cli.main import main

FIXTURES = Path(__file__).parent / "fixtures"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["greenbutton", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_summarize_json_has_the_documented_fields(capsys):
    code, out, _ = run(capsys, "summarize", str(FIXTURES / "electric_prefixed_feed.xml"), "--json")
    assert code == 0
    (series,) = json.loads(out)["series"]
    assert {k: series[k] for k in ("commodity", "unit", "flow", "total", "readings", "start", "end")} == {
        "commodity": "electricity",
        "unit": "kWh",
        "flow": "forward",
        "total": 4.75,
        "readings": 4,
        "start": "2024-01-01T00:00:00Z",
        "end": "2024-01-01T04:00:00Z",
    }
    assert (series["cost"], series["currency"]) == (1.425, "USD")
    assert (series["duplicates"], series["gaps"]) == (0, 0)


def test_summarize_json_keeps_series_apart_and_reports_issues(capsys):
    _, out, _ = run(capsys, "summarize", str(FIXTURES / "mixed_feed.xml"), "--json", "--net")
    data = json.loads(out)
    keys = {(s["commodity"], s["flow"], s["accumulation"]): s for s in data["series"]}
    assert set(keys) == {
        ("gas", "forward", "deltaData"),
        ("electricity", "forward", "deltaData"),
        ("electricity", "reverse", "deltaData"),
        ("electricity", "forward", "cumulative"),
    }
    assert keys[("electricity", "forward", "cumulative")]["total"] is None
    assert keys[("electricity", "forward", "cumulative")]["last_value"] == 102
    (net,) = [n for n in data["net"] if n["commodity"] == "electricity"]
    assert net["net"] == 1.5

    _, out, _ = run(capsys, "summarize", str(FIXTURES / "unordered_duplicates_gaps.xml"), "--json")
    (series,) = json.loads(out)["series"]
    assert (series["duplicates"], series["conflicting_duplicates"], series["gaps"]) == (2, 1, 1)


def test_summarize_reports_billing_periods(capsys):
    _, out, _ = run(capsys, "summarize", str(FIXTURES / "summaries_local_time.xml"), "--json")
    periods = json.loads(out)["billing_periods"]
    assert periods[0] == {
        "start": "2024-03-09T08:00:00Z",
        "end": "2024-03-10T08:00:00Z",
        "commodity": "electricity",
        "source": "UsageSummary",
        "consumption": 10,
        "unit": "kWh",
        "bill": 2.5,
        "currency": "USD",
    }


def test_summarize_table(capsys):
    code, out, _ = run(capsys, "summarize", str(FIXTURES / "unordered_duplicates_gaps.xml"))
    assert code == 0
    assert "electricity" in out and "1.6" in out and "2 duplicates, 1 gaps" in out


@pytest.mark.parametrize(
    ("fixture", "fragment"),
    [
        ("bad_malformed.xml", "line 10: malformed XML"),
        ("bad_no_readings.xml", "no IntervalReading"),
        ("bad_xxe.xml", "DTD"),
        ("does_not_exist.xml", "No such file"),
    ],
)
def test_bad_files_exit_non_zero_with_one_line(capsys, fixture, fragment):
    code, out, err = run(capsys, "summarize", str(FIXTURES / fixture))
    assert code != 0
    assert out == ""
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_size_limit_option(capsys):
    code, _, err = run(capsys, "summarize", str(FIXTURES / "mixed_feed.xml"), "--max-bytes", "100")
    assert code != 0 and "limit of 100 bytes" in err


def test_generate_then_summarize(capsys, tmp_path):
    out_file = tmp_path / "feed.xml"
    code, _, err = run(
        capsys, "generate", "--out", str(out_file), "--seed", "5", "--start", "2024-03-01", "--days", "10",
        "--interval", "900", "--espi-version", "3.3",
    )
    assert code == 0 and "wrote" in err
    _, out, _ = run(capsys, "summarize", str(out_file), "--json")
    data = json.loads(out)
    (series,) = data["series"]
    assert series["readings"] == 10 * 96 - 4  # 10 March 2024 is 23 hours long in Los Angeles
    assert series["start"] == "2024-03-01T08:00:00Z"
    assert [p["source"] for p in data["billing_periods"]] == ["UsageSummary"]


def test_generate_refuses_a_bad_date(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["greenbutton", "generate", "--out", str(tmp_path / "x.xml"), "--start", "2024-13-01"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_summarize_reads_an_old_export_with_accumulation_and_flow_zero(capsys, tmp_path):
    from datetime import date

    from greenbutton import generate_feed

    path = tmp_path / "old.xml"
    path.write_bytes(generate_feed(seed=2, start=date(2024, 1, 1), days=30).replace(
        b"<espi:accumulationBehaviour>4<", b"<espi:accumulationBehaviour>0<").replace(
        b"<espi:flowDirection>1<", b"<espi:flowDirection>0<"))
    _, out, _ = run(capsys, "summarize", str(path), "--json")
    data = json.loads(out)
    (series,) = data["series"]
    assert series["total"] is not None and series["flow"] == "forward"
    assert {n["code"] for n in data["notices"]} == {"accumulation-assumed", "flow-assumed"}
    assert all(set(n) == {"code", "message", "element", "line"} for n in data["notices"])
    _, out, _ = run(capsys, "summarize", str(path))
    assert "note: ReadingType (line 10): has flowDirection 0 (none)" in out


def test_summarize_loads_only_what_it_needs():
    """Not the agents, the ledger or aiohttp: most of the memory the command used went to them."""
    import subprocess
    import sys

    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['emissions', 'greenbutton', 'summarize', {str(FIXTURES / 'mixed_feed.xml')!r}]\n"
        "try:\n    runpy.run_module('emissions.cli', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1].replace("'", '"')))
    assert "greenbutton" in loaded
    assert not loaded & {"acapy_agent", "aries_cloudagent", "aiohttp", "controllers", "chaincode", "credentials"}
