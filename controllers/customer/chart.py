"""A month-by-month chart of a customer's emissions and electricity use, drawn on the server as
inline SVG (no script, no `style=`: the classes are styled by the shared stylesheet).

Bars: tCO2e per month, location-based and market-based side by side (left axis). Line: kWh per
month (right axis). Every bar and point carries a `<title>` (the browser shows it on hover), and
the chart has a `<title>` and a `<desc>` summing it up for screen readers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["MonthPoint", "monthly_chart", "month_name"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")

# Geometry, in SVG user units (the SVG scales to its box).
_W, _H = 760, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 72, 52, 48
_X0, _X1 = _LEFT, _W - _RIGHT
_Y0, _Y1 = _TOP, _H - _BOTTOM  # top and bottom of the plot area
_MAX_BAR = 34.0
_MAX_LABELS = 12


@dataclass(frozen=True)
class MonthPoint:
    """One month of the chart: `label` "YYYY-MM" (other text is shown as given)."""

    label: str
    kwh: float
    tco2e_location: float
    tco2e_market: float


def month_name(label: str, *, short: bool = False) -> str:
    """ "2024-01" -> "January 2024" ("Jan 2024" when short); other labels unchanged."""
    parsed = _year_month(label)
    if parsed is None:
        return label
    year, month = parsed
    name = _MONTHS[month - 1]
    return f"{name[:3] if short else name} {year}"


def _year_month(label: str) -> tuple[int, int] | None:
    if len(label) == 7 and label[4] == "-" and label[:4].isdigit() and label[5:].isdigit():
        year, month = int(label[:4]), int(label[5:])
        if 1 <= month <= 12:
            return year, month
    return None


def _nice_scale(top: float) -> tuple[float, float]:
    """An axis maximum >= `top` and a tick step giving 2 to 5 intervals at 1, 2, 2.5 or 5 x 10^k."""
    if not math.isfinite(top) or top <= 0:
        return 1.0, 0.25
    raw = top / 4
    if raw <= 0 or not math.isfinite(math.log10(raw)):
        return 1.0, 0.25
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step * 5 >= top and step >= raw:
            break
    maximum = math.ceil(top / step - 1e-9) * step
    return maximum, step


def _decimals(step: float) -> int:
    decimals = 0
    while decimals < 9 and abs(round(step, decimals) - step) > step * 1e-9:
        decimals += 1
    return decimals


def _tick_label(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _number(value: float, places: int = 6) -> str:
    """A figure for people: thousands separators, at most `places` decimals, no trailing zeros."""
    text = f"{value:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in {"-0", ""} else "0"


def _f(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _clean(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else 0.0


def monthly_chart(months: Sequence[MonthPoint], *, title: str = "Monthly emissions and electricity use",
                  key: str = "") -> str:
    """An inline `<svg class="chart" role="img">` of `months` (oldest first; 1 to 36 read well): one
    location-based bar (class "bar-location") and one market-based bar ("bar-market") per month,
    the kWh line ("line-kwh") on a right-hand axis, month labels, ticks and a legend. `title` is
    the chart's accessible name; `key` (e.g. account and year) keeps element ids unique when a
    page shows several charts. No months: a short "No data yet" paragraph instead."""
    if not months:
        return '<p class="muted chart-empty">No data yet: the chart appears once you hold an emissions credential.</p>'

    points = [MonthPoint(str(m.label), _clean(m.kwh), _clean(m.tco2e_location), _clean(m.tco2e_market))
              for m in months]
    n = len(points)
    digest = hashlib.sha256(repr((key, title, points)).encode()).hexdigest()[:10]
    ids = f"chart-{digest}"

    t_max, t_step = _nice_scale(max(max(p.tco2e_location, p.tco2e_market) for p in points))
    k_max, k_step = _nice_scale(max(p.kwh for p in points))
    t_dec, k_dec = _decimals(t_step), _decimals(k_step)
    plot_h = _Y1 - _Y0
    slot = (_X1 - _X0) / n
    bar = min(_MAX_BAR, slot * 0.36)
    gap = min(4.0, slot * 0.06)

    def y_t(value: float) -> float:
        return _Y1 - plot_h * (value / t_max)

    def y_k(value: float) -> float:
        return _Y1 - plot_h * (value / k_max)

    parts: list[str] = []
    # Grid and left (tCO2e) ticks; right (kWh) ticks on their own scale.
    ticks = round(t_max / t_step)
    for i in range(ticks + 1):
        value = t_step * i
        y = y_t(value)
        parts.append(f'<line class="grid" x1="{_X0}" x2="{_X1}" y1="{_f(y)}" y2="{_f(y)}"/>')
        parts.append(f'<text x="{_X0 - 8}" y="{_f(y + 4)}" text-anchor="end">{_tick_label(value, t_dec)}</text>')
    kticks = round(k_max / k_step)
    for i in range(kticks + 1):
        value = k_step * i
        y = y_k(value)
        parts.append(f'<line class="axis" x1="{_X1}" x2="{_X1 + 5}" y1="{_f(y)}" y2="{_f(y)}"/>')
        parts.append(f'<text x="{_X1 + 8}" y="{_f(y + 4)}" text-anchor="start">{_tick_label(value, k_dec)}</text>')
    parts.append(f'<line class="axis" x1="{_X0}" x2="{_X1}" y1="{_Y1}" y2="{_Y1}"/>')
    parts.append(f'<line class="axis" x1="{_X0}" x2="{_X0}" y1="{_Y0}" y2="{_Y1}"/>')
    parts.append(f'<line class="axis" x1="{_X1}" x2="{_X1}" y1="{_Y0}" y2="{_Y1}"/>')
    parts.append(f'<text class="axis-title" x="{_X0 - 8}" y="{_Y0 - 12}" text-anchor="end">tCO2e</text>')
    parts.append(f'<text class="axis-title" x="{_X1 + 8}" y="{_Y0 - 12}" text-anchor="start">kWh</text>')

    # Bars, one pair per month.
    bars: list[str] = []
    for i, p in enumerate(points):
        centre = _X0 + slot * (i + 0.5)
        name = escape(month_name(p.label), quote=True)
        for cls, value, x, basis in (("bar-location", p.tco2e_location, centre - gap / 2 - bar, "location-based"),
                                     ("bar-market", p.tco2e_market, centre + gap / 2, "market-based")):
            top = y_t(value)
            bars.append(f'<rect class="bar {cls}" x="{_f(x)}" y="{_f(top)}" width="{_f(bar)}" '
                        f'height="{_f(_Y1 - top)}"><title>{name}: {_number(value)} tCO2e {basis}</title></rect>')
    parts.append(f'<g class="bars">{"".join(bars)}</g>')

    # kWh line and its points.
    coords = [(_X0 + slot * (i + 0.5), y_k(p.kwh)) for i, p in enumerate(points)]
    if n > 1:
        line = " ".join(f"{_f(x)},{_f(y)}" for x, y in coords)
        parts.append(f'<polyline class="line-kwh" points="{line}"/>')
    dots = "".join(
        f'<circle class="dot-kwh" cx="{_f(x)}" cy="{_f(y)}" r="{3.5 if n <= 18 else 2.5}">'
        f"<title>{escape(month_name(p.label), quote=True)}: {_number(p.kwh, 3)} kWh</title></circle>"
        for (x, y), p in zip(coords, points, strict=True))
    parts.append(f'<g class="dots">{dots}</g>')

    # Month labels: at most about twelve, the year under the first label and under each January.
    every = max(1, math.ceil(n / _MAX_LABELS))
    last_year: int | None = None
    labels = []
    for i, p in enumerate(points):
        if i % every:
            continue
        x = _f(_X0 + slot * (i + 0.5))
        parsed = _year_month(p.label)
        if parsed is None:
            text = p.label if len(p.label) <= 10 else p.label[:9] + "…"
            labels.append(f'<text x="{x}" y="{_Y1 + 18}" text-anchor="middle">{escape(text, quote=True)}</text>')
            continue
        year, month = parsed
        labels.append(f'<text x="{x}" y="{_Y1 + 18}" text-anchor="middle">{_MONTHS[month - 1][:3]}</text>')
        if year != last_year:
            labels.append(f'<text x="{x}" y="{_Y1 + 33}" text-anchor="middle">{year}</text>')
            last_year = year
    parts.append(f'<g class="labels">{"".join(labels)}</g>')

    # Legend across the top.
    legend_y = 14
    parts.append(
        f'<g class="legend">'
        f'<rect class="legend-location" x="{_X0}" y="{legend_y}" width="12" height="12" rx="2"/>'
        f'<text x="{_X0 + 18}" y="{legend_y + 10}">tCO2e location-based</text>'
        f'<rect class="legend-market" x="{_X0 + 170}" y="{legend_y}" width="12" height="12" rx="2"/>'
        f'<text x="{_X0 + 188}" y="{legend_y + 10}">tCO2e market-based</text>'
        f'<line class="legend-kwh" x1="{_X0 + 336}" x2="{_X0 + 356}" y1="{legend_y + 6}" y2="{legend_y + 6}"/>'
        f'<text x="{_X0 + 362}" y="{legend_y + 10}">kWh (right axis)</text>'
        f"</g>"
    )

    first, last = month_name(points[0].label), month_name(points[-1].label)
    span = first if n == 1 else f"{first} to {last}"
    total_loc = sum(p.tco2e_location for p in points)
    total_mkt = sum(p.tco2e_market for p in points)
    total_kwh = sum(p.kwh for p in points)
    peak = max(points, key=lambda p: p.tco2e_location)
    desc = (f"{n} month{'s' if n != 1 else ''}, {span}. Location-based emissions total {_number(total_loc)} tCO2e"
            f" (highest {_number(peak.tco2e_location)} in {month_name(peak.label)}); market-based total "
            f"{_number(total_mkt)} tCO2e; electricity use {_number(total_kwh, 3)} kWh.")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {_W} {_H}" '
        f'aria-labelledby="{ids}-title {ids}-desc" data-months="{n}">'
        f'<title id="{ids}-title">{escape(title, quote=True)}</title>'
        f'<desc id="{ids}-desc">{escape(desc, quote=True)}</desc>'
        f'{"".join(parts)}</svg>'
    )
