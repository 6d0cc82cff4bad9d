"""Files the way real utilities publish them: lenient on metadata, strict on data.

Every file here is made by the generator and then bent the way an export was seen to be bent,
or written by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from greenbutton import (
    GreenButtonError,
    LocalTimeParameters,
    electricity_usage_by_period,
    generate_feed,
    parse_bytes,
    summary,
)
from greenbutton import parser as parser_module
from testkit.hostile_feeds import many_linked_groups

FIXTURES = Path(__file__).parent / "fixtures"

LA_DST_START, LA_DST_END = b"360E2000", b"B40E2000"  # second Sunday of March / first of November, 02:00


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def line_of(data: bytes, fragment: bytes) -> int:
    return data[: data.index(fragment)].count(b"\n") + 1


def year_of_hours(**options) -> bytes:
    return generate_feed(seed=15, start=date(2024, 1, 1), days=366, with_summaries=False, **options)


def codes_of(notices) -> set[str]:
    return {n.code for n in notices}


# -- lenient on metadata ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_rule", "end_rule", "reason"),
    [
        (b"360E1E10", LA_DST_END, "time 1h+3600s"),  # 01:00 and 3,600 seconds "past the hour"
        (b"00002000", b"00002000", "month 0, day of month 0"),
    ],
)
def test_an_out_of_range_dst_rule_falls_back_to_the_fixed_tz_offset(start_rule, end_rule, reason):
    data = year_of_hours().replace(LA_DST_START, start_rule).replace(LA_DST_END, end_rule)
    doc = parse_bytes(data)
    assert doc.local_time == LocalTimeParameters(tz_offset=-8 * 3600)  # Pacific standard time all year
    (notice,) = [n for n in doc.notices if n.code == "dst-rule-invalid"]
    assert (notice.element, notice.line) == ("dstStartRule", line_of(data, b"<espi:dstStartRule>"))
    assert reason in notice.message and "fixed tzOffset -28800 s" in notice.message

    periods = electricity_usage_by_period(doc)
    assert len(periods) == 12
    assert all(p.start.hour == 8 for p in periods)  # midnight PST, also in the summer months
    assert sum(p.kwh for p in periods) == doc.series[0].total
    assert all(notice in p.notices for p in periods)


def test_an_unusable_tz_offset_means_utc_months_with_a_notice():
    data = year_of_hours().replace(b"<espi:tzOffset>-28800</espi:tzOffset>", b"<espi:tzOffset>-8h</espi:tzOffset>")
    doc = parse_bytes(data)
    assert doc.local_time is None
    (notice,) = [n for n in doc.notices if n.code == "local-time-ignored"]
    assert notice.element == "tzOffset" and "taken in UTC" in notice.message
    assert electricity_usage_by_period(doc)[0].start == at("2024-01-01T00:00:00")


def test_accumulation_and_flow_zero_on_interval_data_read_as_delivered_delta_data():
    original = year_of_hours()
    data = original.replace(b"<espi:accumulationBehaviour>4<", b"<espi:accumulationBehaviour>0<").replace(
        b"<espi:flowDirection>1<", b"<espi:flowDirection>0<"
    )
    doc = parse_bytes(data)
    (series,) = doc.series
    assert (series.accumulation, series.flow) == ("deltaData", "forward")
    assert series.total == parse_bytes(original).series[0].total
    assert summary(doc)["series"][0]["total"] is not None
    line = line_of(data, b"<espi:ReadingType>")
    assert {(n.code, n.element, n.line) for n in doc.notices} >= {
        ("accumulation-assumed", "ReadingType", line),
        ("flow-assumed", "ReadingType", line),
    }
    periods = electricity_usage_by_period(doc)
    assert all(codes_of(p.notices) >= {"accumulation-assumed", "flow-assumed"} for p in periods)


def test_a_series_in_an_unknown_unit_is_left_out_when_others_can_be_read():
    # The gas meter of the mixed feed, as if it reported US gallons (a unit this reader lacks).
    data = (FIXTURES / "mixed_feed.xml").read_bytes().replace(b"<espi:uom>169</espi:uom>", b"<espi:uom>128</espi:uom>")
    doc = parse_bytes(data)
    assert {s.commodity for s in doc.series} == {"electricity"}
    (notice,) = [n for n in doc.notices if n.code == "series-skipped"]
    assert (notice.element, notice.line) == ("ReadingType", line_of(data, b"<espi:uom>128"))
    assert notice.message.startswith("uom 128 is not a unit this parser supports")
    assert electricity_usage_by_period(doc)[0].kwh == Decimal("2.000")


def test_unbound_prefixes_in_metadata_are_still_refused():
    data = year_of_hours().replace(b"<espi:dstStartRule>360E2000</espi:dstStartRule>",
                                   b"<gb:dstStartRule>360E2000</gb:dstStartRule>")
    with pytest.raises(GreenButtonError, match=r"line 8: malformed XML: Namespace prefix gb on dstStartRule"):
        parse_bytes(data)


# -- ranges and plausibility --------------------------------------------------------------------


def feed(readings: list[tuple[int, int, int]], *, uom: int = 72, multiplier: int = 0, flow: int = 1) -> bytes:
    """A hand-written minimal feed: one ReadingType, one IntervalBlock of (start, duration, value)."""
    body = "".join(
        f"<espi:IntervalReading><espi:timePeriod><espi:duration>{d}</espi:duration><espi:start>{s}</espi:start>"
        f"</espi:timePeriod><espi:value>{v}</espi:value></espi:IntervalReading>\n"
        for s, d, v in readings
    )
    return f"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">
<entry><content><espi:ReadingType><espi:accumulationBehaviour>4</espi:accumulationBehaviour>
<espi:flowDirection>{flow}</espi:flowDirection><espi:powerOfTenMultiplier>{multiplier}</espi:powerOfTenMultiplier>
<espi:uom>{uom}</espi:uom></espi:ReadingType></content></entry>
<entry><content><espi:IntervalBlock>
{body}</espi:IntervalBlock></content></entry>
</feed>""".encode()


JAN_1 = 1704067200  # 2024-01-01T00:00:00Z


def hours(*values: int, first: int = JAN_1) -> list[tuple[int, int, int]]:
    return [(first + 3600 * i, 3600, v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        (hours(1, 2**63 - 1), r"value \(line 7\): 9223372036854775807 is outside the Int48 range"),
        (hours(1, -(2**47) - 1), r"value \(line 7\): -140737488355329 is outside the Int48 range"),
        ([(253402300800, 3600, 1)], r"start \(line 6\): 253402300800 is past the year 9999"),
        ([(253402300000, 3600, 1)], r"IntervalReading \(line 6\): ends past the year 9999"),
        ([(10**30, 3600, 1)], r"start \(line 6\): 10000000000000000000\.\.\. \(31 digits\) is past the year 9999"),
        ([(-(10**12), 3600, 1)], r"start \(line 6\): -1000000000000 is before the year 1"),
        ([(JAN_1, 2**32, 1)], r"duration \(line 6\): 4294967296 is outside the UInt32 range"),
    ],
)
def test_values_outside_the_schema_ranges_are_one_line_errors_naming_element_and_line(readings, expected):
    with pytest.raises(GreenButtonError, match=expected) as caught:
        parse_bytes(feed(readings))
    assert "\n" not in str(caught.value)


def test_out_of_range_readings_are_located_in_big_blocks_too():
    readings = hours(*([500] * 3000))
    readings[2345] = (readings[2345][0], 3600, 2**63 - 1)
    with pytest.raises(GreenButtonError, match=rf"value \(line {6 + 2345}\): 9223372036854775807 is outside"):
        parse_bytes(feed(readings))


def test_a_billing_period_past_year_9999_is_located():
    data = generate_feed(seed=1, start=date(2024, 1, 1), days=3)
    start = data.split(b"<espi:billingPeriod><espi:duration>")[1].split(b"<espi:start>")[1].split(b"<")[0]
    data = data.replace(b"<espi:start>" + start + b"</espi:start></espi:billingPeriod>",
                        b"<espi:start>99999999999999</espi:start></espi:billingPeriod>")
    with pytest.raises(GreenButtonError, match=r"start \(line \d+\): 99999999999999 is past the year 9999"):
        parse_bytes(data)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"multiplier": 30000}, r"powerOfTenMultiplier \(line 3\): 30000 is not a UnitMultiplierKind"),
        ({"uom": 70000}, r"uom \(line 4\): 70000 is outside the UnitSymbolKind \(UInt16\) range"),
    ],
)
def test_reading_type_fields_that_scale_values_are_strict(change, expected):
    with pytest.raises(GreenButtonError, match=expected):
        parse_bytes(feed(hours(1), **change))


def test_more_than_any_service_could_carry_is_refused():
    # Int48's largest value passes the schema, but 140 TWh in an hour is no household's meter.
    with pytest.raises(GreenButtonError, match=r"IntervalReading: starting 2024-01-01T01:00:00Z has "
                       r"140737488355.328 kWh in 3600 s, more than any electricity service could deliver"):
        parse_bytes(feed(hours(500, 2**47)))
    # 0.9 GWh in an hour (0.9 GW on average) is implausible for a bill but not impossible.
    assert parse_bytes(feed(hours(900_000_000))).series[0].total == Decimal(900_000)


def test_negative_delivered_energy_is_noticed_and_refuses_its_period():
    doc = parse_bytes(feed(hours(500, -200, 300)))
    (notice,) = [n for n in doc.notices if n.code == "negative-delivered"]
    assert "first at 2024-01-01T01:00:00Z" in notice.message
    with pytest.raises(GreenButtonError, match=r"refused: delivered reading at 2024-01-01T01:00:00Z is negative "
                       r"\(-0.200 kWh\)"):
        electricity_usage_by_period(doc)
    # Net data may go negative: that is not delivered energy and is not judged.
    assert parse_bytes(feed(hours(500, -200), flow=4)).series[0].total == Decimal("0.300")


def test_readings_far_in_the_future_are_noticed():
    doc = parse_bytes(feed(hours(500, 600, first=32503680000)))  # year 3000
    (notice,) = [n for n in doc.notices if n.code == "readings-in-future"]
    assert "3000-01-01T02:00:00Z" in notice.message


# -- overlaps and duplicates are never summed silently ------------------------------------------


def test_overlapping_readings_refuse_the_period_naming_both_intervals():
    readings = [(JAN_1, 3600, 500), (JAN_1 + 1800, 3600, 400), (JAN_1 + 5400, 3600, 300)]
    with pytest.raises(
        GreenButtonError,
        match=r"period 2024-01-01T00:00:00Z\.\.2024-02-01T00:00:00Z refused: readings overlap: "
        r"2024-01-01T00:00:00Z\.\.2024-01-01T01:00:00Z overlaps 2024-01-01T00:30:00Z\.\.2024-01-01T01:30:00Z",
    ):
        electricity_usage_by_period(parse_bytes(feed(readings)))


def test_a_day_sent_twice_is_counted_once_and_said():
    data = generate_feed(seed=4, start=date(2024, 1, 1), days=40, tz="UTC")
    day = data[data.index(b"<entry><id>", data.index(b'IntervalBlock/3"') - 200) :]
    day = day[: day.index(b"</entry>") + len(b"</entry>\n")]
    assert b"IntervalBlock/3" in day and day.count(b"<entry>") == 1
    resent = data.replace(day, day * 2)
    doc = parse_bytes(resent)
    periods = electricity_usage_by_period(doc)
    billed = [p.consumption.value for p in doc.billing_periods]
    assert [p.kwh for p in periods] == billed
    repeated = [n for n in periods[0].notices if n.code == "duplicate-readings-counted-once"]
    assert repeated and repeated[0].message.startswith("24 readings in this period repeat")
    assert not any(n.code == "duplicate-readings-counted-once" for n in periods[1].notices)


def test_a_coarser_series_over_the_same_time_is_left_out_with_a_notice():
    hourly = generate_feed(seed=6, start=date(2024, 1, 1), days=3, tz="UTC", with_summaries=False)
    daily = generate_feed(seed=6, start=date(2024, 1, 1), days=3, tz="UTC", with_summaries=False, interval_seconds=86400)
    # Second MeterReading and ReadingType of the same usage point, daily, linked like the first.
    second = daily[daily.index(b"<entry>", daily.index(b"Local time")) : daily.rindex(b"</feed>")]
    second = second.replace(b"MeterReading/1", b"MeterReading/2").replace(b"ReadingType/1", b"ReadingType/2")
    doc = parse_bytes(hourly.replace(b"</feed>", second + b"</feed>"))
    assert len(doc.series) == 2
    (period,) = electricity_usage_by_period(doc)
    assert period.kwh == parse_bytes(hourly).series[0].total
    (notice,) = [n for n in period.notices if n.code == "series-not-used"]
    assert "72 readings every 86400 s" not in notice.message and "3 readings every 86400 s" in notice.message


# -- linear time ----------------------------------------------------------------------------------


def link_lookups(data: bytes, monkeypatch) -> tuple[int, object]:
    indexes = []

    class Counted(parser_module._ParentIndex):
        def __init__(self, resources):
            super().__init__(resources)
            indexes.append(self)

    monkeypatch.setattr(parser_module, "_ParentIndex", Counted)
    doc = parse_bytes(data)
    return sum(index.steps for index in indexes), doc


def test_link_resolution_costs_the_same_per_meter_reading_however_many_there_are(monkeypatch):
    """16k groups took 176 s when each scanned every MeterReading; the wall clock is in the benchmark."""
    small, _ = link_lookups(many_linked_groups(1_000), monkeypatch)
    large, doc = link_lookups(many_linked_groups(16_000), monkeypatch)
    (series,) = doc.series
    assert series.readings == 16_000 and series.usage_point == 0
    assert large <= 4 * 16_000  # a few dictionary lookups a group, not one per MeterReading
    assert large <= 16 * small * 1.01
