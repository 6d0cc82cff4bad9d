"""Extracting IntervalReadings from an IntervalBlock, a batch at a time.

The fast path asks libxml2 (compiled XPath, plain strings) for every start, duration, value and
cost of the batch at once and converts them in C. It is taken only when the columns provably
line up: every reading has at least one text of each field, and each column has exactly one text
per reading, so no reading can have given two and another none. Anything else goes through the
reading-by-reading path, which finds and names the offending element and line.
"""

from __future__ import annotations

from array import array

from lxml import etree

from greenbutton.elements import ESPI, fail, integer
from greenbutton.model import NO_COST
from greenbutton.series import ReadingBuffer

_NS = {"e": ESPI[1:-1]}


def _xpath(expression: str) -> etree.XPath:
    return etree.XPath(expression, namespaces=_NS, smart_strings=False)


_COUNT = _xpath("count(e:IntervalReading)")
_COMPLETE = "e:value/text() and e:timePeriod/e:start/text() and e:timePeriod/e:duration/text()"
_WITH_ALL = _xpath(f"count(e:IntervalReading[{_COMPLETE}])")
_WITH_ALL_AND_COST = _xpath(f"count(e:IntervalReading[{_COMPLETE} and e:cost/text()])")
_STARTS = _xpath("e:IntervalReading/e:timePeriod/e:start/text()")
_DURATIONS = _xpath("e:IntervalReading/e:timePeriod/e:duration/text()")
_VALUES = _xpath("e:IntervalReading/e:value/text()")
_COSTS = _xpath("e:IntervalReading/e:cost/text()")

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
    if not _fast(block, into, count):
        _careful(block, into)
    del block[:]  # the block's other children (its interval) are not needed either
    return count


def _fast(block: etree._Element, into: ReadingBuffer, count: int) -> bool:
    texts = (_STARTS(block), _DURATIONS(block), _VALUES(block))
    costs = _COSTS(block)
    if any(len(t) != count for t in texts) or len(costs) not in (0, count):
        return False
    if (_WITH_ALL_AND_COST if costs else _WITH_ALL)(block) != count:
        return False
    try:
        columns = [_integers(t) for t in (*texts, costs)]
    except (ValueError, OverflowError):
        return False
    starts, durations, values, cost_column = columns
    if min(durations) <= 0:
        return False
    into.starts.extend(starts)
    into.durations.extend(durations)
    into.values.extend(values)
    into.costs.extend(cost_column if costs else array("q", [NO_COST]) * count)
    return True


def _integers(texts: list[str]) -> array:
    joined = "".join(texts)
    # int() would also take "1_000" and non-ASCII digits, which xs:long does not.
    if "_" in joined or not joined.isascii():
        raise ValueError
    return array("q", map(int, texts))


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
        into.starts.append(found["start"])
        into.durations.append(found["duration"])
        into.values.append(found["value"])
        into.costs.append(found.get("cost", NO_COST))


def _put(found: dict[str, int], node: etree._Element, reading: etree._Element) -> None:
    name = node.tag[len(ESPI) :]
    if name in found:
        raise fail(reading, f"has more than one {name}")
    number = integer(node)
    if not _INT48 <= number <= -_INT48:  # xs:long would allow more, but every ESPI quantity is Int48
        raise fail(node, f"{number} is outside the Int48 range of ESPI")
    found[name] = number


_INT48 = -(2**47)
