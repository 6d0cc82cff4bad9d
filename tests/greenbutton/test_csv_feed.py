"""Green Button CSV ("Download My Data") read into the same UsageDocument as the XML feed."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from greenbutton import (
    GreenButtonError,
    electricity_usage_by_period,
    generate_feed,
    parse_bytes,
)
from greenbutton.csv_feed import parse_csv, parse_csv_file
from greenbutton.csv_generator import generate_csv, generate_gas_csv, write_csv
from greenbutton.localtime import LocalTimeParameters

LA = "America/Los_Angeles"

# Written by hand in the shape of a US utility's export: account block, blank line, header, rows.
HOURLY = """\
Name,JANE DOE
Address,"1 MAIN ST, SPRINGFIELD CA 90000"
Account Number,1234567890
Service,Service 1

TYPE,DATE,START TIME,END TIME,USAGE (kWh),COST,NOTES
Electric usage,2024-01-01,00:00,00:59,0.45,$0.13,
Electric usage,2024-01-01,01:00,01:59,0.50,$0.14,
Electric usage,2024-01-01,02:00,02:59,1.25,$0.35,Estimated
"""

GAS_DAILY = """\
Name,JANE DOE
Address,"1 MAIN ST, SPRINGFIELD CA 90000"
Account Number,1234567891
Service,Service 2

TYPE,DATE,START TIME,END TIME,USAGE,UNITS,COST,NOTES
Natural gas usage,2024-03-09,00:00,23:59,2.10,therms,$3.93,
Natural gas usage,2024-03-10,00:00,23:59,1.98,therms,$3.70,
Natural gas usage,2024-03-11,00:00,23:59,2.05,therms,$3.83,
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def starts(series) -> list[datetime]:
    return [reading.start for reading in series]


def xml_usage(**arguments):
    return electricity_usage_by_period(parse_bytes(generate_feed(with_summaries=False, **arguments)))


# -- the layouts --------------------------------------------------------------------------------

def test_hand_written_hourly_export_reads_as_delivered_electricity_in_local_time():
    doc = parse_csv(HOURLY.encode(), tz=LA)
    (series,) = doc.series
    assert (series.commodity, series.unit, series.flow, series.is_delta, series.currency) == (
        "electricity", "kWh", "forward", True, "USD")
    assert [(r.start, r.duration, r.value, r.cost) for r in series] == [
        (at("2024-01-01T08:00:00"), 3600, Decimal("0.45"), Decimal("0.13")),
        (at("2024-01-01T09:00:00"), 3600, Decimal("0.50"), Decimal("0.14")),
        (at("2024-01-01T10:00:00"), 3600, Decimal("1.25"), Decimal("0.35")),
    ]
    assert doc.local_time == doc.usage_points[0].local_time
    assert doc.usage_points[0].commodity == "electricity"
    assert doc.billing_periods == ()
    assert doc.notices == ()


def test_account_block_never_reaches_the_document():
    doc = parse_csv(HOURLY.encode(), tz=LA)
    assert "1234567890" not in repr(doc) and "JANE" not in repr(doc)


@pytest.mark.parametrize("interval", [3600, 900])
def test_csv_and_xml_of_the_same_data_give_the_same_usage_per_period(interval):
    arguments = {"seed": 11, "start": date(2024, 1, 1), "days": 366, "interval_seconds": interval, "tz": LA}
    from_csv = electricity_usage_by_period(parse_csv(generate_csv(**arguments), tz=LA))
    assert from_csv == xml_usage(**arguments)
    assert len(from_csv) == 12 and from_csv[0].source == "calendar-month"


def test_csv_readings_are_the_xml_readings_across_both_dst_changes():
    arguments = {"seed": 3, "start": date(2024, 3, 9), "days": 240, "interval_seconds": 900, "tz": LA}
    (csv_series,) = parse_csv(generate_csv(**arguments), tz=LA).series
    (xml_series,) = parse_bytes(generate_feed(with_summaries=False, **arguments)).series
    assert [(r.start, r.duration, r.value) for r in csv_series] == [(r.start, r.duration, r.value) for r in xml_series]
    # Costs are written in whole cents, as utilities do.
    assert [r.cost for r in csv_series] == [r.cost.quantize(Decimal("0.01"), ROUND_HALF_UP) for r in xml_series]
    assert csv_series.gaps == () and csv_series.overlaps == () and csv_series.duplicates == ()


def test_daily_electricity_sums_to_the_hourly_xml_per_local_month():
    arguments = {"seed": 5, "start": date(2024, 1, 1), "days": 366, "tz": LA}
    doc = parse_csv(generate_csv(interval_seconds=86400, **arguments), tz=LA)
    (series,) = doc.series
    assert series.readings == 366 and series.interval_seconds == 86400
    # The days the clocks change are 23 and 25 hours long.
    lengths = {r.start.date(): r.duration for r in series if r.duration != 86400}
    assert sorted(lengths.values()) == [23 * 3600, 25 * 3600]
    daily = electricity_usage_by_period(doc)
    hourly = xml_usage(**arguments)
    assert [(p.start, p.end, p.kwh) for p in daily] == [(p.start, p.end, p.kwh) for p in hourly]
    assert all(p.hourly_kwh == () for p in daily)


def test_usage_with_units_column_us_dates_and_end_times_read_the_same():
    arguments = {"seed": 2, "start": date(2024, 10, 1), "days": 61, "tz": LA}
    plain = parse_csv(generate_csv(**arguments), tz=LA).series[0]
    variant = parse_csv(generate_csv(layout="usage-units", dates="us", end_times="end", **arguments), tz=LA).series[0]
    assert list(variant) == list(plain)


def test_import_export_columns_become_delivered_and_exported_series():
    arguments = {"seed": 4, "start": date(2024, 6, 1), "days": 30, "tz": LA}
    data = generate_csv(layout="import-export", **arguments)
    assert b"TYPE,DATE,START TIME,END TIME,IMPORT (kWh),EXPORT (kWh),COST,NOTES" in data
    doc = parse_csv(data, tz=LA)
    delivered, exported = doc.series
    assert (delivered.flow, exported.flow) == ("forward", "reverse")
    assert exported.usage_point == delivered.usage_point == 0
    assert exported.cost is None  # the row's cost is for the energy bought
    assert exported.total > 0
    assert electricity_usage_by_period(doc) == xml_usage(**arguments)


def test_gas_daily_therms_hand_written():
    doc = parse_csv(GAS_DAILY.encode(), tz=LA)
    (series,) = doc.series
    assert (series.commodity, series.unit, series.flow, series.total, series.cost) == (
        "gas", "therm", "forward", Decimal("6.13"), Decimal("11.46"))
    # 2024-03-10 is 23 hours long in Los Angeles.
    assert [(r.start, r.duration) for r in series] == [
        (at("2024-03-09T08:00:00"), 86400), (at("2024-03-10T08:00:00"), 82800), (at("2024-03-11T07:00:00"), 86400)]
    with pytest.raises(GreenButtonError, match="no delivered electricity"):
        electricity_usage_by_period(doc)


@pytest.mark.parametrize(("unit", "symbol", "exponent"), [("therms", "therm", -2), ("CCF", "ft3", 0)])
def test_generated_gas_in_therms_or_ccf(unit, symbol, exponent):
    data = generate_gas_csv(seed=8, start=date(2024, 1, 1), days=366, unit=unit)
    (series,) = parse_csv(data, tz=LA).series
    assert (series.commodity, series.unit, series.exponent, series.readings) == ("gas", symbol, exponent, 366)
    assert series.interval_seconds == 86400 and series.gaps == ()


def test_electricity_and_gas_in_one_file_are_two_usage_points():
    body = GAS_DAILY.split("\n\n")[1].splitlines()[1:]
    data = HOURLY.replace("USAGE (kWh),COST", "USAGE,UNITS,COST").replace(",$0.", ",kWh,$0.") + "\n".join(body) + "\n"
    doc = parse_csv(data.encode(), tz=LA)
    assert [(s.commodity, s.usage_point) for s in doc.series] == [("electricity", 0), ("gas", 1)]
    assert [p.commodity for p in doc.usage_points] == ["electricity", "gas"]


def test_byte_order_mark_crlf_and_missing_trailing_cells_are_fine():
    lines = HOURLY.replace(",$0.35,Estimated", "").replace("\n", "\r\n")
    doc = parse_csv(codecs.BOM_UTF8 + lines.encode(), tz=LA)
    assert [r.cost for r in doc.series[0]] == [Decimal("0.13"), Decimal("0.14"), None]


def test_wh_and_mwh_are_scaled_to_kwh():
    data = HOURLY.replace("USAGE (kWh)", "USAGE (Wh)").replace("0.45,", "450,").replace("0.50,", "500,")
    data = data.replace("1.25,", "1250,")
    assert parse_csv(data.encode(), tz=LA).series[0].total == Decimal("2.2")
    assert parse_csv(HOURLY.replace("(kWh)", "(MWh)").encode(), tz=LA).series[0].total == Decimal(2200)


def test_file_reader_matches_bytes_reader(tmp_path):
    path = tmp_path / "usage.csv"
    size = write_csv(path, seed=1, start=date(2024, 1, 1), days=10)
    assert size == path.stat().st_size
    assert list(parse_csv_file(path, tz=LA).series[0]) == list(parse_csv(path.read_bytes(), tz=LA).series[0])


# -- local time ---------------------------------------------------------------------------------

def test_without_a_zone_times_are_read_as_utc_and_a_notice_says_so():
    doc = parse_csv(HOURLY.encode())
    assert doc.series[0].start == at("2024-01-01T00:00:00")
    (notice,) = doc.notices
    assert notice.code == "csv-zone-assumed"
    assert "read as UTC" in notice.message


def test_a_time_zone_line_in_the_header_is_used():
    data = HOURLY.replace("Service,Service 1\n", "Service,Service 1\nTime Zone,America/New_York\n")
    doc = parse_csv(data.encode())
    assert doc.series[0].start == at("2024-01-01T05:00:00") and doc.notices == ()


def test_the_callers_zone_wins_over_the_header_with_a_notice():
    data = HOURLY.replace("Service,Service 1\n", "Service,Service 1\nTime Zone,America/New_York\n")
    doc = parse_csv(data.encode(), tz=LA)
    assert doc.series[0].start == at("2024-01-01T08:00:00")
    assert [n.code for n in doc.notices] == ["csv-zone-overridden"]


def test_an_unknown_header_zone_is_a_notice_not_a_refusal():
    data = HOURLY.replace("Service,Service 1\n", "Service,Service 1\nTime Zone,Mars/Olympus\n")
    doc = parse_csv(data.encode())
    assert [n.code for n in doc.notices] == ["csv-zone-unknown", "csv-zone-assumed"]
    assert doc.notices[0].line == 5


def test_fixed_offsets_and_local_time_parameters_are_accepted():
    assert parse_csv(HOURLY.encode(), tz="-05:00").series[0].start == at("2024-01-01T05:00:00")
    assert parse_csv(HOURLY.encode(), tz=LocalTimeParameters(3600)).series[0].start == at("2023-12-31T23:00:00")
    with pytest.raises(GreenButtonError, match="time zone 'Nowhere' is not one this reader knows"):
        parse_csv(HOURLY.encode(), tz="Nowhere")


def rows(*lines: str, header: str = "TYPE,DATE,START TIME,END TIME,USAGE (kWh),COST,NOTES") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def test_the_repeated_hour_when_clocks_go_back_is_daylight_then_standard_time():
    doc = parse_csv(rows(
        "Electric usage,2024-11-03,00:00,00:59,1,,",
        "Electric usage,2024-11-03,01:00,01:59,2,,",
        "Electric usage,2024-11-03,01:00,01:59,3,,",
        "Electric usage,2024-11-03,02:00,02:59,4,,",
    ), tz=LA)
    series = doc.series[0]
    assert starts(series) == [at("2024-11-03T07:00:00"), at("2024-11-03T08:00:00"),
                              at("2024-11-03T09:00:00"), at("2024-11-03T10:00:00")]
    assert series.gaps == () and series.duplicates == ()


def test_the_skipped_hour_when_clocks_go_forward_is_no_gap():
    doc = parse_csv(rows(
        "Electric usage,2024-03-10,01:00,01:59,1,,",
        "Electric usage,2024-03-10,03:00,03:59,2,,",
    ), tz=LA)
    assert starts(doc.series[0]) == [at("2024-03-10T09:00:00"), at("2024-03-10T10:00:00")]
    assert doc.series[0].gaps == ()


def test_an_empty_row_in_the_skipped_hour_is_left_out_with_a_notice():
    doc = parse_csv(rows(
        "Electric usage,2024-03-10,01:00,01:59,1,,",
        "Electric usage,2024-03-10,02:00,02:59,0.00,,",
        "Electric usage,2024-03-10,03:00,03:59,2,,",
    ), tz=LA)
    assert doc.series[0].readings == 2
    assert [(n.code, n.line) for n in doc.notices] == [("csv-dst-gap-row", 3)]


def test_usage_in_the_skipped_hour_is_refused():
    with pytest.raises(GreenButtonError, match=r"^line 3, column START TIME: 2024-03-10 02:00 does not exist in local time"):
        parse_csv(rows(
            "Electric usage,2024-03-10,01:00,01:59,1,,",
            "Electric usage,2024-03-10,02:00,02:59,0.5,,",
        ), tz=LA)


# -- strict on the readings ---------------------------------------------------------------------

H = "TYPE,DATE,START TIME,END TIME,USAGE (kWh),COST,NOTES"
HU = "TYPE,DATE,START TIME,END TIME,USAGE,UNITS,COST,NOTES"
OK = "Electric usage,2024-01-01,00:00,00:59,1.0,$0.10,"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([H, OK, "Electric usage,2024-01-01,01:00,01:59,abc,$0.10,"],
         r"line 3, column USAGE \(kWh\): 'abc' is not a number"),
        ([H, "Electric usage,2024-01-01,00:00,00:59,1e3,,"], r"line 2, column USAGE \(kWh\): '1e3' is not a number"),
        ([H, "Electric usage,2024-01-01,00:00,00:59,\"1,234\",,"], r"line 2, column USAGE \(kWh\): '1,234' is not a number"),
        ([H, "Electric usage,2024-01-01,00:00,00:59,0.1234567,,"],
         r"line 2, column USAGE \(kWh\): '0.1234567' has more than 6 decimal places"),
        ([H, "Electric usage,2024-13-01,00:00,00:59,1,,"], "line 2, column DATE: '2024-13-01' is not a date of the calendar"),
        ([H, "Electric usage,2024/01/01,00:00,00:59,1,,"],
         r"line 2, column DATE: '2024/01/01' is not a date \(YYYY-MM-DD or MM/DD/YYYY\)"),
        ([H, "Electric usage,2150-01-01,00:00,00:59,1,,"], "line 2, column DATE: '2150-01-01' is outside the years 1970-2100"),
        ([H, "Electric usage,2024-01-01,25:00,25:59,1,,"], "line 2, column START TIME: '25:00' is not a time of day"),
        ([H, "Electric usage,2024-01-01,noon,00:59,1,,"], r"line 2, column START TIME: 'noon' is not a time \(HH:MM\)"),
        ([H, "Electric usage,2024-01-01,00:00,00:37,1,,"],
         "line 2, column END TIME: '00:37' does not end a 5, 10, 15, 30 or 60-minute or whole-day interval"),
        ([H, "Water usage,2024-01-01,00:00,00:59,1,,"], "line 2, column TYPE: 'Water usage' is not a usage type"),
        ([H, "Electric usage,2024-01-01,00:00,00:59,1,12 dollars,"], "line 2, column COST: '12 dollars' is not an amount of money"),
        ([H, "Electric usage,2024-01-01,00:00,00:59,1,$0.123456,"], "line 2, column COST: '\\$0.123456' has more than 5 decimal places"),
        ([H, "Electric usage,2024-01-01,00:00"], r"line 2: has 3 cells, the header \(line 1\) has 7"),
        ([H, "Electric usage,2024-01-01,00:00,00:59,1,,,surprise"], "line 2: has data in cell 8, past the header's 7 columns"),
        ([H, 'Electric usage,2024-01-01,00:00,00:59,"1"x,,'], "line 2: malformed CSV"),
        ([HU, "Electric usage,2024-01-01,00:00,00:59,1,gallons,,"],
         "line 2, column UNITS: 'gallons' is not a unit this reader supports"),
        ([HU, "Electric usage,2024-01-01,00:00,00:59,1,,,"], "line 2, column UNITS: is empty"),
        ([HU, "Natural gas usage,2024-01-01,00:00,23:59,1,kWh,,"], "line 2, column UNITS: 'kWh' is not a unit of gas"),
        ([HU, "Electric usage,2024-01-01,00:00,00:59,1,kWh,,", "Electric usage,2024-01-01,01:00,01:59,1,MWh,,"],
         r"line 3, column UNITS: 'MWh' differs from the 'kWh' of the earlier electricity rows \(line 2\)"),
        ([HU, "Natural gas usage,2024-01-01,00:00,23:59,-1.5,therms,,"],
         "line 2, column USAGE: '-1.5' is negative; delivered gas cannot be"),
        (["TYPE,DATE,START TIME,END TIME,IMPORT (kWh),EXPORT (kWh),COST,NOTES",
          "Electric usage,2024-01-01,00:00,00:59,1,-2,,"], "line 2, column EXPORT \\(kWh\\): '-2' is negative"),
        (["TYPE,DATE,START TIME,END TIME,USAGE (BTU),COST", OK],
         "line 1, column USAGE \\(BTU\\): 'BTU' is not a unit this reader supports"),
        (["TYPE,DATE,START TIME,END TIME,USAGE,COST", OK], "line 1, column USAGE: states no unit and there is no UNITS column"),
        (["TYPE,DATE,START TIME,END TIME,COST", OK], "line 1: the header has no USAGE, IMPORT or EXPORT column"),
        (["TYPE,DATE,START TIME,USAGE (kWh)", OK], "line 1: the header has a START TIME or an END TIME column but not both"),
        (["TYPE,DATE,DATE,START TIME,END TIME,USAGE (kWh)", OK], "line 1, column DATE: the header has this column twice"),
        ([H], "line 1: the header is followed by no data rows"),
        ([H, "Electric usage,2024-01-01,00:00,00:59,,,"], "document has no usage values"),
        (["Name,JANE DOE", "Electric usage,2024-01-01,00:00,00:59,1,,"], "no header row with TYPE and DATE columns"),
    ],
)
def test_each_malformed_input_is_one_line_naming_line_and_column(lines, expected):
    with pytest.raises(GreenButtonError, match=f"^{expected}") as caught:
        parse_csv(("\n".join(lines) + "\n").encode(), tz=LA)
    assert "\n" not in str(caught.value)


def test_errors_carry_line_and_column_for_programs():
    with pytest.raises(GreenButtonError) as caught:
        parse_csv(rows(OK, "Electric usage,2024-01-01,01:00,01:59,abc,,"), tz=LA)
    assert (caught.value.line, caught.value.element) == (3, "USAGE (kWh)")


def test_negative_usage_is_flagged_as_net_and_never_counted_as_delivered():
    doc = parse_csv(rows(OK, "Electric usage,2024-01-01,01:00,01:59,-0.8,,"), tz=LA)
    assert doc.series[0].flow == "net"
    (notice,) = doc.notices
    assert (notice.code, notice.line) == ("csv-net-usage", 3)
    with pytest.raises(GreenButtonError, match="no delivered electricity"):
        electricity_usage_by_period(doc)


def test_blank_usage_cells_are_gaps_with_a_notice():
    doc = parse_csv(rows(OK, "Electric usage,2024-01-01,01:00,01:59,,,", "Electric usage,2024-01-01,02:00,02:59,2,,"),
                    tz=LA)
    series = doc.series[0]
    assert series.readings == 2 and len(series.gaps) == 1
    assert [(n.code, n.line) for n in doc.notices] == [("csv-blank-usage", 3)]


def test_costs_without_a_currency_symbol_are_kept_with_a_notice():
    doc = parse_csv(rows("Electric usage,2024-01-01,00:00,00:59,1.0,0.10,"), tz=LA)
    assert doc.series[0].cost == Decimal("0.10") and doc.series[0].currency is None
    assert [n.code for n in doc.notices] == ["csv-cost-currency"]


def test_unknown_columns_are_a_notice():
    doc = parse_csv(rows("Electric usage,2024-01-01,00:00,00:59,1.0,,,72", header=H + ",TEMPERATURE"), tz=LA)
    assert [(n.code, n.element) for n in doc.notices] == [("csv-column-ignored", "TEMPERATURE")]


@pytest.mark.parametrize(
    ("start", "end", "utc_start", "duration"),
    [
        ("12:00 AM", "12:59 AM", "2024-01-01T08:00:00", 3600),
        ("1:00 PM", "1:14 PM", "2024-01-01T21:00:00", 900),
        ("23:45", "24:00", "2024-01-02T07:45:00", 900),
        ("23:00", "00:00", "2024-01-02T07:00:00", 3600),
        ("00:00:00", "00:59:59", "2024-01-01T08:00:00", 3600),
        ("00:00", "23:59", "2024-01-01T08:00:00", 86400),
    ],
)
def test_time_spellings(start, end, utc_start, duration):
    doc = parse_csv(rows(f"Electric usage,2024-01-01,{start},{end},1,,"), tz=LA)
    assert [(r.start, r.duration) for r in doc.series[0]] == [(at(utc_start), duration)]


@pytest.mark.parametrize("zone_name", [LA, "Australia/Sydney", "Europe/London"])
def test_every_local_wall_time_maps_back_to_its_instant(zone_name):
    # Hourly rows for two years, written as the generator writes them (the repeated hour twice),
    # come back as consecutive UTC hours: no gap, overlap or duplicate on any change day.
    data = generate_csv(seed=6, start=date(2023, 1, 1), days=731, tz=zone_name, with_costs=False)
    (series,) = parse_csv(data, tz=zone_name).series
    assert series.readings == 731 * 24
    assert series.gaps == () and series.overlaps == () and series.duplicates == ()
    assert all(b - a == 3600 for a, b in zip(series.columns.starts, series.columns.starts[1:]))


def test_daily_rows_without_time_columns():
    doc = parse_csv(rows("Natural gas usage,2024-11-03,1.5,therms,", header="TYPE,DATE,USAGE,UNITS,NOTES"), tz=LA)
    assert [(r.start, r.duration) for r in doc.series[0]] == [(at("2024-11-03T07:00:00"), 25 * 3600)]


# -- encodings and limits -----------------------------------------------------------------------

def test_utf16_is_refused_clearly():
    with pytest.raises(GreenButtonError, match="^file is UTF-16 .*read as UTF-8 only"):
        parse_csv(HOURLY.encode("utf-16"))


def test_a_latin1_byte_is_refused_naming_its_line():
    data = HOURLY.replace("JANE DOE", "JOSÉ DOE").encode("latin-1")
    with pytest.raises(GreenButtonError, match=r"^line 1: byte 0xC9 is not UTF-8"):
        parse_csv(data)


def test_a_nul_character_is_refused_naming_its_line():
    with pytest.raises(GreenButtonError, match=r"^line 8: contains a NUL character"):
        parse_csv(HOURLY.replace("0.50", "0\x0050").encode())


def test_an_empty_file_is_refused():
    with pytest.raises(GreenButtonError, match="^document is empty"):
        parse_csv(codecs.BOM_UTF8 + b"\r\n \n")


def test_size_limit_on_bytes_and_files(tmp_path):
    data = HOURLY.encode()
    with pytest.raises(GreenButtonError, match=f"^document is {len(data)} bytes, larger than the limit of 100 bytes"):
        parse_csv(data, max_bytes=100)
    path = tmp_path / "usage.csv"
    path.write_bytes(data)
    with pytest.raises(GreenButtonError, match="larger than the limit of 100 bytes"):
        parse_csv_file(path, max_bytes=100)
    assert parse_csv(data, max_bytes=len(data), tz=LA).series


def test_row_limit_names_the_first_line_past_it():
    with pytest.raises(GreenButtonError, match=r"^line 9: more than 2 rows after the header, the limit"):
        parse_csv(HOURLY.encode(), max_rows=2)
    with pytest.raises(GreenButtonError, match=r"^line 5: more than 3 rows after the header, the limit"):
        parse_csv(rows(OK, "", "", ""), max_rows=3)


def test_a_huge_cell_is_malformed_csv_not_a_memory_sink():
    data = rows(OK, "Electric usage,2024-01-01,01:00,01:59,1," + "9" * 200_000 + ",")
    with pytest.raises(GreenButtonError, match="^line 3: malformed CSV: field larger than field limit"):
        parse_csv(data, tz=LA)


def test_values_with_different_decimals_are_summed_exactly():
    doc = parse_csv(rows("Electric usage,2024-01-01,00:00,00:59,1.5,,", "Electric usage,2024-01-01,01:00,01:59,2.25,,",
                         "Electric usage,2024-01-01,02:00,02:59,3,,"), tz=LA)
    assert [r.value for r in doc.series[0]] == [Decimal("1.5"), Decimal("2.25"), Decimal(3)]
    assert doc.series[0].total == Decimal("6.75")


def test_a_value_beyond_what_a_reading_can_hold_is_refused():
    with pytest.raises(GreenButtonError, match=r"^line 2, column USAGE \(kWh\): '999999999' is too large to be a reading"):
        parse_csv(rows("Electric usage,2024-01-01,00:00,00:59,999999999,,"), tz=LA)
