"""Seeded generator of valid Green Button (ESPI) Atom feeds, for demos, tests and benchmarks.

One UsagePoint with LocalTimeParameters, a MeterReading with its ReadingType (forward,
deltaData, USD costs), one IntervalBlock per local day and one billing summary per monthly cycle
(the cycle starts on the start date's day of month). The same arguments always give the same
bytes (nothing depends on the clock).

commodity="electricity" (the default): ServiceCategory kind 0, commodity 1, Wh; load follows a
household: night base, morning and evening peaks, weekends, summer cooling and winter heating.
commodity="gas": ServiceCategory kind 1, commodity 7 (natural gas), in thousandths of a therm
(uom 169) or litres (m3, uom 42, powerOfTenMultiplier -3) as `gas_unit` says; load is space
heating that follows the season, with water heating and cooking on top.

Writes ESPI 1.x (espiDerived.xsd) or 3.3 (usage.xsd). Electricity summaries are
ElectricPowerUsageSummary in 1.x and UsageSummary in 3.3; gas summaries are UsageSummary in both.
"""

from __future__ import annotations

import bisect
import io
import math
import os
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO

from greenbutton.errors import GreenButtonError
from greenbutton.localtime import LocalTimeParameters, for_zone

ESPI_VERSIONS = ("1", "3.3")
BASE = "https://utility.example/DataCustodian/espi/1_1/resource"
_UP = f"{BASE}/Subscription/1/UsagePoint/1"
_MR = f"{_UP}/MeterReading/1"
_PEAK_RATE, _OFF_PEAK_RATE = 45, 28  # 1/100,000 USD per Wh: $0.45 and $0.28 per kWh
COMMODITIES = ("electricity", "gas")
GAS_UNITS = ("therm", "m3")


class _Kind:
    """What differs between an electricity and a gas feed."""

    def __init__(self, commodity: str, gas_unit: str):
        if commodity not in COMMODITIES:
            raise GreenButtonError(f"commodity must be one of {', '.join(COMMODITIES)}, not {commodity!r}")
        if gas_unit not in GAS_UNITS:
            raise GreenButtonError(f"gas_unit must be one of {', '.join(GAS_UNITS)}, not {gas_unit!r}")
        self.gas = commodity == "gas"
        if self.gas:
            # Raw units: 1/1000 therm, or litres of gas. Rates in 1/100,000 USD per raw unit:
            # $1.60 a therm; $0.055 per m3 is the same money for gas at ~1,026 BTU/ft3.
            self.service_kind, self.commodity_code = 1, 7
            self.uom, self.multiplier = (169, -3) if gas_unit == "therm" else (42, -3)
            self.raw_per_kwh = 1000 / 29.3071 if gas_unit == "therm" else 1000 / 10.6
            self.rates = (160, 160) if gas_unit == "therm" else (6, 6)
            self.title = "Natural gas consumption"
            self.reading_title = f"Gas delivered ({gas_unit})"
        else:
            self.service_kind, self.commodity_code = 0, 1
            self.uom, self.multiplier = 72, 0
            self.raw_per_kwh = 1000.0
            self.rates = (_PEAK_RATE, _OFF_PEAK_RATE)
            self.title = "Electricity consumption"
            self.reading_title = "Energy delivered (Wh)"

    def summary_name(self, version: str) -> str:
        return "UsageSummary" if self.gas else _summary_name(version)


def generate_feed(
    *,
    seed: int,
    start: date,
    days: int,
    interval_seconds: int = 3600,
    espi_version: str = "1",
    with_costs: bool = True,
    with_summaries: bool = True,
    tz: str = "America/Los_Angeles",
    commodity: str = "electricity",
    gas_unit: str = "therm",
) -> bytes:
    """The feed as bytes; see write_feed for one written straight to a file."""
    out = io.BytesIO()
    _write(out, seed, start, days, interval_seconds, espi_version, with_costs, with_summaries, tz,
           _Kind(commodity, gas_unit))
    return out.getvalue()


def write_feed(
    path: str | os.PathLike,
    *,
    seed: int,
    start: date,
    days: int,
    interval_seconds: int = 3600,
    espi_version: str = "1",
    with_costs: bool = True,
    with_summaries: bool = True,
    tz: str = "America/Los_Angeles",
    commodity: str = "electricity",
    gas_unit: str = "therm",
) -> int:
    """Write the feed to `path` a day at a time (memory stays flat); returns the number of bytes."""
    kind = _Kind(commodity, gas_unit)
    with open(path, "wb") as out:
        _write(out, seed, start, days, interval_seconds, espi_version, with_costs, with_summaries, tz, kind)
        return out.tell()


def _write(
    out: BinaryIO,
    seed: int,
    start: date,
    days: int,
    interval: int,
    version: str,
    with_costs: bool,
    with_summaries: bool,
    tz: str,
    kind: _Kind,
) -> None:
    if version not in ESPI_VERSIONS:
        raise GreenButtonError(f"espi_version must be one of {', '.join(ESPI_VERSIONS)}, not {version!r}")
    if days < 1:
        raise GreenButtonError(f"days must be at least 1, not {days}")
    if not 1 <= interval <= 86400:
        raise GreenButtonError(f"interval must be 1 to 86400 seconds, not {interval}")
    local = for_zone(tz)
    rng = random.Random(seed)
    ids = _Ids(rng)
    day_starts = [_epoch(local.to_utc(datetime.combine(start + timedelta(days=d), datetime.min.time())))
                  for d in range(days + 1)]
    first, last = day_starts[0], day_starts[-1]
    cycles = _billing_cycles(start, days, local) if with_summaries else []
    cycle_starts = [c[0] for c in cycles]
    cycle_wh = [0] * len(cycles)
    cycle_cost = [0] * len(cycles)
    updated = _iso(last)
    write = out.write

    write(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">\n'
        + f"<id>{ids.next()}</id>\n<title>Green Button usage feed</title>\n<updated>{updated}</updated>\n"
        f'<link rel="self" href="{BASE}/Batch/Subscription/1" type="espi-feed/UsagePoint"/>\n'.encode()
    )
    summary = kind.summary_name(version)
    summary_links = (
        f'<link rel="related" href="{_UP}/{summary}" type="espi-feed/{summary}"/>' if with_summaries else ""
    )
    _entry(write, ids, updated, "Usage point", [("self", _UP, "entry/UsagePoint"),
           ("up", f"{BASE}/Subscription/1/UsagePoint", "feed/UsagePoint"),
           ("related", f"{_UP}/MeterReading", "feed/MeterReading"),
           ("related", f"{BASE}/LocalTimeParameters/1", "entry/LocalTimeParameters")], summary_links,
           f"<espi:UsagePoint><espi:ServiceCategory><espi:kind>{kind.service_kind}</espi:kind></espi:ServiceCategory>"
           "</espi:UsagePoint>")
    _entry(write, ids, updated, "Local time", [("self", f"{BASE}/LocalTimeParameters/1", "entry/LocalTimeParameters"),
           ("up", f"{BASE}/LocalTimeParameters", "feed/LocalTimeParameters")], "", _local_time_xml(local))
    _entry(write, ids, updated, kind.title, [("self", _MR, "entry/MeterReading"),
           ("up", f"{_UP}/MeterReading", "feed/MeterReading"),
           ("related", f"{_MR}/IntervalBlock", "feed/IntervalBlock"),
           ("related", f"{BASE}/ReadingType/1", "entry/ReadingType")], "",
           "<espi:MeterReading/>")
    _entry(write, ids, updated, kind.reading_title, [("self", f"{BASE}/ReadingType/1", "entry/ReadingType"),
           ("up", f"{BASE}/ReadingType", "feed/ReadingType")], "", _reading_type_xml(interval, with_costs, kind))

    load = _GasLoadShape(rng, local, kind.raw_per_kwh) if kind.gas else _LoadShape(rng, local)
    peak_rate, off_peak_rate = kind.rates
    t = first
    for day in range(days):
        block_end = day_starts[day + 1]
        parts = []
        block_start = t
        while t < block_end and t < last:
            wh = load.watt_hours(t, interval)
            cost = wh * (peak_rate if load.peak(t) else off_peak_rate)
            cost_xml = f"<espi:cost>{cost}</espi:cost>" if with_costs else ""
            parts.append(
                f"<espi:IntervalReading>{cost_xml}<espi:timePeriod><espi:duration>{interval}</espi:duration>"
                f"<espi:start>{t}</espi:start></espi:timePeriod><espi:value>{wh}</espi:value></espi:IntervalReading>\n"
            )
            if cycles:
                i = bisect.bisect_right(cycle_starts, t) - 1
                if 0 <= i and t < cycles[i][1]:
                    cycle_wh[i] += wh
                    cycle_cost[i] += cost
            t += interval
        if not parts:
            continue
        content = (
            f"<espi:IntervalBlock><espi:interval><espi:duration>{t - block_start}</espi:duration>"
            f"<espi:start>{block_start}</espi:start></espi:interval>\n{''.join(parts)}</espi:IntervalBlock>"
        )
        _entry(write, ids, updated, "Interval block", [("self", f"{_MR}/IntervalBlock/{day + 1}", "entry/IntervalBlock"),
               ("up", f"{_MR}/IntervalBlock", "feed/IntervalBlock")], "", content)

    for k, (lo, hi) in enumerate(cycles):
        _entry(write, ids, updated, "Billing summary", [("self", f"{_UP}/{summary}/{k + 1}", f"entry/{summary}"),
               ("up", f"{_UP}/{summary}", f"feed/{summary}")], "",
               _summary_xml(summary, lo, hi, cycle_wh[k], cycle_cost[k] if with_costs else None, kind))
    write(b"</feed>\n")


class _Ids:
    def __init__(self, rng: random.Random):
        self._rng = rng

    def next(self) -> str:
        return f"urn:uuid:{uuid.UUID(int=self._rng.getrandbits(128), version=4)}"


def _entry(
    write: Callable[[bytes], object],
    ids: _Ids,
    updated: str,
    title: str,
    links: list[tuple[str, str, str]],
    extra_links: str,
    content: str,
) -> None:
    # ESPI 3.3's atom.xsd requires a type on every link: espi-entry/<Resource> or espi-feed/<Resource>.
    link_xml = "".join(f'<link rel="{rel}" href="{href}" type="espi-{kind}"/>' for rel, href, kind in links)
    write(
        f"<entry><id>{ids.next()}</id>{link_xml}{extra_links}<title>{title}</title>"
        f'<content type="application/xml">{content}</content>'
        f"<published>{updated}</published><updated>{updated}</updated></entry>\n".encode()
    )


def _summary_name(version: str) -> str:
    return "ElectricPowerUsageSummary" if version == "1" else "UsageSummary"


def _local_time_xml(local: LocalTimeParameters) -> str:
    def rule(r) -> str:
        return "FFFFFFFF" if r is None or not local.observes_dst else f"{r.encode():08X}"

    return (
        f"<espi:LocalTimeParameters><espi:dstEndRule>{rule(local.dst_end)}</espi:dstEndRule>"
        f"<espi:dstOffset>{local.dst_offset}</espi:dstOffset>"
        f"<espi:dstStartRule>{rule(local.dst_start)}</espi:dstStartRule>"
        f"<espi:tzOffset>{local.tz_offset}</espi:tzOffset></espi:LocalTimeParameters>"
    )


def _reading_type_xml(interval: int, with_costs: bool, kind: _Kind) -> str:
    currency = "<espi:currency>840</espi:currency>" if with_costs else ""
    phase = "" if kind.gas else "<espi:phase>769</espi:phase>"
    return (
        "<espi:ReadingType><espi:accumulationBehaviour>4</espi:accumulationBehaviour>"
        f"<espi:commodity>{kind.commodity_code}</espi:commodity>{currency}<espi:dataQualifier>12</espi:dataQualifier>"
        f"<espi:flowDirection>1</espi:flowDirection><espi:intervalLength>{interval}</espi:intervalLength>"
        f"<espi:kind>12</espi:kind>{phase}<espi:powerOfTenMultiplier>{kind.multiplier}</espi:powerOfTenMultiplier>"
        f"<espi:timeAttribute>0</espi:timeAttribute><espi:uom>{kind.uom}</espi:uom></espi:ReadingType>"
    )


def _summary_xml(name: str, lo: int, hi: int, wh: int, cost: int | None, kind: _Kind) -> str:
    bill = "" if cost is None else f"<espi:billLastPeriod>{cost}</espi:billLastPeriod>"
    currency = "" if cost is None else "<espi:currency>840</espi:currency>"
    return (
        f"<espi:{name}><espi:billingPeriod><espi:duration>{hi - lo}</espi:duration><espi:start>{lo}</espi:start>"
        f"</espi:billingPeriod>{bill}{currency}<espi:overallConsumptionLastPeriod>"
        f"<espi:powerOfTenMultiplier>{kind.multiplier}</espi:powerOfTenMultiplier>"
        f"<espi:uom>{kind.uom}</espi:uom><espi:value>{wh}</espi:value></espi:overallConsumptionLastPeriod>"
        f"<espi:qualityOfReading>14</espi:qualityOfReading><espi:statusTimeStamp>{hi}</espi:statusTimeStamp>"
        f"<espi:commodity>{kind.commodity_code}</espi:commodity></espi:{name}>"
    )


def _billing_cycles(start: date, days: int, local: LocalTimeParameters) -> list[tuple[int, int]]:
    """Monthly cycles starting on `start`'s day of month (clamped to short months), clipped to the data."""
    end = start + timedelta(days=days)
    cycles = []
    k = 0
    lo_date = start
    while lo_date < end:
        k += 1
        year, month = divmod(start.month - 1 + k, 12)
        hi_date = min(_clamped(start.year + year, month + 1, start.day), end)
        cycles.append((_local_midnight(local, lo_date), _local_midnight(local, hi_date)))
        lo_date = hi_date
    return cycles


def _clamped(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def _local_midnight(local: LocalTimeParameters, day: date) -> int:
    return _epoch(local.to_utc(datetime.combine(day, datetime.min.time())))


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _LoadShape:
    """A household's average power at a moment, in kW."""

    def __init__(self, rng: random.Random, local: LocalTimeParameters):
        self._rng = rng
        self._local = local
        self._scale = rng.uniform(0.7, 1.4)  # households differ
        self._offset_cache: dict[int, int] = {}

    def _local_seconds(self, t: int) -> int:
        day = t // 86400
        offset = self._offset_cache.get(day)
        if offset is None:
            offset = int(self._local.utc_offset(datetime.fromtimestamp(t, UTC)).total_seconds())
            self._offset_cache = {day: offset}
        return t + offset

    def peak(self, t: int) -> bool:
        return 16 <= (self._local_seconds(t) % 86400) // 3600 < 21

    def watt_hours(self, t: int, seconds: int) -> int:
        local = self._local_seconds(t + seconds // 2)
        hour = (local % 86400) / 3600
        day_of_year = (local // 86400) % 365.25
        weekday = (local // 86400 + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Saturday, Sunday
        daily = (
            0.35
            + 0.55 * math.exp(-((hour - 7.5) ** 2) / 2.0)
            + 0.95 * math.exp(-((hour - 19.0) ** 2) / 4.5)
            + (0.15 if 9 <= hour < 16 and weekday >= 5 else 0.0)
        )
        seasonal = 1 + 0.45 * max(0.0, math.cos(2 * math.pi * (day_of_year - 200) / 365.25)) + 0.2 * max(
            0.0, math.cos(2 * math.pi * (day_of_year - 15) / 365.25)
        )
        noise = max(0.2, self._rng.gauss(1.0, 0.12))
        kw = self._scale * daily * seasonal * noise
        return max(0, round(kw * seconds / 3.6))  # kW x s / 3600 x 1000 = Wh


class _GasLoadShape(_LoadShape):
    """A gas-heated household: space heating by season and time of day, water heating, cooking."""

    def __init__(self, rng: random.Random, local: LocalTimeParameters, raw_per_kwh: float):
        super().__init__(rng, local)
        self._raw_per_kwh = raw_per_kwh

    def watt_hours(self, t: int, seconds: int) -> int:  # raw gas units, despite the name
        local = self._local_seconds(t + seconds // 2)
        hour = (local % 86400) / 3600
        day_of_year = (local // 86400) % 365.25
        heating = 2.2 * max(0.0, math.cos(2 * math.pi * (day_of_year - 15) / 365.25)) ** 1.5
        thermostat = 1.0 if 6 <= hour < 22 else 0.6
        hot_water = 0.25 + 0.6 * math.exp(-((hour - 7.0) ** 2) / 1.5) + 0.5 * math.exp(-((hour - 20.0) ** 2) / 2.0)
        cooking = 0.3 * math.exp(-((hour - 18.0) ** 2) / 1.0)
        noise = max(0.2, self._rng.gauss(1.0, 0.12))
        kw = self._scale * (heating * thermostat + hot_water + cooking) * noise
        return max(0, round(kw * seconds / 3600 * self._raw_per_kwh))
