"""electricity_usage_by_period: the contract the emissions calculation relies on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from greenbutton import (
    GreenButtonError,
    PeriodUsage,
    electricity_usage_by_period,
    generate_feed,
    parse_bytes,
    parse_file,
)

FIXTURES = Path(__file__).parent / "fixtures"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_billing_periods_from_usage_summaries_deduplicated():
    periods = electricity_usage_by_period(parse_file(FIXTURES / "summaries_local_time.xml"))
    assert periods == [
        PeriodUsage(at("2024-03-09T08:00:00"), at("2024-03-10T08:00:00"), Decimal("10.000"), (), "billing-period"),
        PeriodUsage(at("2024-03-10T08:00:00"), at("2024-03-12T07:00:00"), Decimal("23.000"), (), "billing-period"),
    ]


def test_calendar_months_in_utc_without_local_time_with_hourly_breakdown():
    (period,) = electricity_usage_by_period(parse_file(FIXTURES / "electric_prefixed_feed.xml"))
    assert (period.start, period.end, period.source) == (at("2024-01-01T00:00:00"), at("2024-02-01T00:00:00"), "calendar-month")
    assert period.kwh == Decimal("4.750")
    assert period.hourly_kwh == (
        (at("2024-01-01T00:00:00"), Decimal("1.000")),
        (at("2024-01-01T01:00:00"), Decimal("1.500")),
        (at("2024-01-01T02:00:00"), Decimal("2.000")),
        (at("2024-01-01T03:00:00"), Decimal("0.250")),
    )


def test_only_delivered_electricity_delta_counts():
    (period,) = electricity_usage_by_period(parse_file(FIXTURES / "mixed_feed.xml"))
    assert period.kwh == Decimal("2.000")  # not gas, not exported, not the cumulative register


def test_exact_repeats_are_counted_once_and_said():
    # The fixture's second 02:00 reading says 999 Wh; make it agree with the first (300 Wh).
    data = (FIXTURES / "unordered_duplicates_gaps.xml").read_bytes().replace(b">999<", b">300<")
    (period,) = electricity_usage_by_period(parse_bytes(data))
    assert period.kwh == Decimal("1.600")
    assert [h for h, _ in period.hourly_kwh] == [at(f"2024-01-01T0{h}:00:00") for h in (0, 1, 2, 3, 5)]
    (notice,) = [n for n in period.notices if n.code == "duplicate-readings-counted-once"]
    assert notice.message.startswith("2 readings in this period repeat an earlier reading exactly")


def test_readings_that_disagree_refuse_the_period_naming_them():
    with pytest.raises(
        GreenButtonError,
        match=r"period 2024-01-01T00:00:00Z\.\.2024-02-01T00:00:00Z refused: readings at 2024-01-01T02:00:00Z "
        r"disagree \(0\.300 kWh in 3600 s, 0\.999 kWh in 3600 s\)",
    ):
        electricity_usage_by_period(parse_file(FIXTURES / "unordered_duplicates_gaps.xml"))


def test_quarter_hours_sum_into_hours_and_local_calendar_months_across_dst():
    data = generate_feed(seed=9, start=date(2024, 2, 1), days=60, interval_seconds=900, with_summaries=False)
    doc = parse_bytes(data)
    periods = electricity_usage_by_period(doc)
    # Pacific local months: February starts at 08:00Z (PST); April at 07:00Z (PDT, after 10 March).
    assert [(p.start, p.end) for p in periods] == [
        (at("2024-02-01T08:00:00"), at("2024-03-01T08:00:00")),
        (at("2024-03-01T08:00:00"), at("2024-04-01T07:00:00")),
    ]
    assert all(p.source == "calendar-month" for p in periods)
    assert len(periods[1].hourly_kwh) == 31 * 24 - 1  # the spring-forward day has 23 hours
    for p in periods:
        assert sum(v for _, v in p.hourly_kwh) == p.kwh
    assert sum(p.kwh for p in periods) == doc.series[0].total


def test_generated_billing_cycles_match_the_summaries():
    doc = parse_bytes(generate_feed(seed=2, start=date(2024, 1, 15), days=90, interval_seconds=3600))
    periods = electricity_usage_by_period(doc)
    assert [p.source for p in periods] == ["billing-period"] * 3
    assert [p.kwh for p in periods] == [b.consumption.value for b in doc.billing_periods]
    assert periods[0].start == at("2024-01-15T08:00:00")


def test_coarser_than_hourly_data_has_no_hourly_breakdown():
    doc = parse_bytes(generate_feed(seed=3, start=date(2024, 1, 1), days=10, interval_seconds=7200, tz="UTC"))
    (period,) = electricity_usage_by_period(doc)
    assert period.hourly_kwh == ()
    assert period.kwh == doc.series[0].total


def test_no_delivered_electricity_is_an_error():
    data = (FIXTURES / "mixed_feed.xml").read_bytes().replace(b"<espi:uom>72</espi:uom>", b"<espi:uom>73</espi:uom>")
    with pytest.raises(GreenButtonError, match="no delivered electricity"):
        electricity_usage_by_period(parse_bytes(data))


def test_result_types_match_the_interface():
    (period,) = electricity_usage_by_period(parse_file(FIXTURES / "electric_prefixed_feed.xml"))
    assert period.start.tzinfo is not None and period.start.utcoffset().total_seconds() == 0
    assert isinstance(period.kwh, Decimal)
    with pytest.raises(AttributeError):
        period.kwh = Decimal(0)  # frozen
