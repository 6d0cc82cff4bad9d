"""gas_usage_by_period: delivered natural gas per billing period, in the unit the file states."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from greenbutton import GasPeriodUsage, GreenButtonError, gas_usage_by_period, generate_feed, parse_bytes


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def gas_feed(**options) -> bytes:
    arguments = {"seed": 7, "start": date(2024, 1, 1), "days": 90, "commodity": "gas"} | options
    return generate_feed(**arguments)


@pytest.mark.parametrize(("gas_unit", "interval"), [("therm", 3600), ("m3", 86400)])
def test_gas_per_billing_period_matches_the_bills(gas_unit, interval):
    doc = parse_bytes(gas_feed(gas_unit=gas_unit, interval_seconds=interval))
    (series,) = doc.series
    assert (series.commodity, series.unit, series.flow) == ("gas", gas_unit, "forward")
    periods = gas_usage_by_period(doc)
    assert [(p.start, p.end) for p in periods] == [(b.start, b.end) for b in doc.billing_periods]
    assert [(p.quantity, p.unit) for p in periods] == [(b.consumption.value, b.consumption.unit)
                                                        for b in doc.billing_periods]
    assert all(p.source == "billing-period" and isinstance(p.quantity, Decimal) for p in periods)
    assert periods[0].start == at("2024-01-01T08:00:00")  # midnight in Los Angeles


def test_winter_uses_more_gas_than_spring():
    periods = gas_usage_by_period(parse_bytes(gas_feed(days=366)))
    january, may = periods[0].quantity, periods[4].quantity
    assert Decimal(40) < january < Decimal(150) and may < january / 2


@pytest.mark.parametrize(
    ("uom", "multiplier", "unit", "scale"),
    [
        (b"119", b"2", "ccf", 0),  # hundreds of cubic feet, as US gas bills state them
        (b"119", b"3", "mcf", 0),
        (b"169", b"1", "dekatherm", 0),
        (b"119", b"0", "ft3", 0),
        (b"169", b"-3", "therm", -3),
    ],
)
def test_the_unit_is_the_one_the_file_states(uom, multiplier, unit, scale):
    data = gas_feed(days=31, with_summaries=False).replace(b"<espi:uom>169</espi:uom>", b"<espi:uom>" + uom + b"</espi:uom>")
    data = data.replace(b"<espi:powerOfTenMultiplier>-3<", b"<espi:powerOfTenMultiplier>" + multiplier + b"<")
    doc = parse_bytes(data)
    (period,) = gas_usage_by_period(doc)
    raw = sum(doc.series[0].columns.values)
    assert (period.unit, period.quantity) == (unit, Decimal(raw).scaleb(scale))
    assert period == GasPeriodUsage(period.start, period.end, period.quantity, unit, "calendar-month", period.notices)


def test_gas_follows_the_same_overlap_rule():
    data = gas_feed(days=10, with_summaries=False)
    first_start = data.split(b"<espi:start>")[2].split(b"<")[0]  # [1] is the block's own interval
    late = int(first_start) + 1800
    reading = (b"<espi:IntervalReading><espi:timePeriod><espi:duration>3600</espi:duration><espi:start>%d"
               b"</espi:start></espi:timePeriod><espi:value>5</espi:value></espi:IntervalReading>" % late)
    data = data.replace(b"</espi:IntervalBlock>", reading + b"</espi:IntervalBlock>", 1)
    with pytest.raises(GreenButtonError, match=r"refused: readings overlap: .* overlaps "):
        gas_usage_by_period(parse_bytes(data))


def test_electricity_only_files_have_no_gas():
    with pytest.raises(GreenButtonError, match="no delivered gas interval data"):
        gas_usage_by_period(parse_bytes(generate_feed(seed=1, start=date(2024, 1, 1), days=3)))


def test_gas_notices_travel_with_the_periods():
    data = gas_feed(days=31, with_summaries=False).replace(b"<espi:flowDirection>1<", b"<espi:flowDirection>0<")
    (period,) = gas_usage_by_period(parse_bytes(data))
    assert [n.code for n in period.notices] == ["flow-assumed"]
