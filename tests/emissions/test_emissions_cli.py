"""`emissions factors lookup` and `emissions calc`, run through the CLI's main()."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from chaincode.emissions.units import kg_for
from chaincode.emissions.rounding import round_kg
from emissions.cli.main import main
from greenbutton import generate_feed, write_feed


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    path = tmp_path_factory.mktemp("gb") / "pge.xml"
    write_feed(path, seed=11, start=date(2024, 1, 1), days=75)
    return path


def test_lookup_table_for_pge(capsys):
    code, out, err = run(capsys, "factors", "lookup", "--utility", "14328", "--year", "2024")
    assert (code, err) == (0, "")
    assert "Pacific Gas & Electric Co., EIA 14328, CA, NERC WECC" in out
    assert "subregion: CAMX (WECC California)" in out
    assert "eGRID2023 (data year 2023, published 2025-06) for 2024" in out
    assert "CO2e 429.983" in out and "0.19504" in out
    assert "renewable share  46.6 %" in out and "nuclear not counted" in out
    assert "flagged" in out and "no supplier-specific or residual-mix factor" in out
    assert "ambiguity        none" in out


def test_lookup_json_for_con_edison(capsys):
    code, out, _ = run(capsys, "factors", "lookup", "--utility", "4226", "--json")
    document = json.loads(out)
    assert code == 0
    assert document["utility"]["name"] == "Consolidated Edison Co-NY Inc"
    assert (document["location"]["level"], document["location"]["region"]) == ("subregion", "NYCW")
    assert document["location"]["ambiguous"] is False
    assert document["edition"]["edition"] == "eGRID2023" and document["year"] == 2023
    assert document["market"]["status"] == "location-fallback" and document["market"]["fallback"] is True
    assert document["location"]["rates_lb_per_mwh"]["co2e"] == str(Decimal(document["location"]["rates_lb_per_mwh"]["co2e"]))


def test_lookup_reports_ambiguity(capsys):
    code, out, _ = run(capsys, "factors", "lookup", "--utility", "6641", "--json")
    location = json.loads(out)["location"]
    assert code == 0 and location["ambiguous"] is True and len(location["candidates"]) > 1


def test_lookup_with_registered_market_factor(capsys, tmp_path):
    factors = tmp_path / "market.json"
    factors.write_text(json.dumps([{
        "utility_id": 14328, "year": 2023, "kind": "supplier-specific", "source": "PG&E power content label",
        "rates": {"co2": "98", "ch4": "0.01", "n2o": "0.001", "co2e": "98.7"},
    }]))
    code, out, _ = run(capsys, "factors", "lookup", "--utility", "14328", "--market-factors", str(factors), "--json")
    market = json.loads(out)["market"]
    assert code == 0 and market["status"] == "supplier-specific" and market["rates_lb_per_mwh"]["co2e"] == "98.7"


@pytest.mark.parametrize("argv, message", [
    (("factors", "lookup", "--utility", "14328", "--year", "2019"),
     "no eGRID edition applies to 2019: available editions are eGRID2023 (2023)"),
    (("factors", "lookup", "--utility", "123456789"), "EIA utility 123456789 is in neither EIA-861 nor EPA's eGRID crosswalks"),
])
def test_lookup_errors_are_one_clear_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [f"emissions: error: {message}"]


def test_calc_table(capsys, feed):
    code, out, err = run(capsys, "calc", "--utility", "14328", str(feed))
    assert (code, err) == (0, "")
    assert "location  eGRID2023 subregion CAMX" in out
    assert "location-based fallback" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("period start"))
    assert lines[header].split("  ")[0:1] == ["period start (UTC)"]
    assert "location tCO2e" in lines[header] and "market tCO2e" in lines[header] and "kg" not in lines[header]
    rows = lines[header + 1:]
    assert rows[-1].startswith("total") and len(rows) >= 3
    assert all("eGRID2023 subregion CAMX" in row for row in rows[:-1])


def test_calc_json_matches_the_calculation(capsys, feed):
    code, out, _ = run(capsys, "calc", "--utility", "14328", str(feed), "--json")
    document = json.loads(out)
    assert code == 0 and document["utility"]["eia_id"] == 14328
    periods = document["periods"]
    assert periods and all(p["hourly"] == [] for p in periods)
    for period in periods:
        expected = round_kg(kg_for(Decimal(period["kwh"]), Decimal("429.983")))
        assert Decimal(period["location"]["emissions"]["co2e_kg"]) == expected
        assert Decimal(period["location"]["emissions"]["co2e_t"]) == (expected / 1000).quantize(Decimal("0.000001"))
        assert period["market"]["fallback"] is True and period["location_factor"]["region"] == "CAMX"
        assert period["start"].endswith("Z") and period["year"] == 2024
    assert Decimal(document["totals"]["kwh"]) == sum(Decimal(p["kwh"]) for p in periods)
    totals = document["totals"]
    assert set(totals) == {"kwh", "location_co2e_t", "market_co2e_t", "note"}  # tonnes, as the credentials
    assert Decimal(totals["location_co2e_t"]) == sum(Decimal(p["location"]["emissions"]["co2e_t"]) for p in periods)


def test_calc_json_hourly(capsys, feed):
    code, out, _ = run(capsys, "calc", "--utility", "14328", str(feed), "--json", "--hourly")
    first = json.loads(out)["periods"][0]
    assert code == 0 and first["hourly"]
    assert sum(Decimal(h["kwh"]) for h in first["hourly"]) == Decimal(first["kwh"])


def test_calc_bad_file_is_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<notes/>")
    code, out, err = run(capsys, "calc", "--utility", "14328", str(bad))
    assert code == 1 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith(f"emissions: error: {bad}: ")


def test_calc_unknown_utility_is_one_line(capsys, feed):
    code, _, err = run(capsys, "calc", "--utility", "123456789", str(feed))
    assert code == 1
    assert err.strip().splitlines() == ["emissions: error: EIA utility 123456789 is in neither EIA-861 nor EPA's eGRID crosswalks"]


def _with_a_day_sent_again_half_an_hour_late(data: bytes) -> bytes:
    """Day 10's block once more, every reading 30 minutes later (the security review's 48 overlaps)."""
    anchor = data.index(b'IntervalBlock/10"')
    day = data[data.rindex(b"<entry>", 0, anchor) : data.index(b"</entry>", anchor) + len(b"</entry>\n")]
    late = day
    for start in {int(s.split(b"<")[0]) for s in day.split(b"<espi:start>")[1:]}:
        late = late.replace(b"<espi:start>%d<" % start, b"<espi:start>%d<" % (start + 1800))
    return data.replace(day, day + late.replace(b'IntervalBlock/10"', b'IntervalBlock/10b"'))


def test_calc_refuses_a_period_with_overlapping_readings_instead_of_summing_them(capsys, tmp_path):
    path = tmp_path / "overlaps.xml"
    path.write_bytes(_with_a_day_sent_again_half_an_hour_late(generate_feed(seed=1, start=date(2024, 1, 1), days=60)))
    code, out, err = run(capsys, "calc", "--utility", "14328", str(path))
    assert code == 1 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith(f"emissions: error: {path}: period 2024-01-01T08:00:00Z..2024-02-01T08:00:00Z refused: ")
    assert "readings overlap: 2024-01-10T08:00:00Z..2024-01-10T09:00:00Z overlaps 2024-01-10T08:30:00Z" in line
    assert "(and 47 more)" in line  # 24 late readings, each overlapping two on time


def test_calc_states_what_the_reader_assumed(capsys, tmp_path):
    path = tmp_path / "dst.xml"
    path.write_bytes(generate_feed(seed=1, start=date(2024, 1, 1), days=40).replace(b"360E2000", b"00002000"))
    code, out, _ = run(capsys, "calc", "--utility", "14328", str(path))
    assert code == 0
    assert "note: dstStartRule (line 8): invalid DST rule: month 0, day of month 0;" in out
    code, out, _ = run(capsys, "calc", "--utility", "14328", str(path), "--json")
    first = json.loads(out)["periods"][0]
    assert [n["code"] for n in first["notices"]] == ["dst-rule-invalid"]


@pytest.fixture(scope="module")
def gas_feed(tmp_path_factory):
    path = tmp_path_factory.mktemp("gb") / "gas.xml"
    write_feed(path, seed=11, start=date(2024, 1, 1), days=62, commodity="gas")
    return path


def test_calc_gives_scope_1_for_a_gas_bill_as_the_ledger_computes_it(capsys, gas_feed):
    from chaincode.emissions.combustion import calculate_combustion
    from chaincode.emissions.shipped import load_fuel_editions
    from greenbutton import gas_usage_by_period, parse_file

    code, out, _ = run(capsys, "calc", str(gas_feed), "--json")  # no --utility: gas factors are the fuel's
    document = json.loads(out)
    assert code == 0 and document["scope"] == 1 and len(document["periods"]) >= 2
    january = gas_usage_by_period(parse_file(gas_feed))[0]
    expected = calculate_combustion(january.quantity, "therm", "natural_gas", load_fuel_editions()[-1],
                                    start=january.start, end=january.end)
    assert document["periods"][0]["emissions"] == expected.masses.to_json_dict()
    code, out, _ = run(capsys, "calc", str(gas_feed))
    assert "scope 1   natural gas, GHGHub2024 factors per mmBtu, GWP AR5" in out and "tCO2e" in out


def test_calc_of_a_customers_electricity_and_gas_adds_both_scopes(capsys, feed, gas_feed):
    code, out, _ = run(capsys, "calc", "--utility", "14328", str(feed), str(gas_feed), "--json")
    document = json.loads(out)
    electricity, gas = document["bills"]
    assert code == 0 and gas["scope"] == 1 and "location_co2e_t" in electricity["totals"]
    assert Decimal(document["total_co2e_t"]) == \
        Decimal(electricity["totals"]["location_co2e_t"]) + Decimal(gas["totals"]["co2e_t"])
    code, _, err = run(capsys, "calc", str(feed), str(gas_feed))
    assert code == 1 and "is an electricity bill: --utility EIA_ID is needed" in err
