"""ESPI LocalTimeParameters: a fixed UTC offset plus bit-packed daylight-saving rules.

A feed carries its own time rules, so local billing periods are computed from them rather than
from the machine's tz database (which may be missing or differ from what the utility used).

DstRuleType bits (espiDerived.xsd): 0-11 seconds, 12-16 hours, 17-19 day of week (1 = Monday),
20-24 day of month, 25-27 operator, 28-31 month; 0xFFFFFFFF disables DST.
A start rule's time is local standard time; an end rule's time is local daylight time (the time
on the wall when the change happens, as in the US and EU rules).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from greenbutton.errors import GreenButtonError

DST_DISABLED = 0xFFFFFFFF

ON_DAY_OF_MONTH = 0
WEEKDAY_ON_OR_AFTER = 1
FIRST, SECOND, THIRD, FOURTH, FIFTH = 2, 3, 4, 5, 6
LAST = 7


@dataclass(frozen=True)
class DstRule:
    month: int  # 1-12
    operator: int  # ON_DAY_OF_MONTH ... LAST
    day_of_week: int = 0  # 1 = Monday ... 7 = Sunday, 0 = not applicable
    day_of_month: int = 0  # 1-31, 0 = not applicable
    hour: int = 0
    seconds: int = 0  # 0-3599, past the hour

    @classmethod
    def decode(cls, value: int) -> DstRule | None:
        """The rule packed in `value`, or None when it disables DST."""
        if value == DST_DISABLED:
            return None
        rule = cls(
            month=(value >> 28) & 0xF,
            operator=(value >> 25) & 0x7,
            day_of_month=(value >> 20) & 0x1F,
            day_of_week=(value >> 17) & 0x7,
            hour=(value >> 12) & 0x1F,
            seconds=value & 0xFFF,
        )
        rule._check()
        return rule

    def encode(self) -> int:
        self._check()
        return (
            self.month << 28
            | self.operator << 25
            | self.day_of_month << 20
            | self.day_of_week << 17
            | self.hour << 12
            | self.seconds
        )

    def _check(self) -> None:
        problems = []
        if not 1 <= self.month <= 12:
            problems.append(f"month {self.month}")
        if self.hour > 23 or self.seconds > 3599:
            problems.append(f"time {self.hour}h+{self.seconds}s")
        if self.operator in (ON_DAY_OF_MONTH, WEEKDAY_ON_OR_AFTER) and not 1 <= self.day_of_month <= 31:
            problems.append(f"day of month {self.day_of_month}")
        if self.operator != ON_DAY_OF_MONTH and not 1 <= self.day_of_week <= 7:
            problems.append(f"day of week {self.day_of_week}")
        if problems:
            raise GreenButtonError("invalid DST rule: " + ", ".join(problems))

    def local_transition(self, year: int) -> datetime:
        """The naive local wall-clock time at which this rule fires in `year`."""
        days_in_month = calendar.monthrange(year, self.month)[1]
        weekday = self.day_of_week - 1  # Python: Monday = 0
        if self.operator == ON_DAY_OF_MONTH:
            day = min(self.day_of_month, days_in_month)
        elif self.operator == WEEKDAY_ON_OR_AFTER:
            first = min(self.day_of_month, days_in_month)
            day = first + (weekday - calendar.weekday(year, self.month, first)) % 7
            if day > days_in_month:  # rolls into the next month: the last such weekday instead
                day -= 7
        elif self.operator == LAST:
            day = days_in_month - (calendar.weekday(year, self.month, days_in_month) - weekday) % 7
        else:
            nth = self.operator - FIRST  # 0-based occurrence
            day = 1 + (weekday - calendar.weekday(year, self.month, 1)) % 7 + 7 * nth
            while day > days_in_month:  # a fifth occurrence that does not exist: the last one
                day -= 7
        return datetime(year, self.month, day) + timedelta(hours=self.hour, seconds=self.seconds)


@dataclass(frozen=True)
class LocalTimeParameters:
    tz_offset: int  # seconds east of UTC, standard time
    dst_offset: int = 0  # seconds added while DST is in effect
    dst_start: DstRule | None = None
    dst_end: DstRule | None = None

    @property
    def observes_dst(self) -> bool:
        return self.dst_start is not None and self.dst_end is not None and self.dst_offset != 0

    def utc_offset(self, instant: datetime) -> timedelta:
        """Offset of local time from UTC at the aware `instant`."""
        return timedelta(seconds=self.tz_offset + (self.dst_offset if self.in_dst(instant) else 0))

    def in_dst(self, instant: datetime) -> bool:
        if not self.observes_dst:
            return False
        assert self.dst_start is not None and self.dst_end is not None
        naive_utc = instant.astimezone(UTC).replace(tzinfo=None)
        year = (naive_utc + timedelta(seconds=self.tz_offset)).year
        standard = timedelta(seconds=self.tz_offset)
        start = self.dst_start.local_transition(year) - standard
        end = self.dst_end.local_transition(year) - standard - timedelta(seconds=self.dst_offset)
        if start <= end:
            return start <= naive_utc < end
        return naive_utc >= start or naive_utc < end  # southern hemisphere: DST spans new year

    def to_utc(self, local: datetime) -> datetime:
        """The UTC instant of naive local wall time `local` (the earlier one when ambiguous)."""
        daylight = local - timedelta(seconds=self.tz_offset + self.dst_offset)
        if self.observes_dst and self.in_dst(daylight.replace(tzinfo=UTC)):
            return daylight.replace(tzinfo=UTC)
        return (local - timedelta(seconds=self.tz_offset)).replace(tzinfo=UTC)

    def to_local(self, instant: datetime) -> datetime:
        """Naive local wall time of the aware `instant`."""
        return (instant.astimezone(UTC) + self.utc_offset(instant)).replace(tzinfo=None)


def _rule(month: int, operator: int, hour: int, day_of_week: int = 7) -> DstRule:
    return DstRule(month=month, operator=operator, day_of_week=day_of_week, hour=hour)


_US = (_rule(3, SECOND, 2), _rule(11, FIRST, 2))
_HOUR = 3600

# Zones the feed generator can write LocalTimeParameters for. Each is the rule set in force since
# 2007 (US) / 1996 (EU) / 2008 (Australia), which is what ESPI's single-rule encoding can express.
ZONES: dict[str, LocalTimeParameters] = {
    "UTC": LocalTimeParameters(0),
    "America/New_York": LocalTimeParameters(-5 * _HOUR, _HOUR, *_US),
    "America/Chicago": LocalTimeParameters(-6 * _HOUR, _HOUR, *_US),
    "America/Denver": LocalTimeParameters(-7 * _HOUR, _HOUR, *_US),
    "America/Phoenix": LocalTimeParameters(-7 * _HOUR),
    "America/Los_Angeles": LocalTimeParameters(-8 * _HOUR, _HOUR, *_US),
    "America/Anchorage": LocalTimeParameters(-9 * _HOUR, _HOUR, *_US),
    "Pacific/Honolulu": LocalTimeParameters(-10 * _HOUR),
    "Europe/London": LocalTimeParameters(0, _HOUR, _rule(3, LAST, 1), _rule(10, LAST, 2)),
    "Europe/Berlin": LocalTimeParameters(_HOUR, _HOUR, _rule(3, LAST, 2), _rule(10, LAST, 3)),
    "Australia/Sydney": LocalTimeParameters(10 * _HOUR, _HOUR, _rule(10, FIRST, 2), _rule(4, FIRST, 3)),
}


def for_zone(name: str) -> LocalTimeParameters:
    try:
        return ZONES[name]
    except KeyError:
        raise GreenButtonError(f"unknown time zone {name!r}; supported: {', '.join(sorted(ZONES))}") from None
