"""The monthly chart: one bar pair per month, a kWh line, labels, and sane edge cases."""

from __future__ import annotations

import re

import pytest

from controllers.customer.chart import MonthPoint, _nice_scale, month_name, monthly_chart
from tests.pages.checks import check_fragment


def months(n: int, start_year: int = 2023) -> list[MonthPoint]:
    out = []
    for i in range(n):
        year, month = start_year + i // 12, i % 12 + 1
        out.append(MonthPoint(f"{year}-{month:02d}", 500.0 + 10 * i, 0.1 + 0.002 * i, 0.08 + 0.002 * i))
    return out


def bar_heights(svg: str, cls: str) -> list[float]:
    return [float(h) for h in re.findall(rf'<rect class="bar {cls}"[^>]* height="([0-9.]+)"', svg)]


@pytest.mark.parametrize("n", [1, 2, 12, 13, 24, 36])
def test_one_bar_of_each_series_and_one_point_per_month(n):
    svg = monthly_chart(months(n), key="acct-1")
    parsed = check_fragment(svg)
    assert svg.startswith("<svg") and parsed.all("svg")[0]["role"] == "img"
    assert len(bar_heights(svg, "bar-location")) == n
    assert len(bar_heights(svg, "bar-market")) == n
    assert svg.count('class="dot-kwh"') == n
    assert ('class="line-kwh"' in svg) == (n > 1)
    assert f'data-months="{n}"' in svg
    # Month labels stay readable: about a dozen at most, each year named once.
    labels = re.findall(r'<g class="labels">(.*?)</g>', svg)[0]
    assert len(re.findall(r">(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)<", labels)) <= 12
    assert labels.count(">2023<") == 1


def test_title_desc_legend_and_axes():
    svg = monthly_chart(months(12, 2024), title="Account <A>, 2024", key="k")
    parsed = check_fragment(svg)
    title_id, desc_id = parsed.all("svg")[0]["aria-labelledby"].split()
    assert {"id": title_id} in parsed.all("title") and {"id": desc_id} in parsed.all("desc")
    assert "Account &lt;A&gt;, 2024" in svg
    assert "12 months, January 2024 to December 2024" in parsed.text
    for words in ("tCO2e location-based", "tCO2e market-based", "kWh (right axis)"):
        assert words in parsed.text
    assert "January 2024: 0.1 tCO2e location-based" in parsed.text  # per-bar tooltips


def test_taller_bars_for_larger_values_and_zero_months_have_no_height():
    points = [MonthPoint("2024-01", 0, 0, 0), MonthPoint("2024-02", 100, 0.5, 0.25), MonthPoint("2024-03", 50, 1, 1)]
    svg = monthly_chart(points)
    check_fragment(svg)
    location = bar_heights(svg, "bar-location")
    market = bar_heights(svg, "bar-market")
    assert location[0] == 0 and market[0] == 0
    assert location[2] == pytest.approx(2 * location[1]) and market[1] == pytest.approx(location[1] / 2)


def test_all_zero_months_still_draw_an_axis():
    svg = monthly_chart([MonthPoint("2024-01", 0, 0, 0)])
    check_fragment(svg)
    assert bar_heights(svg, "bar-location") == [0.0]
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


def test_no_months_is_a_sentence_not_a_chart():
    html = monthly_chart([])
    assert html.startswith("<p") and "No data yet" in html and "<svg" not in html


def test_ids_differ_between_charts_on_one_page():
    a, b = monthly_chart(months(3), key="acct-a"), monthly_chart(months(3), key="acct-b")
    ids = lambda svg: set(re.findall(r' id="([^"]+)"', svg))  # noqa: E731
    assert ids(a) and not ids(a) & ids(b)


def test_scales_and_month_names():
    assert _nice_scale(0.117) == (pytest.approx(0.15), 0.05)
    assert _nice_scale(0) == (1.0, 0.25)
    maximum, step = _nice_scale(1234)
    assert maximum >= 1234 and 2 <= round(maximum / step) <= 5
    assert month_name("2024-03") == "March 2024" and month_name("Q1") == "Q1"


def test_a_scale_for_values_too_small_to_take_a_logarithm_of():
    assert _nice_scale(5e-324) == (1.0, 0.25)
    assert "<svg" in monthly_chart([MonthPoint("2024-01", 5e-324, 5e-324, 5e-324)])
