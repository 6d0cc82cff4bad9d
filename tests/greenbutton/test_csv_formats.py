"""read_usage: the format a bill was served in is sniffed from its bytes and read by its reader."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest

from greenbutton import GreenButtonError, electricity_usage_by_period, generate_feed
from greenbutton.csv_generator import generate_csv
from greenbutton.formats import (
    FORMATS,
    GREEN_BUTTON_CSV,
    GREEN_BUTTON_XML,
    read_usage,
    sniff,
)

FIXTURES = Path(__file__).parent / "fixtures"
LA = "America/Los_Angeles"


def test_format_names_are_the_ones_records_carry():
    assert FORMATS == ("Green Button XML", "Green Button CSV")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<?xml version="1.0"?><feed/>', GREEN_BUTTON_XML),
        (b"\r\n\t  <feed/>", GREEN_BUTTON_XML),
        (codecs.BOM_UTF8 + b"\n<feed/>", GREEN_BUTTON_XML),
        ("<feed/>".encode("utf-16"), GREEN_BUTTON_XML),
        (b"Name,JANE DOE\n", GREEN_BUTTON_CSV),
        (codecs.BOM_UTF8 + b"TYPE,DATE,USAGE (kWh)\n", GREEN_BUTTON_CSV),
        ("TYPE,DATE\n".encode("utf-16"), GREEN_BUTTON_CSV),
        (b" " * 10_000 + b"<feed/>", GREEN_BUTTON_XML),
        (codecs.BOM_UTF8 + b" " * 10_000 + b"Name,JANE DOE", GREEN_BUTTON_CSV),
    ],
)
def test_sniffing_looks_at_the_first_character_after_bom_and_whitespace(data, expected):
    assert sniff(data) == expected


@pytest.mark.parametrize("data", [b"", b" \r\n", codecs.BOM_UTF8, b" " * 10_000, codecs.BOM_UTF8 + b" " * 10_000,
                                  codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")])
def test_nothing_to_sniff_is_an_empty_document(data):
    with pytest.raises(GreenButtonError, match="^document is empty"):
        read_usage(data)


def test_xml_and_csv_bills_of_the_same_data_read_to_the_same_usage():
    arguments = {"seed": 21, "start": date(2024, 1, 1), "days": 90, "tz": LA}
    xml_format, xml_doc = read_usage(generate_feed(with_summaries=False, **arguments))
    csv_format, csv_doc = read_usage(generate_csv(**arguments), tz=LA)
    assert (xml_format, csv_format) == (GREEN_BUTTON_XML, GREEN_BUTTON_CSV)
    assert electricity_usage_by_period(csv_doc) == electricity_usage_by_period(xml_doc)


def test_xml_errors_come_from_the_xml_parser():
    with pytest.raises(GreenButtonError, match="malformed XML"):
        read_usage((FIXTURES / "bad_malformed.xml").read_bytes())


def test_csv_errors_come_from_the_csv_reader():
    with pytest.raises(GreenButtonError, match="no header row with TYPE and DATE columns"):
        read_usage(b"just some text\n")


def test_utf16_csv_is_refused_by_the_csv_reader():
    with pytest.raises(GreenButtonError, match="UTF-16"):
        read_usage("TYPE,DATE,USAGE (kWh)\n".encode("utf-16"))


@pytest.mark.parametrize("make", [lambda: generate_feed(seed=1, start=date(2024, 1, 1), days=2),
                                  lambda: generate_csv(seed=1, start=date(2024, 1, 1), days=2)])
def test_size_limit_applies_to_both_formats_before_reading(make):
    data = make()
    with pytest.raises(GreenButtonError, match=f"^document is {len(data)} bytes, larger than the limit of 1000 bytes"):
        read_usage(data, max_bytes=1000)
    assert read_usage(data, max_bytes=len(data), tz=LA)[1].series


def test_the_bill_is_read_as_served_so_its_hash_is_of_those_bytes():
    # read_usage never needs the bytes changed (no BOM stripping or re-encoding by the caller).
    data = codecs.BOM_UTF8 + generate_csv(seed=1, start=date(2024, 1, 1), days=2).replace(b"\r\n", b"\n")
    kind, doc = read_usage(data, tz=LA)
    assert kind == GREEN_BUTTON_CSV and doc.series[0].readings == 48
