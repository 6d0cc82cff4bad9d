"""Generated feeds: valid against the ESPI 1.x and 3.3 schemas, deterministic, and self-consistent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from greenbutton import GreenButtonError, generate_feed, parse_bytes, parse_file, write_feed
from greenbutton.localtime import for_zone
from testkit.policy import SHARED, require

SCHEMAS = SHARED / "data" / "greenbutton"
ESPI_SCHEMA = {"1": "espiDerived.xsd", "3.3": "espi_v3.3/usage.xsd"}

# atom.xsd imports the W3C xml.xsd over the network; this stand-in declares the same attributes.
_XML_NAMESPACE_XSD = b"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang" type="xs:language"/>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="id" type="xs:ID"/>
  <xs:attribute name="space">
    <xs:simpleType><xs:restriction base="xs:NCName">
      <xs:enumeration value="default"/><xs:enumeration value="preserve"/>
    </xs:restriction></xs:simpleType>
  </xs:attribute>
</xs:schema>"""


class _OfflineResolver(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url.endswith("/2001/03/xml.xsd"):
            return self.resolve_string(_XML_NAMESPACE_XSD, context)
        if url.startswith("file://"):
            return None  # local schema files: libxml2 loads them itself
        raise AssertionError(f"schema tried to load {url}")


@cache
def espi_schema(version: str) -> etree.XMLSchema:
    path = SCHEMAS / ESPI_SCHEMA[version]
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        f'<xs:import namespace="http://naesb.org/espi" schemaLocation="{path.as_uri()}"/></xs:schema>'
    ).encode()
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_OfflineResolver())
    return etree.XMLSchema(etree.fromstring(wrapper, parser, base_url=path.parent.as_uri() + "/wrapper.xsd"))


def assert_valid(feed: bytes, version: str) -> None:
    require(SCHEMAS.is_dir(), f"ESPI schemas not found at {SCHEMAS}")
    schema = espi_schema(version)
    if not schema.validate(etree.fromstring(feed)):
        pytest.fail("\n".join(str(e) for e in list(schema.error_log)[:5]))


@pytest.mark.parametrize("version", ["1", "3.3"])
@pytest.mark.parametrize(("interval", "with_costs"), [(900, True), (3600, False), (86400, True)])
def test_generated_feeds_validate_against_the_espi_schema(version, interval, with_costs):
    feed = generate_feed(
        seed=11, start=date(2024, 2, 20), days=45, interval_seconds=interval, espi_version=version, with_costs=with_costs
    )
    assert_valid(feed, version)


@pytest.mark.parametrize("version", ["1", "3.3"])
@pytest.mark.parametrize(("gas_unit", "interval"), [("therm", 3600), ("m3", 86400)])
def test_generated_gas_feeds_validate_against_the_espi_schema(version, gas_unit, interval):
    feed = generate_feed(seed=3, start=date(2024, 1, 1), days=40, interval_seconds=interval, espi_version=version,
                         commodity="gas", gas_unit=gas_unit)
    assert_valid(feed, version)
    assert b"<espi:kind>1</espi:kind>" in feed and b"<espi:commodity>7</espi:commodity>" in feed


@pytest.mark.parametrize("version", ["1", "3.3"])
def test_schema_check_catches_an_invalid_feed(version):
    feed = generate_feed(seed=1, start=date(2024, 1, 1), days=1, espi_version=version)
    broken = feed.replace(b"<espi:uom>72</espi:uom>", b"<espi:uom>kWh</espi:uom>")
    require(SCHEMAS.is_dir(), f"ESPI schemas not found at {SCHEMAS}")
    assert not espi_schema(version).validate(etree.fromstring(broken))


def test_same_seed_same_bytes_other_seed_other_load():
    a = generate_feed(seed=7, start=date(2024, 1, 1), days=3)
    assert a == generate_feed(seed=7, start=date(2024, 1, 1), days=3)
    assert a != generate_feed(seed=8, start=date(2024, 1, 1), days=3)


def test_summaries_costs_and_readings_agree():
    doc = parse_bytes(generate_feed(seed=4, start=date(2024, 1, 1), days=60, espi_version="3.3"))
    (series,) = doc.series
    assert series.readings == 60 * 24  # January and February 2024: no DST change
    assert [p.element for p in doc.billing_periods] == ["UsageSummary", "UsageSummary"]
    assert sum(p.consumption.value for p in doc.billing_periods) == series.total
    assert sum(p.bill for p in doc.billing_periods) == series.cost
    assert series.currency == "USD" and not series.gaps and not series.duplicates


def test_load_shape_is_realistic():
    doc = parse_bytes(generate_feed(seed=1, start=date(2024, 1, 1), days=366, tz="America/Chicago"))
    (series,) = doc.series
    assert Decimal(3000) < series.total < Decimal(20000)  # a household year, kWh
    by_hour = [Decimal(0)] * 24
    by_month = [Decimal(0)] * 12
    chicago = for_zone("America/Chicago")
    for reading in series:
        local = chicago.to_local(reading.start)
        by_hour[local.hour] += reading.value
        by_month[local.month - 1] += reading.value
    assert by_hour.index(max(by_hour)) in range(17, 22)  # evening peak
    assert by_hour.index(min(by_hour)) in range(0, 6)  # night trough
    assert max(by_month[5:8]) > by_month[3] and max(by_month[5:8]) > by_month[9]  # summer cooling


@settings(max_examples=25, deadline=None)
@given(
    interval=st.sampled_from([60, 300, 900, 1800, 3600, 7200, 86400]),
    days=st.integers(min_value=1, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32),
    start=st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)),
)
def test_any_interval_and_period_round_trips(interval, days, seed, start):
    doc = parse_bytes(generate_feed(seed=seed, start=start, days=days, interval_seconds=interval))
    (series,) = doc.series
    assert not series.gaps and not series.duplicates and not series.overlaps
    assert series.interval_seconds == interval
    assert sum(p.consumption.value for p in doc.billing_periods) == series.total


def test_write_feed_streams_to_a_file(tmp_path):
    path = tmp_path / "feed.xml"
    size = write_feed(path, seed=3, start=date(2024, 6, 1), days=2, interval_seconds=900)
    assert size == path.stat().st_size
    assert path.read_bytes() == generate_feed(seed=3, start=date(2024, 6, 1), days=2, interval_seconds=900)
    assert parse_file(path).series[0].readings == 2 * 96


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"espi_version": "2"}, "espi_version"),
        ({"days": 0}, "days"),
        ({"interval_seconds": 0}, "interval"),
        ({"tz": "Nowhere/Special"}, "unknown time zone"),
        ({"commodity": "steam"}, "commodity must be one of electricity, gas"),
        ({"commodity": "gas", "gas_unit": "ccf"}, "gas_unit must be one of therm, m3"),
    ],
)
def test_generator_refuses_bad_arguments(kwargs, message):
    args = {"seed": 1, "start": date(2024, 1, 1), "days": 1} | kwargs
    with pytest.raises(GreenButtonError, match=message):
        generate_feed(**args)
