"""QR codes: a regular QR symbol of exactly the text, drawn without inline style."""

from __future__ import annotations

import re

import pytest
import segno

from controllers.web.qr import QUIET_ZONE, QrTooLong, qr_svg
from tests.pages.checks import check_fragment

INVITATION = ("https://utility.example/invite?oob=eyJAdHlwZSI6ICJodHRwczovL2RpZGNvbW0ub3JnL291dC1vZi1iYW5kLzEuMS9pbnZpdGF0aW9u"
              "IiwgIkBpZCI6ICI1YjM0YTg4Ni0zYjQ1LTQ5YjMtOTdhZC0zMGFhOGQ0OGQyYTEiLCAibGFiZWwiOiAiVXRpbGl0eSJ9")


def modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules the path draws (each "M x y.5 h n" run), in symbol coordinates."""
    d = re.search(r' d="([^"]*)"', svg).group(1)
    dark = set()
    for x, y, run in re.findall(r"M(\d+) (\d+)\.5h(\d+)", d):
        dark |= {(int(x) + i - QUIET_ZONE, int(y) - QUIET_ZONE) for i in range(int(run))}
    return dark


def test_qr_svg_draws_exactly_segnos_symbol():
    svg = qr_svg(INVITATION, title="Invitation <for> you")
    parsed = check_fragment(svg)
    assert svg.startswith("<svg")
    root = parsed.all("svg")[0]
    assert root["role"] == "img" and root["class"] == "qr"
    assert "<title>Invitation &lt;for&gt; you</title>" in svg
    expected = segno.make(INVITATION, error="m", micro=False)
    size = len(expected.matrix)
    assert root["viewbox"] == f"0 0 {size + 2 * QUIET_ZONE} {size + 2 * QUIET_ZONE}"  # attribute names come lowered
    assert size >= 21 and (size - 17) % 4 == 0  # a regular QR version, never Micro
    wanted = {(x, y) for y, row in enumerate(expected.matrix) for x, cell in enumerate(row) if cell}
    assert modules(svg) == wanted


def test_short_text_is_still_a_regular_qr_code():
    svg = qr_svg("hi")
    assert 'viewBox="0 0 29 29"' in svg  # version 1 (21 modules) plus the quiet zone
    assert "<title>QR code</title>" in svg


def test_too_long_or_empty_text_is_refused():
    with pytest.raises(QrTooLong):
        qr_svg("x" * 5000)
    with pytest.raises(ValueError):
        qr_svg("")
