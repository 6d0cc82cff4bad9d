"""Reading ESPI documents: roots, namespaces, links, units, flows, accumulation, order, costs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from greenbutton import GreenButtonError, net_totals, parse_bytes, parse_file

FIXTURES = Path(__file__).parent / "fixtures"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def only(doc):
    assert len(doc.series) == 1, doc.series
    return doc.series[0]


def test_prefixed_feed_with_links():
    series = only(parse_file(FIXTURES / "electric_prefixed_feed.xml"))
    assert (series.commodity, series.unit, series.flow, series.accumulation) == (
        "electricity",
        "kWh",
        "forward",
        "deltaData",
    )
    assert series.total == Decimal("4.750")
    assert series.readings == 4
    assert series.start == at("2024-01-01T00:00:00")
    assert series.end == at("2024-01-01T04:00:00")
    assert series.interval_seconds == 3600


def test_costs_are_hundred_thousandths_of_the_iso4217_currency():
    series = only(parse_file(FIXTURES / "electric_prefixed_feed.xml"))
    assert series.cost == Decimal("1.425")  # 142500 / 100000
    assert series.currency == "USD"  # ISO 4217 numeric 840
    assert [r.cost for r in series] == [Decimal("0.3"), Decimal("0.45"), Decimal("0.6"), Decimal("0.075")]


def test_entry_root_with_default_namespaces_uses_the_only_reading_type():
    doc = parse_file(FIXTURES / "entry_default_ns.xml")
    series = only(doc)
    # powerOfTenMultiplier 3 on Wh: values are kWh already.
    assert series.total == Decimal("5")
    assert series.unit == "kWh"
    assert any("only ReadingType" in notice.message for notice in doc.notices)


def test_same_document_with_default_or_prefixed_espi_namespace_reads_the_same():
    prefixed = (FIXTURES / "electric_prefixed_feed.xml").read_bytes()
    default = prefixed.replace(b'xmlns:espi="http://naesb.org/espi"', b'xmlns:e="http://naesb.org/espi"').replace(
        b"espi:", b"e:"
    )
    assert only(parse_bytes(default)).total == only(parse_bytes(prefixed)).total == Decimal("4.750")


def test_unlinked_blocks_with_several_reading_types_are_an_error():
    data = (FIXTURES / "mixed_feed.xml").read_bytes().replace(b'rel="up"', b'rel="alternate"').replace(
        b'rel="self" href="/UsagePoint/2/MeterReading/4/IntervalBlock/1"', b'rel="self" href="/orphans/1"'
    )
    with pytest.raises(GreenButtonError, match=r"IntervalBlock \(line \d+\).*4 ReadingTypes"):
        parse_bytes(data)


@pytest.fixture(scope="module")
def doc():
    return parse_file(FIXTURES / "mixed_feed.xml")


class TestMixedFeed:
    def pick(self, doc, commodity, flow, accumulation="deltaData"):
        matches = [
            s for s in doc.series if (s.commodity, s.flow, s.accumulation) == (commodity, flow, accumulation)
        ]
        assert len(matches) == 1, doc.series
        return matches[0]

    def test_gas_and_electricity_are_kept_apart(self, doc):
        gas = self.pick(doc, "gas", "forward")
        electricity = self.pick(doc, "electricity", "forward")
        # Gas commodity comes from the UsagePoint's ServiceCategory (the ReadingType has none).
        assert (gas.unit, gas.total) == ("therm", Decimal("4.00"))  # (150 + 250) x 10^-2 therm
        assert (electricity.unit, electricity.total) == ("kWh", Decimal("2.000"))
        assert gas.usage_point != electricity.usage_point

    def test_links_tie_blocks_to_reading_types_even_when_blocks_come_first(self, doc):
        assert len(doc.series) == 4
        assert self.pick(doc, "electricity", "reverse").total == Decimal("0.500")

    def test_cumulative_register_is_reported_not_summed(self, doc):
        register = self.pick(doc, "electricity", "forward", "cumulative")
        assert register.total is None
        assert (register.first_value, register.last_value) == (Decimal("100.000"), Decimal("102.000"))
        assert register.readings == 3

    def test_net_is_delivered_minus_exported_on_request(self, doc):
        (electric,) = [n for n in net_totals(doc) if n.commodity == "electricity"]
        assert (electric.delivered, electric.exported, electric.net) == (
            Decimal("2.000"),
            Decimal("0.500"),
            Decimal("1.500"),
        )


def test_unordered_readings_duplicates_and_gaps():
    series = only(parse_file(FIXTURES / "unordered_duplicates_gaps.xml"))
    starts = [r.start for r in series]
    assert starts == sorted(starts)
    # 100 + 200 + 300 (first 02:00 value) + 400 + 600; the repeated 01:00 and 02:00 count once.
    assert series.total == Decimal("1.600")
    assert series.readings == 5
    duplicates = {d.start: d for d in series.duplicates}
    assert set(duplicates) == {at("2024-01-01T01:00:00"), at("2024-01-01T02:00:00")}
    assert not duplicates[at("2024-01-01T01:00:00")].conflicting
    assert duplicates[at("2024-01-01T02:00:00")].conflicting
    assert duplicates[at("2024-01-01T02:00:00")].values == (Decimal("0.300"), Decimal("0.999"))
    assert [(g.start, g.end) for g in series.gaps] == [(at("2024-01-01T04:00:00"), at("2024-01-01T05:00:00"))]


def test_overlapping_readings_are_reported():
    data = (FIXTURES / "electric_prefixed_feed.xml").read_bytes().replace(
        b"<espi:duration>3600</espi:duration><espi:start>1704067200</espi:start>",
        b"<espi:duration>5400</espi:duration><espi:start>1704067200</espi:start>",
    )
    series = only(parse_bytes(data))
    assert [o.start for o in series.overlaps] == [at("2024-01-01T01:00:00")]


@pytest.mark.parametrize(
    ("uom", "multiplier", "value", "unit", "total"),
    [
        (72, 0, 1500, "kWh", Decimal("1.5")),
        (72, 3, 2, "kWh", Decimal("2")),
        (72, -1, 15, "kWh", Decimal("0.0015")),
        (169, -3, 1250, "therm", Decimal("1.25")),
        (42, -2, 375, "m3", Decimal("3.75")),
        (119, 2, 3, "ft3", Decimal("300")),
        (73, 0, 40, "VArh", Decimal("40")),
    ],
)
def test_uom_and_power_of_ten_multiplier(uom, multiplier, value, unit, total):
    data = _one_reading_type(
        f"<espi:accumulationBehaviour>4</espi:accumulationBehaviour><espi:powerOfTenMultiplier>{multiplier}"
        f"</espi:powerOfTenMultiplier><espi:uom>{uom}</espi:uom>",
        value,
    )
    series = only(parse_bytes(data))
    assert (series.unit, series.total) == (unit, total)


def test_unsupported_uom_is_an_error_naming_the_reading_type():
    data = _one_reading_type("<espi:uom>9999</espi:uom>", 1)
    with pytest.raises(GreenButtonError, match=r"ReadingType \(line 4\): uom 9999"):
        parse_bytes(data)


def test_power_readings_are_not_summed_even_if_marked_delta():
    reading_type = "<espi:accumulationBehaviour>4</espi:accumulationBehaviour><espi:uom>38</espi:uom>"
    series = only(parse_bytes(_one_reading_type(reading_type, 5)))
    assert series.unit == "W"
    assert series.total is None


def test_missing_accumulation_and_flow_are_assumed_and_said():
    doc = parse_bytes(_one_reading_type("<espi:uom>72</espi:uom>", 1000))
    assert only(doc).total == Decimal("1")
    assert {n.code for n in doc.notices} >= {"accumulation-missing", "flow-missing"}
    assert any("accumulationBehaviour" in n.message for n in doc.notices)


def test_summaries_and_local_time_are_read():
    doc = parse_file(FIXTURES / "summaries_local_time.xml")
    assert doc.local_time is not None and doc.local_time.tz_offset == -28800
    assert doc.usage_points[0].local_time == doc.local_time
    periods = doc.billing_periods
    assert [(p.element, p.start) for p in periods] == [
        ("UsageSummary", at("2024-03-09T08:00:00")),
        ("ElectricPowerUsageSummary", at("2024-03-09T08:00:00")),
        ("UsageSummary", at("2024-03-10T08:00:00")),
    ]
    first = periods[0]
    assert (first.bill, first.currency, first.commodity) == (Decimal("2.5"), "USD", "electricity")
    assert first.consumption is not None and (first.consumption.value, first.consumption.unit) == (Decimal("10"), "kWh")
    assert periods[2].end == at("2024-03-12T07:00:00")
    assert periods[1].commodity == "electricity"  # ElectricPowerUsageSummary implies it


def test_parse_file_and_parse_bytes_agree():
    path = FIXTURES / "mixed_feed.xml"
    a, b = parse_file(path), parse_bytes(path.read_bytes())
    assert [(s.commodity, s.flow, s.total) for s in a.series] == [(s.commodity, s.flow, s.total) for s in b.series]


def _one_reading_type(reading_type: str, value: int) -> bytes:
    return f"""<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">
  <entry><title>rt</title>
    <content><espi:ReadingType>{reading_type}</espi:ReadingType></content>
  </entry>
  <entry><title>b</title>
    <content><espi:IntervalBlock><espi:IntervalReading><espi:timePeriod><espi:duration>3600</espi:duration>
      <espi:start>1704067200</espi:start></espi:timePeriod><espi:value>{value}</espi:value></espi:IntervalReading>
    </espi:IntervalBlock></content>
  </entry>
</feed>""".encode()
