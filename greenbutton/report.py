"""A UsageDocument as plain data (for JSON) and net totals on request.

No links, identifiers or account data appear here: usage points are numbered, not named, because
ESPI hrefs often embed the utility's customer and account ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from greenbutton import codes
from greenbutton.model import BillingPeriod, Series, UsageDocument


@dataclass(frozen=True)
class NetTotal:
    """Delivered minus exported, for one commodity and unit at one usage point (delta data only)."""

    commodity: str
    unit: str
    usage_point: int | None
    delivered: Decimal
    exported: Decimal

    @property
    def net(self) -> Decimal:
        return self.delivered - self.exported


def net_totals(doc: UsageDocument) -> list[NetTotal]:
    sums: dict[tuple[str, str, int | None], list[Decimal]] = {}
    for series in doc.series:
        if not series.is_delta or series.flow not in (codes.FORWARD, codes.REVERSE):
            continue
        key = (series.commodity, series.unit, series.usage_point)
        pair = sums.setdefault(key, [Decimal(0), Decimal(0)])
        pair[0 if series.flow == codes.FORWARD else 1] += series.total or 0
    return [NetTotal(c, u, p, d, e) for (c, u, p), (d, e) in sums.items()]


def summary(doc: UsageDocument, *, net: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"series": [_series(s) for s in doc.series]}
    if doc.billing_periods:
        data["billing_periods"] = [_period(p) for p in doc.billing_periods]
    if net:
        data["net"] = [
            {
                "commodity": n.commodity,
                "unit": n.unit,
                "usage_point": n.usage_point,
                "delivered": _number(n.delivered),
                "exported": _number(n.exported),
                "net": _number(n.net),
            }
            for n in net_totals(doc)
        ]
    if doc.notices:
        data["notices"] = [n.to_json() for n in doc.notices]
    return data


def _series(s: Series) -> dict[str, Any]:
    item: dict[str, Any] = {
        "commodity": s.commodity,
        "unit": s.unit,
        "flow": s.flow,
        "accumulation": s.accumulation,
        "usage_point": s.usage_point,
        "total": _number(s.total),
        "readings": s.readings,
        "interval_seconds": s.interval_seconds,
        "start": _iso(s.start),
        "end": _iso(s.end),
        "duplicates": len(s.duplicates),
        "conflicting_duplicates": sum(1 for d in s.duplicates if d.conflicting),
        "gaps": len(s.gaps),
        "overlaps": len(s.overlaps),
    }
    if not s.is_delta:  # register readings: report them, never their sum
        item["first_value"] = _number(s.first_value)
        item["last_value"] = _number(s.last_value)
    cost = s.cost
    if cost is not None:
        item["cost"] = _number(cost)
        item["currency"] = s.currency
    return item


def _period(p: BillingPeriod) -> dict[str, Any]:
    item: dict[str, Any] = {
        "start": _iso(p.start),
        "end": _iso(p.end),
        "commodity": p.commodity,
        "source": p.element,
    }
    if p.consumption is not None:
        item["consumption"] = _number(p.consumption.value)
        item["unit"] = p.consumption.unit
    if p.bill is not None:
        item["bill"] = _number(p.bill)
        item["currency"] = p.currency
    return item


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: Decimal | None) -> int | float | None:
    """JSON number for an exact Decimal; repr of a float round-trips these short decimals exactly."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)
