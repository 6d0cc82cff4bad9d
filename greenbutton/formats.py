"""Which Green Button format a utility served, and the document read from it.

A bill's record names its format next to the content id and hash of the bytes exactly as they
were served, so a verifier who fetches the bill from custody knows which reader gives the same
numbers. The format is sniffed from the bytes, not taken from a file name or a Content-Type,
which utilities' "Download My Data" buttons get wrong often enough.
"""

from __future__ import annotations

import codecs
import re

from greenbutton.csv_feed import parse_csv
from greenbutton.errors import GreenButtonError
from greenbutton.localtime import LocalTimeParameters
from greenbutton.model import UsageDocument
from greenbutton.parser import DEFAULT_MAX_BYTES, parse_bytes

__all__ = ["FORMATS", "GREEN_BUTTON_CSV", "GREEN_BUTTON_XML", "read_usage", "sniff"]

GREEN_BUTTON_XML = "Green Button XML"
GREEN_BUTTON_CSV = "Green Button CSV"
FORMATS = (GREEN_BUTTON_XML, GREEN_BUTTON_CSV)

_CONTENT = re.compile(rb"[^ \t\r\n]")  # the first byte that is not whitespace
_UTF16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def sniff(data: bytes) -> str:
    """GREEN_BUTTON_XML when the first character after an optional byte-order mark and whitespace
    is `<`, else GREEN_BUTTON_CSV; GreenButtonError for a document with nothing in it."""
    for bom, codec in _UTF16:
        if data.startswith(bom):
            # libxml2 reads UTF-16 XML; a UTF-16 CSV goes to the CSV reader, which names the problem.
            text = data[len(bom):len(bom) + 8192].decode(codec, errors="ignore").lstrip(" \t\r\n")
            if not text and len(data) <= len(bom) + 8192:
                raise GreenButtonError("document is empty")
            return GREEN_BUTTON_XML if text.startswith("<") else GREEN_BUTTON_CSV
    first = _CONTENT.search(data, len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
    if first is None:
        raise GreenButtonError("document is empty")
    return GREEN_BUTTON_XML if first.group() == b"<" else GREEN_BUTTON_CSV


def read_usage(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, tz: str | LocalTimeParameters | None = None
) -> tuple[str, UsageDocument]:
    """(format name, document) for a bill as served. `tz` is for CSV, whose times carry no offset
    (see greenbutton.csv_feed); XML states its own LocalTimeParameters and ignores it."""
    if len(data) > max_bytes:
        raise GreenButtonError(f"document is {len(data)} bytes, larger than the limit of {max_bytes} bytes")
    kind = sniff(data)
    if kind == GREEN_BUTTON_XML:
        return kind, parse_bytes(data, max_bytes=max_bytes)
    return kind, parse_csv(data, tz=tz, max_bytes=max_bytes)
