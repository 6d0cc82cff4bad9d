"""Green Button (NAESB ESPI) Atom documents -> UsageDocument, in one streaming pass.

Reads a `feed` or a single `entry` root, ESPI 1.x (espiDerived) and 3.3 alike (same namespace and
resource shapes), with any namespace prefixes. Each IntervalBlock's readings are reduced to integer
columns when it ends (a long block in batches while it is still being read) and every entry is
dropped once read, so the tree stays small however large the file; what stays in memory is 32
bytes a reading.

Resources are tied together through Atom links, as ESPI publishes them:
UsagePoint --related--> MeterReading collection, MeterReading --related--> ReadingType and its
IntervalBlock collection, IntervalBlock --up--> that collection. A document without usable links
and a single ReadingType gets that ReadingType for all its blocks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from greenbutton import codes
from greenbutton.elements import (
    ATOM,
    ESPI,
    child,
    child_integers,
    fail,
    find_unbound_prefix,
    hex_rule,
    integer,
    interval,
    local_name,
)
from greenbutton.errors import GreenButtonError
from greenbutton.localtime import DstRule, LocalTimeParameters
from greenbutton.model import BillingPeriod, Quantity, Series, UsageDocument, UsagePoint, utc
from greenbutton.readings import take_readings
from greenbutton.series import ReadingBuffer, clean
from greenbutton.xmlsafe import (
    DEFAULT_MAX_BYTES,
    BoundedReader,
    bytes_source,
    iter_elements,
    open_bounded,
)

__all__ = ["DEFAULT_MAX_BYTES", "parse_bytes", "parse_file"]

_FEED = ATOM + "feed"
_ENTRY = ATOM + "entry"
_LINK = ATOM + "link"
_BLOCK = ESPI + "IntervalBlock"
_SUMMARIES = ("UsageSummary", "ElectricPowerUsageSummary")
_RESOURCES = ("ReadingType", "UsagePoint", "MeterReading", "LocalTimeParameters", *_SUMMARIES)
_BATCH = 2048  # children of an IntervalBlock that has not ended, at most: ~3 MB of libxml2 nodes
_TAGS = (_ENTRY, _BLOCK, *(ESPI + name for name in _RESOURCES))


def parse_file(path: str | os.PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> UsageDocument:
    """Parse the Green Button document at `path`; raises GreenButtonError on anything doubtful."""
    source = open_bounded(path, max_bytes)
    with source:
        return _parse(source)


def parse_bytes(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> UsageDocument:
    """Parse a Green Button document held in memory."""
    return _parse(bytes_source(data, max_bytes))


@dataclass
class _Links:
    line: int
    self: str | None = None
    up: str | None = None
    related: list[str] = field(default_factory=list)

    def parent_of(self, href: str | None) -> bool:
        """Whether `href` (a child's up or self link) names this resource or something under it."""
        if href is None:
            return False
        if href in self.related:
            return True
        return self.self is not None and (href == self.self or href.startswith(self.self + "/"))


@dataclass
class _Resource:
    kind: str
    line: int
    links: _Links
    data: object


@dataclass
class _BlockGroup:
    """IntervalBlocks sharing one `up` link, i.e. one MeterReading's blocks."""

    key: str | None
    line: int
    readings: ReadingBuffer = field(default_factory=ReadingBuffer)


def _parse(source: BoundedReader) -> UsageDocument:
    collected = _Collector()
    source.between_reads = collected.trim_open_block
    for event, element in iter_elements(source, _TAGS):
        if event == "end":
            collected.take(element)
        elif event == "start":
            if element.tag == _BLOCK:
                collected.open_block = element
        else:
            collected.check_root(element)
    return _Assembler(collected).document()


class _Collector:
    """Receives elements as they end and keeps only what the assembler needs."""

    def __init__(self) -> None:
        self.resources: list[_Resource] = []
        self.groups: dict[str | None, _BlockGroup] = {}
        self._buffer = ReadingBuffer()
        self._pending: list[tuple[str, int, object]] = []
        self._readings = 0
        self.open_block: etree._Element | None = None

    def trim_open_block(self) -> None:
        """Take the finished readings of a long IntervalBlock that is still being parsed.

        Readings are not parse events (that would cost a Python call each); instead, between two
        reads, a block that has grown past _BATCH children gives up all but its last child, which
        may still be incomplete. Daily blocks never get here; a year in one block stays bounded.
        """
        block = self.open_block
        if block is None or len(block) <= _BATCH:
            return
        finished = etree.Element(_BLOCK)
        finished.extend(block[:-1])
        self._readings += take_readings(finished, self._buffer)

    def take(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == _BLOCK:
            self.open_block = None
            self._readings += take_readings(element, self._buffer)
            self._pending.append(("IntervalBlock", element.sourceline, self._buffer))
            self._buffer = ReadingBuffer()
            _drop(element)
        elif tag == _ENTRY:
            self._entry(element)
        elif tag in _PARSERS:
            kind = tag[len(ESPI) :]
            self._pending.append((kind, element.sourceline, _PARSERS[tag](element)))

    def _entry(self, element: etree._Element) -> None:
        links = _Links(element.sourceline)
        for node in element:
            if node.tag == _LINK:
                rel, href = node.get("rel"), node.get("href")
                if href is None:
                    continue
                if rel == "self":
                    links.self = href
                elif rel == "up":
                    links.up = href
                elif rel == "related":
                    links.related.append(href)
        for kind, line, data in self._pending:
            if kind == "IntervalBlock":
                self._block(links, line, data)  # type: ignore[arg-type]
            else:
                self.resources.append(_Resource(kind, line, links, data))
        self._pending = []
        _drop(element)

    def _block(self, links: _Links, line: int, readings: ReadingBuffer) -> None:
        key = links.up
        if key is None and links.self is not None:
            key = links.self.rpartition("/")[0]  # .../MeterReading/1/IntervalBlock/7 -> its collection
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _BlockGroup(key, line)
        group.readings.extend(readings)

    def check_root(self, element: etree._Element) -> None:
        if element.tag not in (_FEED, _ENTRY):
            unbound = find_unbound_prefix(element)
            if unbound is not None:
                raise fail(unbound, "")
            raise GreenButtonError(
                f"root element is not an Atom feed or entry (namespace {ATOM[1:-1]})",
                element=local_name(element),
                line=element.sourceline,
            )
        if self._readings == 0:
            raise GreenButtonError("document has no IntervalReading", element=local_name(element), line=element.sourceline)


def _drop(element: etree._Element) -> None:
    """Free an element that has been read, and the already-read siblings before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


@dataclass(frozen=True)
class _ReadingTypeData:
    values: dict[str, int]


@dataclass(frozen=True)
class _SummaryData:
    billing: tuple[int, int] | None
    bill: int | None
    currency: int | None
    consumption: Quantity | None
    commodity: int | None


def _reading_type(element: etree._Element) -> _ReadingTypeData:
    values = child_integers(element)
    return _ReadingTypeData(values)


def _usage_point(element: etree._Element) -> int | None:
    category = child(element, "ServiceCategory")
    if category is None:
        return None
    kind = child(category, "kind")
    return None if kind is None else integer(kind)


def _local_time(element: etree._Element) -> LocalTimeParameters:
    parts = {}
    for name in ("dstStartRule", "dstEndRule", "dstOffset", "tzOffset"):
        node = child(element, name)
        if node is None:
            raise fail(element, f"has no {name}")
        parts[name] = node
    try:
        start = DstRule.decode(hex_rule(parts["dstStartRule"]))
        end = DstRule.decode(hex_rule(parts["dstEndRule"]))
    except GreenButtonError as exc:
        raise fail(element, str(exc)) from None
    return LocalTimeParameters(
        tz_offset=integer(parts["tzOffset"]),
        dst_offset=integer(parts["dstOffset"]),
        dst_start=start,
        dst_end=end,
    )


def _summary(element: etree._Element) -> _SummaryData:
    scalars = child_integers(element)
    period = child(element, "billingPeriod")
    consumption = None
    measurement = child(element, "overallConsumptionLastPeriod")
    if measurement is not None:
        m = child_integers(measurement)
        if "value" in m:
            if "uom" not in m:
                raise fail(measurement, "has a value but no uom")
            unit = _unit(m["uom"], measurement)
            consumption = Quantity(_scaled(m["value"], m.get("powerOfTenMultiplier", 0) + unit.scale), unit.symbol)
    return _SummaryData(
        billing=None if period is None else interval(period),
        bill=scalars.get("billLastPeriod"),
        currency=scalars.get("currency"),
        consumption=consumption,
        commodity=scalars.get("commodity"),
    )


_PARSERS = {
    ESPI + "ReadingType": _reading_type,
    ESPI + "UsagePoint": _usage_point,
    ESPI + "MeterReading": lambda element: None,
    ESPI + "LocalTimeParameters": _local_time,
    ESPI + "UsageSummary": _summary,
    ESPI + "ElectricPowerUsageSummary": _summary,
}


def _unit(uom: int, element: etree._Element | None = None, line: int | None = None) -> codes.Unit:
    unit = codes.UNITS.get(uom)
    if unit is None:
        message = f"uom {uom} is not a unit this parser supports ({', '.join(sorted(u.symbol for u in codes.UNITS.values()))})"
        if element is not None:
            raise fail(element, message)
        raise GreenButtonError(message, element="ReadingType", line=line)
    return unit


def _scaled(raw: int, exponent: int) -> Decimal:
    return Decimal(raw).scaleb(exponent)


class _Assembler:
    """Resolves links between the collected resources and builds the document."""

    def __init__(self, collected: _Collector):
        self.groups = list(collected.groups.values())
        self.of_kind: dict[str, list[_Resource]] = {}
        for resource in collected.resources:
            self.of_kind.setdefault(resource.kind, []).append(resource)
        self.notices: list[str] = []

    def kind(self, name: str) -> list[_Resource]:
        return self.of_kind.get(name, [])

    def document(self) -> UsageDocument:
        usage_points = self.kind("UsagePoint")
        local_times = self.kind("LocalTimeParameters")
        points = tuple(
            UsagePoint(
                commodity=None if up.data is None else codes.SERVICE_KINDS.get(up.data, f"service-{up.data}"),  # type: ignore[call-overload]
                local_time=next(
                    (lt.data for lt in local_times if lt.links.self and lt.links.self in up.links.related), None
                ),  # type: ignore[arg-type]
            )
            for up in usage_points
        )
        distinct_times = {lt.data for lt in local_times}
        document_time = distinct_times.pop() if len(distinct_times) == 1 else None
        return UsageDocument(
            series=self._series(usage_points, points),
            usage_points=points,
            billing_periods=self._billing_periods(usage_points),
            local_time=document_time,  # type: ignore[arg-type]
            notices=tuple(self.notices),
        )

    def _series(self, usage_points: list[_Resource], points: tuple[UsagePoint, ...]) -> tuple[Series, ...]:
        meter_readings = self.kind("MeterReading")
        reading_types = self.kind("ReadingType")
        merged: dict[tuple[int, int | None], ReadingBuffer] = {}
        for group in self.groups:
            meter = next((mr for mr in meter_readings if mr.links.parent_of(group.key)), None)
            reading_type = None
            point = None
            if meter is not None:
                reading_type = next(
                    (rt for rt in reading_types if rt.links.self and rt.links.self in meter.links.related), None
                )
                point = next(
                    (
                        i
                        for i, up in enumerate(usage_points)
                        if up.links.parent_of(meter.links.up) or up.links.parent_of(meter.links.self)
                    ),
                    None,
                )
            if reading_type is None:
                if len(reading_types) != 1:
                    raise GreenButtonError(
                        f"IntervalBlock is not linked to a ReadingType (through its MeterReading) and the "
                        f"document has {len(reading_types)} ReadingTypes to choose from",
                        element="IntervalBlock",
                        line=group.line,
                    )
                reading_type = reading_types[0]
                self._notice("IntervalBlocks without a linked ReadingType use the document's only ReadingType")
            key = (reading_types.index(reading_type), point)
            if key in merged:
                merged[key].extend(group.readings)
            else:
                merged[key] = group.readings
        return tuple(
            self._one_series(reading_types[rt], point, points, buffer) for (rt, point), buffer in merged.items()
        )

    def _one_series(
        self, reading_type: _Resource, point: int | None, points: tuple[UsagePoint, ...], buffer: ReadingBuffer
    ) -> Series:
        values = reading_type.data.values  # type: ignore[attr-defined]
        line = reading_type.line
        if "uom" not in values:
            raise GreenButtonError("has no uom, so its readings have no unit", element="ReadingType", line=line)
        uom = values["uom"]
        unit = _unit(uom, line=line)
        commodity = codes.COMMODITIES.get(values.get("commodity", -1))
        if commodity is None and point is not None:
            commodity = points[point].commodity
        if commodity is None:
            commodity = codes.COMMODITY_BY_UOM.get(uom, "unknown")
        if "accumulationBehaviour" not in values:
            self._notice(f"ReadingType at line {line} has no accumulationBehaviour; its readings are read as deltaData")
        if "flowDirection" not in values:
            self._notice(f"ReadingType at line {line} has no flowDirection; its readings are read as forward (delivered)")
        accumulation = codes.accumulation_label(values.get("accumulationBehaviour"))
        if accumulation == "deltaData" and not unit.energy:
            # A W or V reading is a level, not an amount: summing it would be meaningless.
            accumulation = "indicating"
        exponent = values.get("powerOfTenMultiplier", 0) + unit.scale
        cleaned = clean(buffer, exponent)
        return Series(
            commodity=commodity,
            unit=unit.symbol,
            flow=codes.flow_label(values.get("flowDirection")),
            accumulation=accumulation,
            usage_point=point,
            exponent=exponent,
            currency=codes.currency_label(values.get("currency")),
            columns=cleaned.columns,
            duplicates=cleaned.duplicates,
            gaps=cleaned.gaps,
            overlaps=cleaned.overlaps,
        )

    def _billing_periods(self, usage_points: list[_Resource]) -> tuple[BillingPeriod, ...]:
        periods = []
        for kind in _SUMMARIES:
            for summary in self.kind(kind):
                data: _SummaryData = summary.data  # type: ignore[assignment]
                if data.billing is None:
                    continue
                start, duration = data.billing
                point = next(
                    (
                        i
                        for i, up in enumerate(usage_points)
                        if up.links.parent_of(summary.links.up) or up.links.parent_of(summary.links.self)
                    ),
                    None,
                )
                commodity = codes.COMMODITIES.get(data.commodity) if data.commodity is not None else None
                if commodity is None and kind == "ElectricPowerUsageSummary":
                    commodity = codes.ELECTRICITY
                periods.append(
                    BillingPeriod(
                        start=utc(start),
                        end=utc(start + duration),
                        commodity=commodity,
                        usage_point=point,
                        bill=None if data.bill is None else _scaled(data.bill, codes.COST_SCALE),
                        currency=codes.currency_label(data.currency),
                        consumption=data.consumption,
                        element=kind,
                    )
                )
        periods.sort(key=lambda p: (p.start, p.end))
        return tuple(periods)

    def _notice(self, text: str) -> None:
        if text not in self.notices:
            self.notices.append(text)
