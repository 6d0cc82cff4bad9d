"""QR codes as inline SVG markup (no script, no `style=`, no image request): a phone can scan an
invitation off the screen.

The symbol is a regular QR code (never a Micro QR, which few phone cameras read) with error
correction level M, or L when the text is too long for M. Dark modules are one `<path>` of
horizontal runs; the quiet zone (4 modules) is a white background rectangle, so the code scans in
dark mode too. Size it with the stylesheet (`svg.qr`).
"""

from __future__ import annotations

from html import escape

import segno
from segno import DataOverflowError

__all__ = ["qr_svg", "QrTooLong", "QUIET_ZONE"]

QUIET_ZONE = 4  # modules of white border the QR specification asks for


class QrTooLong(ValueError):
    """The text does not fit in the largest QR code (about 2,300 bytes at level M, 2,900 at L)."""


def _symbol(text: str) -> segno.QRCode:
    for level in ("m", "l"):
        try:
            return segno.make(text, error=level, micro=False, boost_error=True)
        except DataOverflowError:
            continue
    raise QrTooLong(f"{len(text.encode())} bytes is too long for a QR code; share the link as text instead")


def _runs(matrix: tuple[bytearray, ...] | list) -> str:
    """The path data drawing each row's runs of dark modules as 1-unit-wide horizontal strokes."""
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        width = len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                parts.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}.5h{x - start}")
            else:
                x += 1
    return "".join(parts)


def qr_svg(text: str, *, title: str = "QR code") -> str:
    """An inline `<svg role="img" class="qr">` QR code of `text`, with `title` (escaped) as its
    `<title>` and accessible name. Raises QrTooLong when `text` cannot fit in a QR code."""
    if not isinstance(text, str) or not text:
        raise ValueError("a QR code needs some text")
    symbol = _symbol(text)
    width, height = symbol.symbol_size(border=QUIET_ZONE)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" viewBox="0 0 {width} {height}" '
        f'shape-rendering="crispEdges"><title>{escape(title, quote=True)}</title>'
        f'<rect class="qr-light" width="{width}" height="{height}" fill="#fff"/>'
        f'<path class="qr-dark" stroke="#000" stroke-width="1" d="{_runs(symbol.matrix)}"/></svg>'
    )
