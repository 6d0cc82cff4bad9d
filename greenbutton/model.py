"""What a parsed Green Button document holds: series of readings, billing periods, issues."""

from __future__ import annotations

import operator
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from greenbutton.codes import COST_SCALE
from greenbutton.localtime import LocalTimeParameters

NO_COST = -(2**63)  # outside Int48, so it cannot collide with a real cost

# The instants a datetime can hold; the parser refuses timestamps outside them, so utc() never fails.
EARLIEST = -62135596800  # 0001-01-01T00:00:00Z
LATEST = 253402300799  # 9999-12-31T23:59:59Z


def utc(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)


@dataclass(frozen=True)
class Notice:
    """Something the reader assumed or noticed while the readings themselves stayed trustworthy.

    `code` is stable for programs (e.g. "dst-rule-invalid"); `message` is one sentence for people;
    `element` and `line` say where in the source, when known.
    """

    code: str
    message: str
    element: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.element and self.line:
            return f"{self.element} (line {self.line}): {self.message}"
        if self.element:
            return f"{self.element}: {self.message}"
        return self.message

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "element": self.element, "line": self.line}


@dataclass(frozen=True)
class Reading:
    start: datetime
    duration: int  # seconds
    value: Decimal  # in the series' unit
    cost: Decimal | None  # in the series' currency


@dataclass(frozen=True)
class Duplicate:
    """The same interval start more than once in a series; only the first reading is kept.

    Exact repeats (same duration and value) are harmless; a conflicting one means the document
    disagrees with itself about that interval.
    """

    start: datetime
    values: tuple[Decimal, ...]
    durations: tuple[int, ...] = ()

    @property
    def conflicting(self) -> bool:
        return len(set(self.values)) > 1 or len(set(self.durations)) > 1


@dataclass(frozen=True)
class Gap:
    """Time between two readings of a series that no reading covers."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Overlap:
    """A reading that starts before the previous one ends (different starts, so not a duplicate)."""

    start: datetime
    previous_end: datetime
    end: datetime | None = None  # of this reading
    previous_start: datetime | None = None

    def describe(self) -> str:
        """Both intervals, for a reason a person can check against the file."""
        def span(lo: datetime | None, hi: datetime | None) -> str:
            return f"{_iso(lo)}..{_iso(hi)}"

        return f"{span(self.previous_start, self.previous_end)} overlaps {span(self.start, self.end)}"


@dataclass(frozen=True, eq=False)
class Columns:
    """Readings of one series, sorted by start and without duplicates, as raw ESPI integers.

    Kept as machine arrays: 32 bytes a reading instead of a few hundred for objects.
    """

    starts: array
    durations: array
    values: array
    costs: array  # NO_COST where the reading has none

    def __len__(self) -> int:
        return len(self.starts)


@dataclass(frozen=True)
class Series:
    """All readings of one ReadingType at one UsagePoint."""

    commodity: str  # "electricity", "gas", "water", ...
    unit: str  # natural unit: "kWh", "therm", "m3", ...
    flow: str  # "forward" (delivered), "reverse" (exported), "net", ...
    accumulation: str  # "deltaData" is the only one summed
    usage_point: int | None  # index into UsageDocument.usage_points
    exponent: int  # natural value = raw x 10^exponent
    currency: str | None
    columns: Columns = field(repr=False)
    duplicates: tuple[Duplicate, ...] = ()
    gaps: tuple[Gap, ...] = ()
    overlaps: tuple[Overlap, ...] = ()

    @property
    def is_delta(self) -> bool:
        return self.accumulation == "deltaData"

    @property
    def readings(self) -> int:
        return len(self.columns)

    @property
    def start(self) -> datetime:
        return utc(self.columns.starts[0])

    @property
    def end(self) -> datetime:
        """End of the last reading (exclusive)."""
        return utc(max(map(operator.add, self.columns.starts, self.columns.durations)))

    @property
    def interval_seconds(self) -> int:
        """The most common reading duration (the shortest among equally common ones)."""
        counts = Counter(self.columns.durations)
        return min(counts, key=lambda d: (-counts[d], d))

    @property
    def total(self) -> Decimal | None:
        """Sum of the readings; None for register (cumulative, bulk, ...) data, which is never summed."""
        if not self.is_delta:
            return None
        return Decimal(sum(self.columns.values)).scaleb(self.exponent)

    @property
    def cost(self) -> Decimal | None:
        costs = self.columns.costs
        if NO_COST not in costs:
            return Decimal(sum(costs)).scaleb(COST_SCALE)
        if costs.count(NO_COST) == len(costs):
            return None
        return Decimal(sum(c for c in costs if c != NO_COST)).scaleb(COST_SCALE)

    @property
    def first_value(self) -> Decimal:
        return Decimal(self.columns.values[0]).scaleb(self.exponent)

    @property
    def last_value(self) -> Decimal:
        return Decimal(self.columns.values[-1]).scaleb(self.exponent)

    def __iter__(self) -> Iterator[Reading]:
        c = self.columns
        for start, duration, value, cost in zip(c.starts, c.durations, c.values, c.costs):
            yield Reading(
                utc(start),
                duration,
                Decimal(value).scaleb(self.exponent),
                None if cost == NO_COST else Decimal(cost).scaleb(COST_SCALE),
            )


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str


@dataclass(frozen=True)
class BillingPeriod:
    """A UsageSummary or ElectricPowerUsageSummary with a billingPeriod."""

    start: datetime
    end: datetime
    commodity: str | None
    usage_point: int | None
    bill: Decimal | None  # billLastPeriod, in `currency`
    currency: str | None
    consumption: Quantity | None  # overallConsumptionLastPeriod
    element: str  # which summary element it came from


@dataclass(frozen=True)
class UsagePoint:
    commodity: str | None  # from ServiceCategory/kind
    local_time: LocalTimeParameters | None


@dataclass(frozen=True)
class UsageDocument:
    series: tuple[Series, ...]
    usage_points: tuple[UsagePoint, ...] = ()
    billing_periods: tuple[BillingPeriod, ...] = ()
    local_time: LocalTimeParameters | None = None  # the document's, when it has exactly one
    notices: tuple[Notice, ...] = ()  # what the parser assumed or noticed, in document order

    def local_time_for(self, usage_point: int | None) -> LocalTimeParameters | None:
        if usage_point is not None and self.usage_points[usage_point].local_time is not None:
            return self.usage_points[usage_point].local_time
        return self.local_time

    def select(
        self, *, commodity: str | None = None, flow: str | None = None, delta: bool | None = None
    ) -> list[Series]:
        return [
            s
            for s in self.series
            if (commodity is None or s.commodity == commodity)
            and (flow is None or s.flow == flow)
            and (delta is None or s.is_delta == delta)
        ]


def _iso(instant: datetime | None) -> str:
    return "?" if instant is None else instant.strftime("%Y-%m-%dT%H:%M:%SZ")
