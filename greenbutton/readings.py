"""Extracting IntervalReadings from an IntervalBlock, a batch at a time.

The fast path asks libxml2 (compiled XPath, plain strings) for every start, duration, value and
cost of the batch at once and converts them in C. It is taken only when the columns provably
line up. Each column holds at most one text per reading (the first text of the reading's first
such element), so a column as long as there are readings has one for every reading, in order;
and the count of all the texts of those fields, wherever they are in a reading, equals the
columns' total, so no reading has a second one. Anything else goes through the
reading-by-reading path, which finds and names the offending element and line. The same goes
for ranges: a batch whose extremes stay inside the schema's ranges (value and cost Int48, duration
UInt32 and positive, start to end within the years 1-9999) is taken as is, any other is read one
reading at a time so the error names the value that is out of range.
"""

from __future__ import annotations

from array import array
from typing import Protocol

from lxml import etree

from greenbutton.elements import ATOM, ESPI, INT48, UINT32, bounded, fail, integer, timestamp
from greenbutton.model import EARLIEST, LATEST, NO_COST
from greenbutton.series import ReadingBuffer

_NS = {"e": ESPI[1:-1], "a": ATOM[1:-1]}


def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=_NS, smart_strings=False)


_FIELDS = ("e:timePeriod/e:start", "e:timePeriod/e:duration", "e:value", "e:cost")


def _first_text(field: str) -> str:
    """The path to the first text of the first `field`: at most one text a reading."""
    return "/".join(f"{step}[1]" for step in field.split("/")) + "/text()[1]"


class _Paths:
    """The XPath expressions of the fast path, for the readings `readings` selects."""

    def __init__(self, readings: str):
        self.starts, self.durations, self.values, self.costs = (
            _xpath(f"{readings}/{_first_text(field)}") for field in _FIELDS
        )
        # Every text of those fields. Checking each reading with predicates ([e:value/text()]...)
        # costs libxml2 more than these counts: a predicate is a sub-evaluation per reading.
        self.texts = _xpath(" + ".join(f"count({readings}/{field}/text())" for field in _FIELDS))


_COUNT = _xpath("count(e:IntervalReading)")
_IN_BLOCK = _Paths("e:IntervalReading")
# The ended blocks a feed still holds, in its first $entries entries: libxml2 has usually built
# some of the entries after the one whose end is being handled, and those are not read yet.
_HELD = "a:entry[position() <= $entries]/*/e:IntervalBlock"
_IN_FEED = _Paths(f"{_HELD}/e:IntervalReading")
_IN_FEED_BLOCKS = _xpath(f"count({_HELD})")
_IN_FEED_COUNT = _xpath(f"count({_HELD}/e:IntervalReading)")

_FEW = 4
_READING = ESPI + "IntervalReading"
_TIME_PERIOD = ESPI + "timePeriod"
_START = ESPI + "start"
_DURATION = ESPI + "duration"
_VALUE = ESPI + "value"
_COST = ESPI + "cost"


def take_readings(block: etree._Element, into: ReadingBuffer) -> int:
    """Append the IntervalReadings now under `block` to `into`, remove them; returns how many."""
    count = int(_COUNT(block))
    if count == 0:
        return 0
    # Seven XPath calls cost more than reading a handful of readings one by one.
    columns = None if count <= _FEW else _fast(block, _IN_BLOCK, count)
    if columns is None:
        _careful(block, into)
    else:
        _append(into, columns, 0, count)
    del block[:]  # the block's other children (its interval) are not needed either
    return count


class HeldBlock(Protocol):
    block: etree._Element | None  # an ended IntervalBlock still in the tree, or None

    def target(self) -> ReadingBuffer:
        """The buffer its readings go to, called once per block in document order."""
        ...

    def settled(self) -> ReadingBuffer | None:
        """Its final buffer when known and nothing waits to go there before these readings."""
        ...


def take_held(feed: etree._Element, entries: int, blocks: list[HeldBlock]) -> int:
    """Read the ended IntervalBlocks under feed/entry/* all at once, each into its target.

    Daily blocks hold 24 or 96 readings; asking libxml2 once for a couple of thousand readings
    instead of once a block saves most of the XPath overhead. `blocks` are in document order,
    which is the order of the XPath results; those with a `block` are all the IntervalBlocks at
    feed/entry/*/ in the feed's first `entries` entries. Returns how many readings were read.
    """
    total = int(_IN_FEED_COUNT(feed, entries=entries))
    expected = sum(1 for held in blocks if held.block is not None)
    exact = total and int(_IN_FEED_BLOCKS(feed, entries=entries)) == expected  # no block being built
    columns = _fast(feed, _IN_FEED, total, entries=entries) if exact else None
    if columns is None:  # none, or something is off in one of them: let each block find and name it
        read = 0
        for held in blocks:
            target = held.target()
            if held.block is not None:
                read += take_readings(held.block, target)
        return read
    first = blocks[0].settled()
    if first is not None and all(held.settled() is first for held in blocks):
        _append(first, columns, 0, total)  # the usual case, one MeterReading: no need to split
        return total
    at = 0
    for held in blocks:
        target = held.target()
        if held.block is not None:
            count = int(_COUNT(held.block))
            _append(target, columns, at, count)
            at += count
    return total


def _append(into: ReadingBuffer, columns: tuple[array, array, array, array | None], at: int, count: int) -> None:
    starts, durations, values, costs = columns
    end = at + count
    into.starts.extend(starts[at:end])
    into.durations.extend(durations[at:end])
    into.values.extend(values[at:end])
    into.costs.extend(costs[at:end] if costs is not None else array("q", [NO_COST]) * count)


def _fast(
    node: etree._Element, paths: _Paths, count: int, **variables: int
) -> tuple[array, array, array, array | None] | None:
    texts = (paths.starts(node, **variables), paths.durations(node, **variables), paths.values(node, **variables))
    costs = paths.costs(node, **variables)
    if any(len(t) != count for t in texts) or len(costs) not in (0, count):
        return None
    if paths.texts(node, **variables) != 3 * count + len(costs):  # a reading with a second text of a field
        return None
    try:
        columns = [_integers(t) for t in (*texts, costs)]
    except ValueError:
        return None
    starts, durations, values, cost_column = columns
    # min() and max() on lists of ints: on an array each item would be boxed again.
    if not (
        0 < min(durations)
        and max(durations) <= UINT32[1]
        and EARLIEST <= min(starts)
        and max(starts) + max(durations) <= LATEST
        and INT48[0] <= min(values)
        and max(values) <= INT48[1]
        and (not costs or (INT48[0] <= min(cost_column) and max(cost_column) <= INT48[1]))
    ):
        return None
    return array("q", starts), array("q", durations), array("q", values), (array("q", cost_column) if costs else None)


def _integers(texts: list[str]) -> list[int]:
    joined = "".join(texts)
    # int() would also take "1_000" and non-ASCII digits, which xs:long does not.
    if "_" in joined or not joined.isascii():
        raise ValueError
    return list(map(int, texts))


def _careful(block: etree._Element, into: ReadingBuffer) -> None:
    for reading in block.iterchildren(_READING):
        found: dict[str, int] = {}
        for node in reading:
            if node.tag == _TIME_PERIOD:
                for part in node:
                    if part.tag in (_START, _DURATION):
                        _put(found, part, reading)
            elif node.tag in (_VALUE, _COST):
                _put(found, node, reading)
        for name in ("start", "duration", "value"):
            if name not in found:
                raise fail(reading, f"has no {'timePeriod/' if name != 'value' else ''}{name}")
        if found["duration"] <= 0:
            raise fail(reading, f"has a duration of {found['duration']} seconds")
        if found["start"] + found["duration"] > LATEST:
            raise fail(reading, "ends past the year 9999")
        into.starts.append(found["start"])
        into.durations.append(found["duration"])
        into.values.append(found["value"])
        into.costs.append(found.get("cost", NO_COST))


def _put(found: dict[str, int], node: etree._Element, reading: etree._Element) -> None:
    name = node.tag[len(ESPI) :]
    if name in found:
        raise fail(reading, f"has more than one {name}")
    if name == "start":
        found[name] = timestamp(node)
    elif name == "duration":
        found[name] = integer(node) if integer(node) <= 0 else bounded(node, *UINT32, "UInt32")
    else:
        found[name] = bounded(node, *INT48, "Int48")
