"""Delivered electricity per billing period: the input of the emissions calculation.

Only forward-flow, deltaData electricity in kWh counts. Periods are the document's billing periods
(UsageSummary / ElectricPowerUsageSummary) when it has electricity ones, else calendar months in the
customer's local time (from LocalTimeParameters) or UTC. A reading belongs to the period its start
falls in. When one usage point carries several such series over the same time (a 15-minute and a
daily ReadingType of the same meter, say), the finest is used so nothing is counted twice.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from greenbutton import codes
from greenbutton.errors import GreenButtonError
from greenbutton.localtime import LocalTimeParameters
from greenbutton.model import BillingPeriod, Series, UsageDocument, utc

HOUR = 3600


@dataclass(frozen=True)
class PeriodUsage:
    start: datetime  # tz-aware UTC, inclusive
    end: datetime  # tz-aware UTC, exclusive
    kwh: Decimal  # delivered (forward) electricity, delta data only
    hourly_kwh: tuple[tuple[datetime, Decimal], ...]  # per UTC hour start; empty if data is coarser than hourly
    source: str  # "billing-period" (from UsageSummary) or "calendar-month"


def delivered_electricity(doc: UsageDocument) -> list[Series]:
    """The series whose sum is the customer's delivered electricity, one or none per usage point."""
    candidates = [
        s
        for s in doc.select(commodity=codes.ELECTRICITY, flow=codes.FORWARD, delta=True)
        if s.unit == "kWh" and s.readings
    ]
    by_point: dict[int | None, list[Series]] = defaultdict(list)
    for series in candidates:
        by_point[series.usage_point].append(series)
    chosen = []
    for group in by_point.values():
        group.sort(key=lambda s: s.interval_seconds)
        kept: list[Series] = []
        for series in group:  # finest first; coarser ones only where they add time the others lack
            if not any(_overlap(series, other) for other in kept):
                kept.append(series)
        chosen.extend(kept)
    return chosen


def electricity_usage_by_period(doc: UsageDocument) -> list[PeriodUsage]:
    """kWh of delivered electricity per billing period (or calendar month), in time order.

    Raises GreenButtonError if the document has no delivered electricity delta data.
    """
    chosen = delivered_electricity(doc)
    if not chosen:
        raise GreenButtonError(
            "document has no delivered electricity interval data (ReadingType with Wh, forward flow, deltaData)"
        )
    exponent = min(s.exponent for s in chosen)
    starts: list[int] = []
    durations: list[int] = []
    values: list[int] = []
    for series in chosen:
        shift = 10 ** (series.exponent - exponent)
        starts.extend(series.columns.starts)
        durations.extend(series.columns.durations)
        values.extend(series.columns.values if shift == 1 else (v * shift for v in series.columns.values))

    billing = _billing_periods(doc, {s.usage_point for s in chosen})
    if billing:
        bounds = [(int(p.start.timestamp()), int(p.end.timestamp())) for p in billing]
        source = "billing-period"
    else:
        points = {s.usage_point for s in chosen}
        local = doc.local_time_for(points.pop()) if len(points) == 1 else doc.local_time
        bounds = _calendar_months(min(starts), max(s + d for s, d in zip(starts, durations)), local)
        source = "calendar-month"

    hourly = all(s // HOUR == (s + d - 1) // HOUR for s, d in zip(starts, durations))
    period_starts = [b[0] for b in bounds]
    totals = [0] * len(bounds)
    counts = [0] * len(bounds)
    hours: list[dict[int, int]] = [defaultdict(int) for _ in bounds]
    for start, value in zip(starts, values):
        i = bisect.bisect_right(period_starts, start) - 1
        if i < 0 or start >= bounds[i][1]:
            continue  # outside every billing period
        totals[i] += value
        counts[i] += 1
        if hourly:
            hours[i][start - start % HOUR] += value

    return [
        PeriodUsage(
            start=utc(lo),
            end=utc(hi),
            kwh=Decimal(totals[i]).scaleb(exponent),
            hourly_kwh=tuple((utc(h), Decimal(v).scaleb(exponent)) for h, v in sorted(hours[i].items()))
            if hourly
            else (),
            source=source,
        )
        for i, (lo, hi) in enumerate(bounds)
        if counts[i]
    ]


def _overlap(a: Series, b: Series) -> bool:
    return a.start < b.end and b.start < a.end


def _billing_periods(doc: UsageDocument, points: set[int | None]) -> list[BillingPeriod]:
    periods = {}
    for period in doc.billing_periods:
        if period.commodity not in (None, codes.ELECTRICITY):
            continue
        if period.usage_point is not None and period.usage_point not in points and None not in points:
            continue
        periods.setdefault((period.start, period.end), period)
    ordered = sorted(periods.values(), key=lambda p: p.start)
    for earlier, later in zip(ordered, ordered[1:]):
        if later.start < earlier.end:
            raise GreenButtonError(
                f"billing periods overlap: {earlier.start.isoformat()}..{earlier.end.isoformat()} and "
                f"{later.start.isoformat()}..{later.end.isoformat()}",
                element=later.element,
            )
    return ordered


def _calendar_months(first: int, end: int, local: LocalTimeParameters | None) -> list[tuple[int, int]]:
    """[start, end) epoch bounds of each calendar month from the one holding `first` to `end`."""

    def month_start(year: int, month: int) -> int:
        naive = datetime(year, month, 1)
        if local is None:
            return _utc_epoch(naive)
        return int(local.to_utc(naive).timestamp())

    first_local = local.to_local(utc(first)) if local is not None else utc(first).replace(tzinfo=None)
    year, month = first_local.year, first_local.month
    bounds = []
    lo = month_start(year, month)
    while lo < end:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        hi = month_start(year, month)
        bounds.append((lo, hi))
        lo = hi
    return bounds


def _utc_epoch(naive: datetime) -> int:
    return int((naive - datetime(1970, 1, 1)).total_seconds())
