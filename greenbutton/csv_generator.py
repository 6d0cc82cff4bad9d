"""Green Button CSV files like utilities' "Download My Data" exports, for tests and benchmarks.

Electricity comes from greenbutton.generator with the same arguments, so a CSV and an XML feed
made from one seed hold the same readings and can be compared: generate_csv(seed=7, ...) and
generate_feed(seed=7, ..., with_summaries=False) give the same kWh per local calendar month.
Daily electricity is the hourly data summed per local day, as utilities' daily exports are.
Gas (daily therms or CCF) and exported solar energy have their own seeded shapes, since the XML
generator writes neither.

Values are written with three decimals (exact Wh), costs in dollars and cents, local wall-clock
times with no offset; on the day the clocks go back the repeated hour's rows appear twice.
"""

from __future__ import annotations

import io
import math
import os
import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from greenbutton.errors import GreenButtonError
from greenbutton.generator import generate_feed
from greenbutton.localtime import LocalTimeParameters, for_zone
from greenbutton.model import NO_COST

LAYOUTS = ("usage", "usage-units", "import-export")
_HEADERS = {
    "usage": "TYPE,DATE,START TIME,END TIME,USAGE (kWh),COST,NOTES",
    "usage-units": "TYPE,DATE,START TIME,END TIME,USAGE,UNITS,COST,NOTES",
    "import-export": "TYPE,DATE,START TIME,END TIME,IMPORT (kWh),EXPORT (kWh),COST,NOTES",
}
_DAY = 86400
# What greenbutton.generator writes for one reading. Read with a pattern rather than the parser so
# that fixtures for the parser's tests do not depend on the parser.
_READING = re.compile(
    rb"<espi:IntervalReading>(?:<espi:cost>(-?[0-9]+)</espi:cost>)?<espi:timePeriod><espi:duration>([0-9]+)"
    rb"</espi:duration><espi:start>(-?[0-9]+)</espi:start></espi:timePeriod><espi:value>(-?[0-9]+)</espi:value>"
)


def generate_csv(
    *,
    seed: int,
    start: date,
    days: int,
    interval_seconds: int = 3600,
    tz: str = "America/Los_Angeles",
    layout: str = "usage",
    end_times: str = "last-minute",
    dates: str = "iso",
    with_costs: bool = True,
    account_block: bool = True,
    zone_line: bool = False,
) -> bytes:
    """Electricity usage as a Green Button CSV; `interval_seconds` 900, 3600 or 86400 (daily).

    `end_times` is "last-minute" (00:00-00:59, the common form) or "end" (00:00-01:00); `dates`
    is "iso" (2024-01-31) or "us" (1/31/2024); `zone_line` adds a "Time Zone" header line.
    """
    out = io.StringIO()
    _write_electricity(out, seed, start, days, interval_seconds, tz, layout, end_times, dates, with_costs,
                       account_block, zone_line)
    return out.getvalue().encode()


def write_csv(path: str | os.PathLike, **arguments) -> int:
    """generate_csv(**arguments) written to `path`; returns the number of bytes."""
    data = generate_csv(**arguments)
    with open(path, "wb") as out:
        out.write(data)
    return len(data)


def generate_gas_csv(
    *,
    seed: int,
    start: date,
    days: int,
    unit: str = "therms",
    tz: str = "America/Los_Angeles",
    with_costs: bool = True,
) -> bytes:
    """Daily natural gas usage (`unit` "therms" or "CCF"), heating-season shaped."""
    if unit not in ("therms", "CCF"):
        raise GreenButtonError(f"unit must be therms or CCF, not {unit!r}")
    for_zone(tz)
    rng = random.Random(seed)
    out = io.StringIO()
    _account_block(out, seed, "Service 2", None)
    out.write("TYPE,DATE,START TIME,END TIME,USAGE,UNITS,COST,NOTES\r\n")
    for d in range(days):
        day = start + timedelta(days=d)
        heating = max(0.0, math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25))
        hundredths = max(5, round(100 * (0.4 + 2.6 * heating) * max(0.3, rng.gauss(1.0, 0.15))))
        cost = f"${hundredths * 187 // 100 / 100:.2f}" if with_costs else ""  # ~$1.87 a therm
        out.write(f"Natural gas usage,{day.isoformat()},00:00,23:59,{hundredths // 100}.{hundredths % 100:02d},"
                  f"{unit},{cost},\r\n")
    return out.getvalue().encode()


def _write_electricity(out, seed, start, days, interval, tz, layout, end_times, dates, with_costs,
                       account_block, zone_line) -> None:
    if layout not in LAYOUTS:
        raise GreenButtonError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if interval not in (900, 3600, _DAY):
        raise GreenButtonError(f"interval_seconds must be 900, 3600 or 86400, not {interval}")
    if end_times not in ("last-minute", "end") or dates not in ("iso", "us"):
        raise GreenButtonError("end_times must be last-minute or end, and dates iso or us")
    local = for_zone(tz)
    feed = generate_feed(seed=seed, start=start, days=days, interval_seconds=min(interval, 3600),
                         with_costs=with_costs, with_summaries=False, tz=tz)
    readings: Iterator[tuple[datetime, int, int, int]] = (
        (_wall(local, s), d, v, cost) for s, d, v, cost in _feed_readings(feed)
    )
    if interval == _DAY:
        readings = _daily(readings)
    exports = random.Random(seed ^ 0x5014A7)
    if account_block:
        _account_block(out, seed, "Service 1", tz if zone_line else None)
    out.write(_HEADERS[layout] + "\r\n")
    unit = ",kWh" if layout == "usage-units" else ""
    write = out.write
    for wall, duration, wh, cost in readings:
        day = wall.date()
        day_text = day.isoformat() if dates == "iso" else f"{day.month}/{day.day}/{day.year}"
        begin = wall.hour * 3600 + wall.minute * 60
        finish = begin + duration - (60 if end_times == "last-minute" else 0)
        usage = f"{wh // 1000}.{wh % 1000:03d}"
        if layout == "import-export":
            usage += "," + _kwh(_solar_wh(exports, wall, duration))
        cost_text = "" if cost == NO_COST else f"${(cost + 500) // 1000 / 100:.2f}"
        write(f"Electric usage,{day_text},{_hhmm(begin)},{_hhmm(finish)},{usage}{unit},{cost_text},\r\n")


def _feed_readings(feed: bytes) -> Iterator[tuple[int, int, int, int]]:
    """(start, duration, Wh, cost or NO_COST) of each reading the XML generator wrote."""
    found = 0
    for match in _READING.finditer(feed):
        found += 1
        cost, duration, start, value = match.groups()
        yield int(start), int(duration), int(value), NO_COST if cost is None else int(cost)
    if found != feed.count(b"<espi:IntervalReading>"):
        raise GreenButtonError("greenbutton.generator writes readings in a form csv_generator does not know")


def _account_block(out, seed: int, service: str, zone: str | None) -> None:
    account = random.Random(seed).randrange(10**9, 10**10)
    out.write(f'Name,GREEN BUTTON CUSTOMER\r\nAddress,"1 EXAMPLE WAY, SPRINGFIELD CA 90000"\r\n'
              f"Account Number,{account}\r\nService,{service}\r\n")
    if zone:
        out.write(f"Time Zone,{zone}\r\n")
    out.write("\r\n")


def _wall(local: LocalTimeParameters, start: int) -> datetime:
    return local.to_local(datetime.fromtimestamp(start, UTC))


def _daily(readings: Iterator[tuple[datetime, int, int, int]]) -> Iterator[tuple[datetime, int, int, int]]:
    """Whole local days; a wall-clock day is written 00:00-23:59 whatever its real length."""
    day = None
    wh = cost = 0
    priced = False
    for wall, _duration, value, reading_cost in readings:
        if wall.date() != day:
            if day is not None:
                yield datetime.combine(day, datetime.min.time()), _DAY, wh, cost if priced else NO_COST
            day, wh, cost, priced = wall.date(), 0, 0, False
        wh += value
        if reading_cost != NO_COST:
            cost += reading_cost
            priced = True
    if day is not None:
        yield datetime.combine(day, datetime.min.time()), _DAY, wh, cost if priced else NO_COST


def _solar_wh(rng: random.Random, wall: datetime, duration: int) -> int:
    hour = wall.hour + wall.minute / 60
    if duration >= _DAY:
        return round(rng.uniform(2000, 9000))
    sun = max(0.0, math.sin(math.pi * (hour - 6) / 13))
    return round(sun * rng.uniform(0.0, 2.5) * duration / 3.6)


def _kwh(wh: int) -> str:
    return f"{wh // 1000}.{wh % 1000:03d}"


def _hhmm(seconds: int) -> str:
    seconds %= _DAY
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
