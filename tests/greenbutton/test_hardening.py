"""Hostile and broken input: each is refused with an error naming the element and line."""

from __future__ import annotations

import tracemalloc
from decimal import Decimal
from datetime import date
from pathlib import Path

import pytest

from greenbutton import GreenButtonError, generate_feed, parse_bytes, parse_file

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bad_malformed.xml", r"line 10: malformed XML: .*IntervalRead"),
        ("bad_unbound_prefix.xml", r"esp:timePeriod \(line 10\): namespace prefix 'esp' is not declared"),
        ("bad_fractional_timestamp.xml", r"start \(line 10\): has '1704070800.5', not an integer"),
        ("bad_missing_timestamp.xml", r"IntervalReading \(line 10\): has no timePeriod/start"),
        ("bad_missing_value.xml", r"IntervalReading \(line 10\): has no value"),
        ("bad_missing_uom.xml", r"ReadingType \(line 5\): has no uom"),
        ("bad_no_readings.xml", r"feed \(line 2\): document has no IntervalReading"),
    ],
)
def test_malformed_documents_name_element_and_line(fixture, expected):
    with pytest.raises(GreenButtonError, match=expected) as caught:
        parse_file(FIXTURES / fixture)
    assert caught.value.line is not None


@pytest.mark.parametrize("fixture", ["bad_billion_laughs.xml", "bad_xxe.xml"])
def test_documents_with_a_dtd_are_refused(fixture):
    with pytest.raises(GreenButtonError, match=r"line 2: document declares a DTD"):
        parse_file(FIXTURES / fixture)


def test_dtd_split_across_reads_is_still_refused(tmp_path):
    # Push the DOCTYPE past the first read buffer so the marker can straddle two reads.
    padding = b"<!--" + b"x" * 70_000 + b"-->\n"
    path = tmp_path / "late.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n' + padding + (FIXTURES / "bad_xxe.xml").read_bytes().split(b"\n", 1)[1])
    with pytest.raises(GreenButtonError, match="DTD"):
        parse_file(path)


def test_external_entity_contents_never_appear(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (
        f'<!DOCTYPE feed [<!ENTITY s SYSTEM "file://{secret}">]>'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>&s;</title></feed>'
    ).encode()
    with pytest.raises(GreenButtonError) as caught:
        parse_bytes(data)
    assert "TOP-SECRET" not in str(caught.value)


def test_undefined_entity_without_dtd_is_malformed():
    data = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&nope;</title></feed>'
    with pytest.raises(GreenButtonError, match="malformed XML"):
        parse_bytes(data)


def test_size_limit_on_bytes_and_files(tmp_path):
    data = (FIXTURES / "electric_prefixed_feed.xml").read_bytes()
    with pytest.raises(GreenButtonError, match=f"document is {len(data)} bytes, larger than the limit of 1000"):
        parse_bytes(data, max_bytes=1000)
    with pytest.raises(GreenButtonError, match="larger than the limit of 1000 bytes"):
        parse_file(FIXTURES / "electric_prefixed_feed.xml", max_bytes=1000)
    assert parse_bytes(data, max_bytes=len(data)).series


def test_root_must_be_an_atom_feed_or_entry():
    data = b'<feed><entry/></feed>'  # Atom names without the Atom namespace
    with pytest.raises(GreenButtonError, match=r"feed \(line 1\): root element is not an Atom feed or entry"):
        parse_bytes(data)


def test_empty_document():
    with pytest.raises(GreenButtonError, match="malformed XML"):
        parse_bytes(b"")


def test_non_integer_values_are_refused():
    data = (FIXTURES / "electric_prefixed_feed.xml").read_bytes().replace(
        b"<espi:value>1500</espi:value>", b"<espi:value>1_500</espi:value>"
    )
    with pytest.raises(GreenButtonError, match=r"value \(line \d+\): has '1_500', not an integer"):
        parse_bytes(data)


def test_python_memory_per_reading_is_a_few_words(tmp_path):
    """Each reading costs its four 8-byte columns, not objects; XML text is ~200 bytes a reading.

    (libxml2's own memory is not traced here; benchmarks/greenbutton_parse.py measures RSS.)
    """
    peaks = {}
    for days in (30, 120):
        path = tmp_path / f"{days}.xml"
        path.write_bytes(generate_feed(seed=5, start=date(2024, 1, 1), days=days, interval_seconds=900, tz="UTC"))
        tracemalloc.start()
        doc = parse_file(path)
        peaks[days] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert doc.series[0].readings == days * 96
    per_extra_reading = (peaks[120] - peaks[30]) / ((120 - 30) * 96)
    assert per_extra_reading < 64, peaks


def _one_big_block(readings: list[bytes]) -> bytes:
    head = b"""<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">
<entry><content><espi:ReadingType><espi:accumulationBehaviour>4</espi:accumulationBehaviour>
<espi:flowDirection>1</espi:flowDirection><espi:uom>72</espi:uom></espi:ReadingType></content></entry>
<entry><content><espi:IntervalBlock>
"""
    return head + b"".join(readings) + b"</espi:IntervalBlock></content></entry></feed>"


def _reading(start: int, value: int) -> bytes:
    return (
        b"<espi:IntervalReading><espi:timePeriod><espi:duration>900</espi:duration>"
        b"<espi:start>%d</espi:start></espi:timePeriod><espi:value>%d</espi:value></espi:IntervalReading>\n"
        % (start, value)
    )


def test_a_year_in_one_interval_block_is_read_in_bounded_batches():
    readings = [_reading(1704067200 + 900 * i, i % 7) for i in range(35_040)]
    doc = parse_bytes(_one_big_block(readings))
    (series,) = doc.series
    assert series.readings == 35_040
    assert series.total == Decimal(sum(i % 7 for i in range(35_040))).scaleb(-3)
    assert not series.gaps and not series.duplicates


def test_many_blocks_in_one_entry_are_read_in_bounded_batches_in_document_order():
    """Readings of ended blocks wait in the tree to be read together, but never unboundedly."""
    days = [b"<espi:IntervalBlock>" + b"".join(_reading(1704067200 + 900 * (96 * d + i), (96 * d + i) % 13)
                                               for i in range(96)) + b"</espi:IntervalBlock>\n" for d in range(100)]
    data = _one_big_block([b"</espi:IntervalBlock>\n", *days, b"<espi:IntervalBlock>"])
    # The first day once more, with other values, at the very end: the first value must win.
    data = data.replace(b"</content></entry></feed>", b"</content></entry><entry><content>" + days[0].replace(
        b"<espi:value>1</espi:value>", b"<espi:value>9</espi:value>") + b"</content></entry></feed>")
    (series,) = parse_bytes(data).series
    assert series.readings == 9600
    assert series.total == Decimal(sum(i % 13 for i in range(9600))).scaleb(-3)
    assert [d.values for d in series.duplicates][1] == (Decimal("0.001"), Decimal("0.009"))


def test_a_bad_reading_deep_in_a_big_block_is_located():
    readings = [_reading(1704067200 + 900 * i, 1) for i in range(5000)]
    readings[4321] = readings[4321].replace(b"<espi:value>1</espi:value>", b"<espi:value></espi:value>")
    with pytest.raises(GreenButtonError, match=rf"value \(line {4 + 4321 + 1}\): is empty"):
        parse_bytes(_one_big_block(readings))


def test_two_values_in_one_reading_and_none_in_another_are_not_misaligned():
    readings = [_reading(1704067200 + 900 * i, 1) for i in range(4)]
    readings[1] = readings[1].replace(b"<espi:value>1</espi:value>", b"<espi:value>1</espi:value><espi:value>5</espi:value>")
    readings[2] = readings[2].replace(b"<espi:value>1</espi:value>", b"<espi:value/>")
    with pytest.raises(GreenButtonError, match=r"IntervalReading \(line 6\): has more than one value"):
        parse_bytes(_one_big_block(readings))
