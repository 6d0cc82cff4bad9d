"""ESPI DST rule encoding and local time, checked against the tz database where it exists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from greenbutton import DstRule, GreenButtonError, LocalTimeParameters
from greenbutton.localtime import LAST, SECOND, WEEKDAY_ON_OR_AFTER, ZONES, for_zone
from testkit.policy import require


def test_decodes_the_us_rules_utilities_publish():
    start = DstRule.decode(0x360E2000)
    end = DstRule.decode(0xB40E2000)
    assert start == DstRule(month=3, operator=SECOND, day_of_week=7, hour=2)  # second Sunday of March, 02:00
    assert end is not None and (end.month, end.operator, end.day_of_week, end.hour) == (11, 2, 7, 2)
    assert start.local_transition(2024) == datetime(2024, 3, 10, 2)
    assert end.local_transition(2024) == datetime(2024, 11, 3, 2)


def test_schema_example_third_friday_of_march_at_0145():
    rule = DstRule(month=3, operator=4, day_of_week=5, hour=1, seconds=2700)
    assert DstRule.decode(rule.encode()) == rule
    assert rule.local_transition(2024) == datetime(2024, 3, 15, 1, 45)


def test_operators_day_of_month_on_or_after_and_last():
    assert DstRule(month=4, operator=0, day_of_month=6, hour=3).local_transition(2025) == datetime(2025, 4, 6, 3)
    on_or_after = DstRule(month=4, operator=WEEKDAY_ON_OR_AFTER, day_of_week=7, day_of_month=8)
    assert on_or_after.local_transition(2025) == datetime(2025, 4, 13)
    assert DstRule(month=10, operator=LAST, day_of_week=7, hour=3).local_transition(2025) == datetime(2025, 10, 26, 3)


def test_all_ones_disables_dst_and_bad_rules_are_refused():
    assert DstRule.decode(0xFFFFFFFF) is None
    with pytest.raises(GreenButtonError, match="month 13"):
        DstRule.decode(0xD60E2000)


def test_local_midnight_across_spring_forward_and_fall_back():
    pacific = for_zone("America/Los_Angeles")
    assert pacific.to_utc(datetime(2024, 3, 10)) == datetime(2024, 3, 10, 8, tzinfo=UTC)
    assert pacific.to_utc(datetime(2024, 3, 11)) == datetime(2024, 3, 11, 7, tzinfo=UTC)
    assert pacific.to_utc(datetime(2024, 11, 3)) == datetime(2024, 11, 3, 7, tzinfo=UTC)
    assert pacific.to_utc(datetime(2024, 11, 4)) == datetime(2024, 11, 4, 8, tzinfo=UTC)
    assert pacific.to_local(datetime(2024, 7, 1, 7, tzinfo=UTC)) == datetime(2024, 7, 1)


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_zone_rules_agree_with_the_tz_database(zone):
    require(Path("/usr/share/zoneinfo").is_dir(), "system tz database (tzdata) not installed")
    from zoneinfo import ZoneInfo

    reference = ZoneInfo(zone)
    local = ZONES[zone]
    instant = datetime(2015, 1, 1, tzinfo=UTC)
    while instant < datetime(2031, 1, 1, tzinfo=UTC):
        assert local.utc_offset(instant) == instant.astimezone(reference).utcoffset(), (zone, instant)
        instant += timedelta(hours=7)  # hits every hour of day across the years


def test_zone_without_dst():
    phoenix = for_zone("America/Phoenix")
    assert not phoenix.observes_dst
    assert phoenix.utc_offset(datetime(2024, 7, 1, tzinfo=UTC)) == timedelta(hours=-7)
    assert LocalTimeParameters(0).to_utc(datetime(2024, 1, 1)) == datetime(2024, 1, 1, tzinfo=UTC)


def test_unknown_zone_lists_the_supported_ones():
    with pytest.raises(GreenButtonError, match="America/New_York"):
        for_zone("Mars/Olympus_Mons")
