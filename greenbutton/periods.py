"""Usage per billing period: the input of the emissions calculations.

Electricity: forward-flow, deltaData electricity in kWh. Gas: forward-flow, deltaData gas, in the
unit the file states (therm, dekatherm, ccf, mcf, ft3, m3, ...). Periods are the document's billing
periods for that commodity (UsageSummary / ElectricPowerUsageSummary) when it has some, else
calendar months in the customer's local time (from LocalTimeParameters) or UTC. A reading belongs
to the period its start falls in.

Nothing is summed twice, and nothing doubtful is summed silently. The rule:
- Several series of one usage point over the same time (a 15-minute and a daily ReadingType of
  the same meter, say): the finest is used; a series that overlaps it anywhere is left out whole,
  with a notice naming it.
- A reading repeated exactly (same start, duration and value): counted once, with a notice on the
  period.
- Readings that disagree about the same time -- the same start with another value or duration, or
  a reading starting before the previous one ends -- and negative delivered readings: the period
  holding them is refused. GreenButtonError names the period and the first readings involved;
  there is no way to tell which reading the utility billed.
- Readings outside every billing period are not counted (and not judged).
Each period carries the document's notices (what the parser assumed, e.g. a fixed tzOffset
instead of a broken DST rule) and its own, for the record of the bill.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from greenbutton import codes
from greenbutton.errors import GreenButtonError
from greenbutton.localtime import LocalTimeParameters
from greenbutton.model import BillingPeriod, Notice, Series, UsageDocument, utc

HOUR = 3600

# Parser notices about what a series' readings show: the period view restates them per period
# for the series it uses, so the document-wide ones would only repeat them.
_PER_SERIES_CODES = frozenset(
    ("duplicate-readings", "conflicting-readings", "overlapping-readings", "negative-delivered")
)


@dataclass(frozen=True)
class PeriodUsage:
    start: datetime  # tz-aware UTC, inclusive
    end: datetime  # tz-aware UTC, exclusive
    kwh: Decimal  # delivered (forward) electricity, delta data only
    hourly_kwh: tuple[tuple[datetime, Decimal], ...]  # per UTC hour start; empty if data is coarser than hourly
    source: str  # "billing-period" (from UsageSummary) or "calendar-month"
    notices: tuple[Notice, ...] = ()  # what was assumed or resolved to get this figure


@dataclass(frozen=True)
class GasPeriodUsage:
    start: datetime  # tz-aware UTC, inclusive
    end: datetime  # tz-aware UTC, exclusive
    quantity: Decimal  # delivered gas, delta data only, in `unit`
    unit: str  # as the file states it: "therm", "dekatherm", "ccf", "mcf", "ft3", "m3", ...
    source: str  # "billing-period" or "calendar-month"
    notices: tuple[Notice, ...] = ()


def delivered_electricity(doc: UsageDocument) -> list[Series]:
    """The series whose sum is the customer's delivered electricity, one or none per usage point."""
    return _delivered(doc, codes.ELECTRICITY, lambda s: s.unit == "kWh", [])


def electricity_usage_by_period(doc: UsageDocument) -> list[PeriodUsage]:
    """kWh of delivered electricity per billing period (or calendar month), in time order.

    Raises GreenButtonError if the document has no delivered electricity delta data, or for a
    period holding readings that disagree (see the module docstring).
    """
    notices: list[Notice] = []
    chosen = _delivered(doc, codes.ELECTRICITY, lambda s: s.unit == "kWh", notices)
    if not chosen:
        raise GreenButtonError(
            "document has no delivered electricity interval data (ReadingType with Wh, forward flow, deltaData)"
        )
    sums = _sum_by_period(doc, chosen, codes.ELECTRICITY, notices, hourly=True)
    return [
        PeriodUsage(
            start=utc(p.lo),
            end=utc(p.hi),
            kwh=Decimal(p.total).scaleb(sums.exponent),
            hourly_kwh=tuple((utc(h), Decimal(v).scaleb(sums.exponent)) for h, v in sorted(p.hours.items()))
            if sums.hourly
            else (),
            source=sums.source,
            notices=p.notices,
        )
        for p in sums.periods
    ]


def gas_usage_by_period(doc: UsageDocument) -> list[GasPeriodUsage]:
    """Delivered natural gas per billing period (or calendar month), in time order.

    The quantity is in the unit the file states (ft3 x 10^2 is reported as ccf, therm x 10 as
    dekatherm; see codes.gas_unit); converting volume to energy is the caller's business. Gas
    metered in two kinds of unit (a therm meter and an m3 meter, say) gives one entry per unit
    for the same period, never a sum of the two. Same overlap rule and notices as electricity.
    Raises GreenButtonError if the document has no delivered gas delta data.
    """
    notices: list[Notice] = []
    chosen = _delivered(doc, codes.GAS, lambda s: codes.GAS_UNITS_BY_SYMBOL.get(s.unit, False), notices)
    if not chosen:
        raise GreenButtonError(
            "document has no delivered gas interval data (ReadingType with therm, ft3, m3 or BTU, forward flow, "
            "deltaData)"
        )
    by_unit: dict[str, list[Series]] = defaultdict(list)
    for series in chosen:
        by_unit[series.unit].append(series)
    usage = []
    for symbol, group in by_unit.items():
        sums = _sum_by_period(doc, group, codes.GAS, notices, hourly=False)
        unit, exponent = codes.gas_unit(symbol, sums.exponent)
        usage.extend(
            GasPeriodUsage(utc(p.lo), utc(p.hi), Decimal(p.total).scaleb(exponent), unit, sums.source, p.notices)
            for p in sums.periods
        )
    usage.sort(key=lambda u: (u.start, u.unit))
    return usage


def _delivered(doc: UsageDocument, commodity: str, unit_ok: Callable[[Series], object], notices: list[Notice]) -> list[Series]:
    candidates = [
        s for s in doc.select(commodity=commodity, flow=codes.FORWARD, delta=True) if unit_ok(s) and s.readings
    ]
    by_point: dict[int | None, list[Series]] = defaultdict(list)
    for series in candidates:
        by_point[series.usage_point].append(series)
    chosen = []
    for group in by_point.values():
        group.sort(key=lambda s: s.interval_seconds)
        kept: list[tuple[int, int]] = []  # [start, end) of the kept series, sorted, disjoint
        for series in group:  # finest first; coarser ones only where they add time the others lack
            lo, hi = int(series.start.timestamp()), int(series.end.timestamp())
            i = bisect.bisect_left(kept, (lo, hi))
            if (i > 0 and kept[i - 1][1] > lo) or (i < len(kept) and kept[i][0] < hi):
                notices.append(Notice(
                    "series-not-used",
                    f"a {commodity} series of {series.readings} readings every {series.interval_seconds} s "
                    f"({_iso(lo)}..{_iso(hi)}) covers time a finer series already does; it is left out",
                ))
                continue
            kept.insert(i, (lo, hi))
            chosen.append(series)
    return chosen


@dataclass
class _Period:
    lo: int
    hi: int
    total: int = 0
    count: int = 0
    hours: dict[int, int] | None = None
    notices: tuple[Notice, ...] = ()


@dataclass
class _Sums:
    periods: list[_Period]
    exponent: int
    hourly: bool
    source: str


def _sum_by_period(
    doc: UsageDocument, chosen: list[Series], commodity: str, notices: list[Notice], *, hourly: bool
) -> _Sums:
    exponent = min(s.exponent for s in chosen)
    starts: list[int] = []
    durations: list[int] = []
    values: list[int] = []
    for series in chosen:
        shift = 10 ** (series.exponent - exponent)
        starts.extend(series.columns.starts)
        durations.extend(series.columns.durations)
        values.extend(series.columns.values if shift == 1 else (v * shift for v in series.columns.values))

    points = {s.usage_point for s in chosen}
    billing = _billing_periods(doc, points, commodity)
    if billing:
        bounds = [(int(p.start.timestamp()), int(p.end.timestamp())) for p in billing]
        source = "billing-period"
    else:
        local = doc.local_time_for(next(iter(points))) if len(points) == 1 else doc.local_time
        try:
            bounds = _calendar_months(min(starts), max(s + d for s, d in zip(starts, durations)), local)
        except (OverflowError, ValueError):  # a local month at the very end (or start) of the calendar
            raise GreenButtonError(
                f"readings from {_iso(min(starts))} lie too close to the end of the calendar for local months"
            ) from None
        source = "calendar-month"

    hourly = hourly and all(s // HOUR == (s + d - 1) // HOUR for s, d in zip(starts, durations))
    periods = [_Period(lo, hi, hours=defaultdict(int) if hourly else None) for lo, hi in bounds]
    period_starts = [b[0] for b in bounds]

    def period_of(start: int) -> _Period | None:
        i = bisect.bisect_right(period_starts, start) - 1
        return periods[i] if i >= 0 and start < bounds[i][1] else None

    for start, value in zip(starts, values):
        period = period_of(start)
        if period is None:
            continue  # outside every billing period
        period.total += value
        period.count += 1
        if period.hours is not None:
            period.hours[start - start % HOUR] += value

    _refuse_disagreements(chosen, period_of)
    repeats: dict[int, int] = defaultdict(int)
    for series in chosen:
        for duplicate in series.duplicates:
            period = period_of(int(duplicate.start.timestamp()))
            if period is not None:
                repeats[period.lo] += len(duplicate.values) - 1

    shared = [n for n in doc.notices if n.code not in _PER_SERIES_CODES] + notices
    for period in periods:
        own = list(shared)
        if repeats[period.lo]:
            own.append(Notice("duplicate-readings-counted-once",
                              f"{repeats[period.lo]} readings in this period repeat an earlier reading exactly; "
                              "each is counted once"))
        period.notices = tuple(own)
    return _Sums([p for p in periods if p.count], exponent, hourly, source)


def _refuse_disagreements(chosen: list[Series], period_of: Callable[[int], _Period | None]) -> None:
    problems: dict[int, list[str]] = defaultdict(list)  # period start -> what is wrong in it, in order
    refused: dict[int, _Period] = {}

    def flag(start: int, what: str) -> None:
        period = period_of(start)
        if period is not None:
            refused[period.lo] = period
            problems[period.lo].append(what)

    for series in chosen:
        for duplicate in series.duplicates:
            if duplicate.conflicting:
                shown = ", ".join(f"{v} {series.unit} in {d} s" for v, d in zip(duplicate.values, duplicate.durations))
                flag(int(duplicate.start.timestamp()), f"readings at {_iso(duplicate.start)} disagree ({shown})")
        for overlap in series.overlaps:
            flag(int(overlap.start.timestamp()), f"readings overlap: {overlap.describe()}")
        columns = series.columns
        if len(columns) and min(columns.values) < 0:
            for start, value in zip(columns.starts, columns.values):
                if value < 0:
                    flag(start, f"delivered reading at {_iso(start)} is negative "
                                f"({Decimal(value).scaleb(series.exponent)} {series.unit})")
    if not refused:
        return
    first = min(refused)
    period, found = refused[first], problems[first]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    others = f"; {len(refused) - 1} other periods too" if len(refused) > 1 else ""
    raise GreenButtonError(
        f"period {_iso(period.lo)}..{_iso(period.hi)} refused: {found[0]}{more}{others}; "
        "which reading to count cannot be told from the file"
    )


def _billing_periods(doc: UsageDocument, points: set[int | None], commodity: str) -> list[BillingPeriod]:
    periods = {}
    for period in doc.billing_periods:
        if period.commodity not in (None, commodity):
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
        if year > 9999:
            bounds.append((lo, end))
            break
        hi = month_start(year, month)
        bounds.append((lo, hi))
        lo = hi
    return bounds


def _utc_epoch(naive: datetime) -> int:
    return int((naive - datetime(1970, 1, 1)).total_seconds())


def _iso(instant: datetime | int) -> str:
    if isinstance(instant, int):
        instant = utc(instant)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
