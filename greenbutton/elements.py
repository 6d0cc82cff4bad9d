"""Reading ESPI element content: integers, timestamps, and small resources, with located errors."""

from __future__ import annotations

from lxml import etree

from greenbutton.errors import GreenButtonError
from greenbutton.model import EARLIEST, LATEST

ATOM = "{http://www.w3.org/2005/Atom}"
ESPI = "{http://naesb.org/espi}"


def local_name(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else str(tag)


def fail(element: etree._Element, message: str) -> GreenButtonError:
    unbound = find_unbound_prefix(element)
    if unbound is not None:
        return GreenButtonError(
            f"namespace prefix {unbound.tag.partition(':')[0]!r} is not declared",
            element=unbound.tag,
            line=unbound.sourceline,
        )
    return GreenButtonError(message, element=local_name(element), line=element.sourceline)


def find_unbound_prefix(element: etree._Element) -> etree._Element | None:
    """An element whose tag kept a `prefix:` because the prefix was never declared.

    libxml2 reports these only when the whole document has been read; finding one here lets an
    error about a "missing" child name the real cause instead.
    """
    for node in element.iter():
        tag = node.tag
        if isinstance(tag, str) and not tag.startswith("{") and ":" in tag:
            return node
    return None


def integer(element: etree._Element) -> int:
    """The xs:long in `element`'s text, refusing fractions, exponents and blanks."""
    text = element.text
    try:
        if text is None or "_" in text or not text.isascii():
            raise ValueError
        return int(text)
    except ValueError:
        shown = (text or "").strip()
        what = "is empty" if not shown else f"has {shown[:40]!r}, not an integer"
        raise fail(element, what) from None


# Ranges of the ESPI simple types (usage.xsd) this reader checks.
INT48 = (-(2**47), 2**47)  # the schema's own bounds, maxInclusive 140737488355328 included
UINT32 = (0, 2**32 - 1)
INT16 = (-(2**15), 2**15 - 1)
UINT16 = (0, 2**16 - 1)


def bounded(element: etree._Element, low: int, high: int, what: str) -> int:
    """integer(element), refused outside [low, high] with a message naming `what` the range is."""
    number = integer(element)
    if not low <= number <= high:
        raise fail(element, f"{_shown(number)} is outside the {what} range {low}..{high}")
    return number


def timestamp(element: etree._Element) -> int:
    """Seconds since 1970 (TimeType), refused when no calendar date can stand for it."""
    number = integer(element)
    if number > LATEST:
        raise fail(element, f"{_shown(number)} is past the year 9999")
    if number < EARLIEST:
        raise fail(element, f"{_shown(number)} is before the year 1")
    return number


def _shown(number: int) -> str:
    text = str(number)
    return text if len(text) <= 24 else f"{text[:20]}... ({len(text)} digits)"


def child_integers(element: etree._Element) -> dict[str, int]:
    """Integer-valued direct children of a small resource, by local name (in the ESPI namespace)."""
    values: dict[str, int] = {}
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag.startswith(ESPI) and len(child) == 0:
            values[tag[len(ESPI) :]] = integer(child)
    return values


def child(element: etree._Element, name: str) -> etree._Element | None:
    return element.find(ESPI + name)


def interval(element: etree._Element) -> tuple[int, int]:
    """(start, duration) of a DateTimeInterval element; both required, within TimeType and UInt32."""
    start = duration = None
    for node in element:
        if node.tag == ESPI + "start":
            start = timestamp(node)
        elif node.tag == ESPI + "duration":
            if integer(node) < 0:
                raise fail(node, f"has a negative duration {integer(node)}")
            duration = bounded(node, *UINT32, "UInt32")
    if start is None:
        raise fail(element, "has no start")
    if duration is None:
        raise fail(element, "has no duration")
    if start + duration > LATEST:
        raise fail(element, "ends past the year 9999")
    return start, duration


def hex_rule(element: etree._Element) -> int:
    text = (element.text or "").strip()
    try:
        if not 1 <= len(text) <= 8:
            raise ValueError
        return int(text, 16)
    except ValueError:
        raise fail(element, f"has {text[:40]!r}, not a 32-bit hex DST rule") from None
