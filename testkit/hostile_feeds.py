"""Green Button feeds shaped to hurt a parser, for the tests and the benchmark that pin it does not."""

from __future__ import annotations

__all__ = ["many_linked_groups"]

_JAN_1_2024 = 1704067200


def many_linked_groups(groups: int) -> bytes:
    """The security review's shape: many MeterReadings, each IntervalBlock with its own `up` link
    (quadratic for a parser that resolves each link by scanning every MeterReading)."""
    base = "https://utility.example/espi/Subscription/1/UsagePoint/1"
    reading_type = "https://utility.example/espi/ReadingType/1"
    parts = [
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">\n',
        f'<entry><link rel="self" href="{base}"/><link rel="related" href="{base}/MeterReading"/><content>'
        "<espi:UsagePoint><espi:ServiceCategory><espi:kind>0</espi:kind></espi:ServiceCategory></espi:UsagePoint>"
        "</content></entry>\n",
        f'<entry><link rel="self" href="{reading_type}"/><content><espi:ReadingType>'
        "<espi:accumulationBehaviour>4</espi:accumulationBehaviour><espi:commodity>1</espi:commodity>"
        "<espi:flowDirection>1</espi:flowDirection><espi:uom>72</espi:uom></espi:ReadingType></content></entry>\n",
    ]
    for k in range(groups):
        meter = f"{base}/MeterReading/{k}"
        parts.append(
            f'<entry><link rel="self" href="{meter}"/><link rel="up" href="{base}/MeterReading"/>'
            f'<link rel="related" href="{meter}/IntervalBlock"/><link rel="related" href="{reading_type}"/>'
            "<content><espi:MeterReading/></content></entry>\n"
        )
    for k in range(groups):
        meter = f"{base}/MeterReading/{k}"
        parts.append(
            f'<entry><link rel="self" href="{meter}/IntervalBlock/1"/><link rel="up" href="{meter}/IntervalBlock"/>'
            "<content><espi:IntervalBlock><espi:IntervalReading><espi:timePeriod><espi:duration>3600</espi:duration>"
            f"<espi:start>{_JAN_1_2024 + 3600 * k}</espi:start></espi:timePeriod><espi:value>{k % 900}</espi:value>"
            "</espi:IntervalReading></espi:IntervalBlock></content></entry>\n"
        )
    parts.append("</feed>\n")
    return "".join(parts).encode()
