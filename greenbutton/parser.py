"""Green Button (NAESB ESPI) Atom documents -> UsageDocument, in one streaming pass.

Reads a `feed` or a single `entry` root, ESPI 1.x (espiDerived) and 3.3 alike (same namespace and
resource shapes), with any namespace prefixes. Ended IntervalBlocks wait in the tree until about
2,000 readings have gathered, which are then reduced to integer columns with one set of XPath
queries (a long block is taken in parts while it is still being read), and entries are dropped
once read, so the tree stays small however large the file; what stays in memory is 32 bytes a
reading.

Resources are tied together through Atom links, as ESPI publishes them:
UsagePoint --related--> MeterReading collection, MeterReading --related--> ReadingType and its
IntervalBlock collection, IntervalBlock --up--> that collection. A document without usable links
and a single ReadingType gets that ReadingType for all its blocks. Links are resolved through
hash indexes (a lookup per path segment of an href), so a feed of many small MeterReadings takes
time in proportion to its size, however it is crafted.

Strict on data, lenient on metadata. Refused, with an error naming the element and line: malformed
XML, unbound prefixes, no interval data, non-numeric or out-of-range values (Int48 values and
costs, UInt32 durations, timestamps outside the years 1-9999, a powerOfTenMultiplier outside
UnitMultiplierKind), and readings no service could deliver (above 1 GW on average; named by
their start, since the ReadingType that gives them a unit may come after them). Read with a
Notice on UsageDocument.notices instead: an unusable LocalTimeParameters (an out-of-range DST rule
falls back to the fixed tzOffset; an unusable tzOffset to UTC), accumulationBehaviour or
flowDirection missing or 0 on interval energy data (read as deltaData, forward), an unsupported
uom on one series among others (that series is left out), non-integer ReadingType fields that do
not change what a reading's number means, and what the readings themselves show: repeated or
conflicting readings, overlaps, negative delivered energy, readings far in the future. What the
usage-per-period views make of those is in periods.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from greenbutton import codes
from greenbutton.elements import (
    ATOM,
    ESPI,
    INT48,
    UINT16,
    bounded,
    child,
    fail,
    find_unbound_prefix,
    hex_rule,
    integer,
    interval,
    local_name,
)
from greenbutton.errors import GreenButtonError
from greenbutton.localtime import DstRule, LocalTimeParameters
from greenbutton.model import BillingPeriod, Notice, Quantity, Series, UsageDocument, UsagePoint, utc
from greenbutton.readings import take_held, take_readings
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
_MOST_HELD = 4 * _BATCH  # readings of ended blocks kept in the tree to be read together, at most
_MOST_KEPT_ENTRIES = 256  # ended entries kept in the tree while blocks before them wait, at most
_TAGS = (_FEED, _ENTRY, _BLOCK, *(ESPI + name for name in _RESOURCES))


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


class _Slot:
    """Where one IntervalBlock's readings go: its group's buffer, known once its entry ends.

    Readings read before that (the first part of a very long block, a block read on its own, or
    a batch read while the entry is still open) wait in `early` and move to the group, in
    document order, on target().
    """

    __slots__ = ("block", "buffer", "early", "held")

    def __init__(self, block: etree._Element | None, early: ReadingBuffer | None):
        self.block = block  # while its readings wait in the tree to be read in a batch
        self.early = early
        self.buffer: ReadingBuffer | None = None
        self.held = True

    def target(self) -> ReadingBuffer:
        if self.buffer is None:
            if self.early is None:
                self.early = ReadingBuffer()
            return self.early
        if self.early is not None:
            self.buffer.extend(self.early)
            self.early = None
        return self.buffer

    def settled(self) -> ReadingBuffer | None:
        return self.buffer if self.early is None else None


Note = Callable[[Notice], None]


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
        self.notices: list[Notice] = []
        self._buffer: ReadingBuffer | None = None  # the read part of a long block still open
        self._pending: list[tuple[str, int, object]] = []
        self._readings = 0
        self.open_block: etree._Element | None = None
        # Ended IntervalBlocks wait where they are, in their entries, to be read together.
        self._held_blocks: list[_Slot] = []
        self._held_readings = 0  # about: children of the held blocks
        self._kept_entries = 0  # ended entries not dropped yet because blocks are held
        self._last_entry: etree._Element | None = None
        self._feed: etree._Element | None = None

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
        if self._buffer is None:
            self._buffer = ReadingBuffer()
        self._readings += take_readings(finished, self._buffer)

    def take(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == _BLOCK:
            self.open_block = None
            self._hold(element)
        elif tag == _ENTRY:
            self._entry(element)
            if element.getparent() is None:
                self.read_held()
        elif tag == _FEED:
            # Before libxml2 reports document-level problems (an unbound prefix), so that an error
            # in a reading names the reading.
            self.read_held()
        elif tag in _PARSERS:
            kind = tag[len(ESPI) :]
            self._pending.append((kind, element.sourceline, _PARSERS[tag](element, self.notices.append)))

    def _hold(self, block: etree._Element) -> None:
        slot = _Slot(None, self._buffer)
        self._buffer = None
        self._pending.append(("IntervalBlock", block.sourceline, slot))
        self._held_blocks.append(slot)
        content = block.getparent()
        entry = None if content is None else content.getparent()
        if entry is not None and entry.tag == _ENTRY and (feed := entry.getparent()) is not None and feed.tag == _FEED:
            self._feed = feed
            slot.block = block  # where take_held's batch paths look: feed/entry/*/IntervalBlock
            self._held_readings += len(block)
            if self._held_readings >= _MOST_HELD:  # one entry with very many blocks: do not wait for its end
                self.read_held()
        else:  # anywhere else (an entry as the root, say): read it now, on its own
            self._readings += take_readings(block, slot.target())

    def read_held(self) -> None:
        if not self._held_blocks:
            return
        last = next((slot.block for slot in reversed(self._held_blocks) if slot.block is not None), None)
        if self._feed is not None and last is not None:
            entry = last.getparent().getparent()  # type: ignore[union-attr]
            entries = 0
            for entries, node in enumerate(self._feed.iterchildren(_ENTRY), 1):  # noqa: B007
                if node is entry:
                    break
            self._readings += take_held(self._feed, entries, self._held_blocks)  # type: ignore[arg-type]
        else:
            for slot in self._held_blocks:
                slot.target()
        for slot in self._held_blocks:
            slot.held = False
            if slot.block is not None:
                del slot.block[:]
                slot.block = None
        self._held_blocks = []
        self._held_readings = 0
        if self._last_entry is not None:
            _drop(self._last_entry)  # and every entry kept before it
            self._last_entry = None
            self._kept_entries = 0

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
        if any(slot.block is not None for slot in self._held_blocks):
            self._last_entry = element  # dropped once its blocks are read
            self._kept_entries += 1
            if self._held_readings >= _BATCH or self._kept_entries >= _MOST_KEPT_ENTRIES:
                self.read_held()
        else:
            _drop(element)

    def _block(self, links: _Links, line: int, slot: _Slot) -> None:
        key = links.up
        if key is None and links.self is not None:
            key = links.self.rpartition("/")[0]  # .../MeterReading/1/IntervalBlock/7 -> its collection
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _BlockGroup(key, line)
        slot.buffer = group.readings
        if not slot.held:
            slot.target()  # read in a batch before its entry ended: move it to the group now

    def check_root(self, element: etree._Element) -> None:
        self.read_held()
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


def _located(node: etree._Element, note: Note, code: str, consequence: str) -> Callable[[GreenButtonError], None]:
    """A handler that turns a metadata error into a notice, unless the real cause is an unbound prefix."""

    def handle(exc: GreenButtonError) -> None:
        if find_unbound_prefix(node) is not None:
            raise exc
        reason = str(exc).split(": ", 1)[-1] if exc.element else str(exc)
        note(Notice(code, f"{reason}; {consequence}", exc.element or local_name(node), exc.line or node.sourceline))

    return handle


# ReadingType fields that change what a reading's number means: never guessed around.
_STRICT_FIELDS = ("uom", "powerOfTenMultiplier")


def _reading_type(element: etree._Element, note: Note) -> _ReadingTypeData:
    values: dict[str, int] = {}
    for node in element:
        tag = node.tag
        if not (isinstance(tag, str) and tag.startswith(ESPI) and len(node) == 0):
            continue
        name = tag[len(ESPI) :]
        if name == "uom":
            values[name] = bounded(node, *UINT16, "UnitSymbolKind (UInt16)")
        elif name == "powerOfTenMultiplier":
            values[name] = _multiplier(node)
        else:
            try:
                values[name] = integer(node)
            except GreenButtonError as exc:
                _located(node, note, "reading-type-field-ignored", f"{name} is ignored")(exc)
    return _ReadingTypeData(values)


def _multiplier(node: etree._Element) -> int:
    number = integer(node)
    if number not in codes.MULTIPLIERS:
        allowed = ", ".join(str(m) for m in sorted(codes.MULTIPLIERS))
        raise fail(node, f"{number} is not a UnitMultiplierKind ({allowed})")
    return number


def _usage_point(element: etree._Element, note: Note) -> int | None:
    category = child(element, "ServiceCategory")
    if category is None:
        return None
    kind = child(category, "kind")
    if kind is None:
        return None
    try:
        return integer(kind)
    except GreenButtonError as exc:
        _located(kind, note, "service-kind-ignored", "the usage point's commodity comes from its ReadingTypes")(exc)
        return None


_MOST_TZ_OFFSET = 18 * 3600  # ISO 8601's widest offset
_MOST_DST_OFFSET = 2 * 3600  # the most any rule has ever shifted clocks


def _local_time(element: etree._Element, note: Note) -> LocalTimeParameters | None:
    """The time rules, or as much of them as can be trusted; readings never depend on them.

    Every reading is stamped in UTC; these rules only place calendar months in local time. So a
    rule that cannot be read costs the daylight-saving part (fixed tzOffset instead), and an
    unusable tzOffset the whole element (UTC instead), each with a notice, never the file.
    """
    tz_node = child(element, "tzOffset")
    fallback = "readings are stamped in UTC, so only local calendar months depend on it"
    if tz_node is None:
        note(Notice("local-time-ignored", f"has no tzOffset; {fallback}, and they are taken in UTC",
                    "LocalTimeParameters", element.sourceline))
        return None
    try:
        tz_offset = integer(tz_node)
        if abs(tz_offset) > _MOST_TZ_OFFSET:
            raise fail(tz_node, f"{tz_offset} s is beyond the widest UTC offset (18 hours)")
    except GreenButtonError as exc:
        _located(tz_node, note, "local-time-ignored", f"{fallback}, and they are taken in UTC")(exc)
        return None
    fixed = LocalTimeParameters(tz_offset=tz_offset)
    consequence = f"{fallback}: the fixed tzOffset {tz_offset} s is used, without daylight saving"
    parts: dict[str, etree._Element] = {}
    for name in ("dstStartRule", "dstEndRule", "dstOffset"):
        node = child(element, name)
        if node is None:
            note(Notice("dst-rule-invalid", f"has no {name}; {consequence}", "LocalTimeParameters", element.sourceline))
            return fixed
        parts[name] = node
    rules = []
    for name in ("dstStartRule", "dstEndRule"):
        node = parts[name]
        try:
            try:
                rules.append(DstRule.decode(hex_rule(node)))
            except GreenButtonError as exc:
                if exc.element is not None:
                    raise
                raise fail(node, str(exc)) from None
        except GreenButtonError as exc:
            _located(node, note, "dst-rule-invalid", consequence)(exc)
            return fixed
    node = parts["dstOffset"]
    try:
        dst_offset = integer(node)
        if abs(dst_offset) > _MOST_DST_OFFSET:
            raise fail(node, f"{dst_offset} s is more than a daylight-saving shift (2 hours at most)")
    except GreenButtonError as exc:
        _located(node, note, "dst-rule-invalid", consequence)(exc)
        return fixed
    return LocalTimeParameters(tz_offset=tz_offset, dst_offset=dst_offset, dst_start=rules[0], dst_end=rules[1])


def _summary(element: etree._Element, note: Note) -> _SummaryData:
    scalars: dict[str, int] = {}
    for name in ("billLastPeriod", "currency", "commodity"):
        node = child(element, name)
        if node is not None:
            scalars[name] = bounded(node, *INT48, "Int48") if name == "billLastPeriod" else integer(node)
    period = child(element, "billingPeriod")
    consumption = None
    measurement = child(element, "overallConsumptionLastPeriod")
    if measurement is not None:
        value, uom, multiplier = (child(measurement, n) for n in ("value", "uom", "powerOfTenMultiplier"))
        if value is not None:
            if uom is None:
                raise fail(measurement, "has a value but no uom")
            unit = _unit(bounded(uom, *UINT16, "UnitSymbolKind (UInt16)"), uom)
            exponent = (0 if multiplier is None else _multiplier(multiplier)) + unit.scale
            consumption = Quantity(_scaled(bounded(value, *INT48, "Int48"), exponent), unit.symbol)
    return _SummaryData(
        billing=None if period is None else interval(period),
        bill=scalars.get("billLastPeriod"),
        currency=scalars.get("currency"),
        consumption=consumption,
        commodity=scalars.get("commodity"),
    )


_PARSERS: dict[str, Callable[[etree._Element, Note], object]] = {
    ESPI + "ReadingType": _reading_type,
    ESPI + "UsagePoint": _usage_point,
    ESPI + "MeterReading": lambda element, note: None,
    ESPI + "LocalTimeParameters": _local_time,
    ESPI + "UsageSummary": _summary,
    ESPI + "ElectricPowerUsageSummary": _summary,
}


def _unit(uom: int, element: etree._Element | None = None, line: int | None = None) -> codes.Unit:
    unit = codes.UNITS.get(uom)
    if unit is None:
        supported = ", ".join(sorted({u.symbol for u in codes.UNITS.values()}))
        message = f"uom {uom} is not a unit this parser supports ({supported})"
        if element is not None:
            raise fail(element, message)
        raise GreenButtonError(message, element="ReadingType", line=line)
    return unit


def _scaled(raw: int, exponent: int) -> Decimal:
    return Decimal(raw).scaleb(exponent)


class _ParentIndex:
    """Finds, in constant time per path segment, the resource an href belongs under.

    A resource is the parent of an href its `related` links name, or of its own `self` href and
    anything below it (self + "/..."). A `related` link says so outright and wins; otherwise the
    deepest `self` wins, being the most specific; among equals, the first in the document.
    `steps` counts dictionary lookups, so tests can pin that resolving a link costs the same
    however many resources the document has.
    """

    def __init__(self, resources: list[_Resource]):
        self._related: dict[str, int] = {}
        self._self: dict[str, int] = {}
        for i, resource in enumerate(resources):
            for href in resource.links.related:
                self._related.setdefault(href, i)
            if resource.links.self is not None:
                self._self.setdefault(resource.links.self, i)
        self.steps = 0

    def find(self, *hrefs: str | None) -> int | None:
        """The parent of the first of `hrefs` that has one."""
        for href in hrefs:
            if href is None:
                continue
            self.steps += 1
            found = self._related.get(href)
            prefix = href
            while found is None and prefix:
                self.steps += 1
                found = self._self.get(prefix)
                prefix = prefix.rpartition("/")[0]
            if found is not None:
                return found
        return None


class _Assembler:
    """Resolves links between the collected resources and builds the document."""

    def __init__(self, collected: _Collector):
        self.groups = list(collected.groups.values())
        self.of_kind: dict[str, list[_Resource]] = {}
        for resource in collected.resources:
            self.of_kind.setdefault(resource.kind, []).append(resource)
        self.notices: list[Notice] = []
        self._seen: set[Notice] = set()
        for notice in collected.notices:
            self._notice(notice)

    def kind(self, name: str) -> list[_Resource]:
        return self.of_kind.get(name, [])

    def document(self) -> UsageDocument:
        usage_points = self.kind("UsagePoint")
        local_times = [lt for lt in self.kind("LocalTimeParameters") if lt.data is not None]
        time_by_self: dict[str, LocalTimeParameters] = {}
        for lt in local_times:
            if lt.links.self is not None:
                time_by_self.setdefault(lt.links.self, lt.data)  # type: ignore[arg-type]
        points = tuple(
            UsagePoint(
                commodity=None if up.data is None else codes.SERVICE_KINDS.get(up.data, f"service-{up.data}"),  # type: ignore[call-overload]
                local_time=next((time_by_self[href] for href in up.links.related if href in time_by_self), None),
            )
            for up in usage_points
        )
        distinct_times = {lt.data for lt in local_times}
        document_time = distinct_times.pop() if len(distinct_times) == 1 else None
        point_index = _ParentIndex(usage_points)
        series = self._series(point_index, points)
        billing = self._billing_periods(point_index)
        return UsageDocument(
            series=series,
            usage_points=points,
            billing_periods=billing,
            local_time=document_time,  # type: ignore[arg-type]
            notices=tuple(self.notices),
        )

    def _series(self, point_index: _ParentIndex, points: tuple[UsagePoint, ...]) -> tuple[Series, ...]:
        meter_readings = self.kind("MeterReading")
        reading_types = self.kind("ReadingType")
        meter_index = _ParentIndex(meter_readings)
        type_by_self: dict[str, int] = {}
        for i, rt in enumerate(reading_types):
            if rt.links.self is not None:
                type_by_self.setdefault(rt.links.self, i)
        # A MeterReading's ReadingType and UsagePoint, worked out once however many groups it has.
        resolved: dict[int, tuple[int | None, int | None]] = {}
        merged: dict[tuple[int, int | None], list[ReadingBuffer]] = {}
        for group in self.groups:
            meter = meter_index.find(group.key)
            reading_type = point = None
            if meter is not None:
                if meter not in resolved:
                    links = meter_readings[meter].links
                    rt = next((type_by_self[href] for href in links.related if href in type_by_self), None)
                    resolved[meter] = (rt, point_index.find(links.up, links.self))
                reading_type, point = resolved[meter]
            if reading_type is None:
                if len(reading_types) != 1:
                    raise GreenButtonError(
                        f"IntervalBlock is not linked to a ReadingType (through its MeterReading) and the "
                        f"document has {len(reading_types)} ReadingTypes to choose from",
                        element="IntervalBlock",
                        line=group.line,
                    )
                reading_type = 0
                self._notice(Notice("reading-type-by-default",
                                    "IntervalBlocks without a linked ReadingType use the document's only ReadingType",
                                    "ReadingType", reading_types[0].line))
            merged.setdefault((reading_type, point), []).append(group.readings)
        built: list[Series] = []
        skipped: list[GreenButtonError] = []
        for (rt, point), buffers in merged.items():
            buffer = buffers[0]
            for more in buffers[1:]:
                buffer.extend(more)
                more.clear()  # so that the readings are never held twice over
            try:
                built.append(self._one_series(reading_types[rt], point, points, buffer))
            except _Unsupported as exc:
                skipped.append(exc.error)
        if skipped and not built:
            raise skipped[0]
        for error in skipped:
            self._notice(Notice("series-skipped", f"{str(error).split(': ', 1)[-1]}; its readings are left out",
                                error.element, error.line))
        return tuple(built)

    def _one_series(
        self, reading_type: _Resource, point: int | None, points: tuple[UsagePoint, ...], buffer: ReadingBuffer
    ) -> Series:
        values = reading_type.data.values  # type: ignore[attr-defined]
        line = reading_type.line
        where = {"element": "ReadingType", "line": line}
        if "uom" not in values:
            raise GreenButtonError("has no uom, so its readings have no unit", **where)
        uom = values["uom"]
        try:
            unit = _unit(uom, line=line)
        except GreenButtonError as exc:
            raise _Unsupported(exc) from None
        commodity = codes.COMMODITIES.get(values.get("commodity", -1))
        if commodity is None and point is not None:
            commodity = points[point].commodity
        if commodity is None:
            commodity = codes.COMMODITY_BY_UOM.get(uom, "unknown")
        accumulation_code = values.get("accumulationBehaviour")
        flow_code = values.get("flowDirection")
        if accumulation_code is None:
            self._notice(Notice("accumulation-missing", "has no accumulationBehaviour; its readings are read as deltaData", **where))
        elif accumulation_code == 0 and unit.energy:
            # Older exports leave it at 0 ("none") on plain interval data; an interval reading of
            # an energy unit can only be the amount used in that interval.
            self._notice(Notice("accumulation-assumed",
                                "has accumulationBehaviour 0 (none) on interval energy data; its readings are read as deltaData",
                                **where))
            accumulation_code = codes.DELTA_DATA
        if flow_code is None:
            self._notice(Notice("flow-missing", "has no flowDirection; its readings are read as forward (delivered)", **where))
        elif flow_code == 0:
            self._notice(Notice("flow-assumed",
                                "has flowDirection 0 (none); its readings are read as forward (delivered)", **where))
            flow_code = None
        accumulation = codes.accumulation_label(accumulation_code)
        if accumulation == "deltaData" and not unit.energy:
            # A W or V reading is a level, not an amount: summing it would be meaningless.
            accumulation = "indicating"
        exponent = values.get("powerOfTenMultiplier", 0) + unit.scale
        flow = codes.flow_label(flow_code)
        if commodity in (codes.ELECTRICITY, codes.GAS) and unit.joules is not None:
            _check_capacity(buffer, exponent, unit, commodity)
        cleaned = clean(buffer, exponent)
        series = Series(
            commodity=commodity,
            unit=unit.symbol,
            flow=flow,
            accumulation=accumulation,
            usage_point=point,
            exponent=exponent,
            currency=codes.currency_label(values.get("currency")),
            columns=cleaned.columns,
            duplicates=cleaned.duplicates,
            gaps=cleaned.gaps,
            overlaps=cleaned.overlaps,
        )
        self._observe(series, where)
        return series

    def _observe(self, series: Series, where: dict) -> None:
        """Notices about what the readings show; periods.py decides what they cost a period."""
        label = f"{series.commodity} {series.flow} {series.unit}"
        exact = [d for d in series.duplicates if not d.conflicting]
        conflicting = [d for d in series.duplicates if d.conflicting]
        if exact:
            self._notice(Notice("duplicate-readings", f"{len(exact)} {label} readings repeat an earlier reading "
                                f"exactly (first at {_iso(exact[0].start)}); each is counted once", **where))
        if conflicting:
            first = conflicting[0]
            values = ", ".join(str(v) for v in first.values)
            self._notice(Notice("conflicting-readings", f"{len(conflicting)} {label} intervals have readings that "
                                f"disagree (first at {_iso(first.start)}: {values})", **where))
        if series.overlaps:
            self._notice(Notice("overlapping-readings", f"{len(series.overlaps)} {label} readings overlap the one "
                                f"before them (first {series.overlaps[0].describe()})", **where))
        columns = series.columns
        if series.is_delta and series.flow == codes.FORWARD and len(columns) and min(columns.values) < 0:
            negative = [s for s, v in zip(columns.starts, columns.values) if v < 0]
            self._notice(Notice("negative-delivered", f"{len(negative)} {label} delivered readings are negative "
                                f"(first at {_iso(utc(negative[0]))})", **where))
        horizon = time.time() + _FUTURE_SECONDS
        # The cheap upper bound first: Series.end looks at every reading.
        if len(columns) and max(columns.starts) + max(columns.durations) > horizon and series.end.timestamp() > horizon:
                self._notice(Notice("readings-in-future", f"{label} readings run to {_iso(series.end)}, more than a "
                                    "year from now", **where))

    def _billing_periods(self, point_index: _ParentIndex) -> tuple[BillingPeriod, ...]:
        periods = []
        for kind in _SUMMARIES:
            for summary in self.kind(kind):
                data: _SummaryData = summary.data  # type: ignore[assignment]
                if data.billing is None:
                    continue
                start, duration = data.billing
                point = point_index.find(summary.links.up, summary.links.self)
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

    def _notice(self, notice: Notice) -> None:
        if notice not in self._seen:
            self._seen.add(notice)
            self.notices.append(notice)


_FUTURE_SECONDS = 366 * 86400


class _Unsupported(Exception):
    """A series in a unit this reader does not know: left out, unless it is all there is."""

    def __init__(self, error: GreenButtonError):
        super().__init__(str(error))
        self.error = error


def _check_capacity(buffer: ReadingBuffer, exponent: int, unit: codes.Unit, commodity: str) -> None:
    """Refuse a reading that no electricity or gas service could deliver (above 1 GW on average).

    The bound on the largest value over the shortest duration settles nearly every file without
    looking at each reading; only a file that fails it is searched for the reading to name.
    """
    if not len(buffer):
        return
    assert unit.joules is not None
    most = (codes.MOST_WATTS / unit.joules).scaleb(-exponent)  # raw units per second
    if max(buffer.values) <= most * min(buffer.durations):
        return
    for start, duration, value in sorted(zip(buffer.starts, buffer.durations, buffer.values)):
        if value > most * duration:
            raise GreenButtonError(
                f"starting {_iso(utc(start))} has {_scaled(value, exponent)} {unit.symbol} in {duration} s, more "
                f"than any {commodity} service could deliver (over 1 GW on average)",
                element="IntervalReading",
            )


def _iso(instant) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
