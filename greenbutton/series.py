"""Turning readings collected in document order into a clean series: sorted, deduplicated, checked.

Readings may arrive in any order and blocks may repeat; a start seen twice is kept once (the
first reading) and reported, so nothing is double counted; holes and overlaps are reported too.
Whether a repeat or an overlap may be used is for the caller to decide (see periods.py).
"""

from __future__ import annotations

import operator
from array import array
from itertools import islice
from dataclasses import dataclass, field
from decimal import Decimal

from greenbutton.model import Columns, Duplicate, Gap, Overlap, utc


def new_column() -> array:
    return array("q")


@dataclass
class ReadingBuffer:
    """Readings as they come out of the document, before sorting."""

    starts: array = field(default_factory=new_column)
    durations: array = field(default_factory=new_column)
    values: array = field(default_factory=new_column)
    costs: array = field(default_factory=new_column)

    def __len__(self) -> int:
        return len(self.starts)

    def extend(self, other: ReadingBuffer) -> None:
        self.starts.extend(other.starts)
        self.durations.extend(other.durations)
        self.values.extend(other.values)
        self.costs.extend(other.costs)

    def clear(self) -> None:
        for column in (self.starts, self.durations, self.values, self.costs):
            del column[:]


@dataclass(frozen=True)
class Cleaned:
    columns: Columns
    duplicates: tuple[Duplicate, ...]
    gaps: tuple[Gap, ...]
    overlaps: tuple[Overlap, ...]


def clean(buffer: ReadingBuffer, exponent: int) -> Cleaned:
    starts, durations, values, costs = buffer.starts, buffer.durations, buffer.values, buffer.costs
    n = len(starts)
    in_order = all(map(operator.lt, starts, islice(starts, 1, None)))  # map keeps the loop in C
    if in_order:
        columns = Columns(starts, durations, values, costs)
        return Cleaned(columns, (), *_holes(columns))

    # Stable sort keeps document order among equal starts, so "first value wins" is well defined.
    order = sorted(range(n), key=starts.__getitem__)
    kept = Columns(new_column(), new_column(), new_column(), new_column())
    duplicates: list[Duplicate] = []
    repeated: list[int] = []  # indices of the readings sharing the current start
    previous = None
    for i in order:
        start = starts[i]
        if start == previous:
            repeated.append(i)
            continue
        if len(repeated) > 1:
            duplicates.append(_duplicate(buffer, repeated, exponent))
        repeated = [i]
        previous = start
        kept.starts.append(start)
        kept.durations.append(durations[i])
        kept.values.append(values[i])
        kept.costs.append(costs[i])
    if len(repeated) > 1:
        duplicates.append(_duplicate(buffer, repeated, exponent))
    return Cleaned(kept, tuple(duplicates), *_holes(kept))


def _duplicate(buffer: ReadingBuffer, indices: list[int], exponent: int) -> Duplicate:
    return Duplicate(
        utc(buffer.starts[indices[0]]),
        tuple(Decimal(buffer.values[i]).scaleb(exponent) for i in indices),
        tuple(buffer.durations[i] for i in indices),
    )


def _holes(columns: Columns) -> tuple[tuple[Gap, ...], tuple[Overlap, ...]]:
    gaps: list[Gap] = []
    overlaps: list[Overlap] = []
    starts, durations = columns.starts, columns.durations
    if all(map(operator.eq, islice(starts, 1, None), map(operator.add, starts, durations))):
        return (), ()  # back to back, the usual case: no need to look at each reading in Python
    previous_start = starts[0] if len(starts) else 0
    previous_end = starts[0] + durations[0] if len(starts) else 0
    for start, duration in zip(starts[1:], durations[1:]):
        if start != previous_end:
            if start > previous_end:
                gaps.append(Gap(utc(previous_end), utc(start)))
            else:
                overlaps.append(
                    Overlap(utc(start), utc(previous_end), utc(start + duration), utc(previous_start))
                )
        previous_start = start
        previous_end = start + duration
    return tuple(gaps), tuple(overlaps)
