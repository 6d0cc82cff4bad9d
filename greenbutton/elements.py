"""Reading ESPI element content: integers, timestamps, and small resources, with located errors."""

from __future__ import annotations

from lxml import etree

from greenbutton.errors import GreenButtonError

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
    """(start, duration) of a DateTimeInterval element; both required, duration non-negative."""
    start = duration = None
    for node in element:
        if node.tag == ESPI + "start":
            start = integer(node)
        elif node.tag == ESPI + "duration":
            duration = integer(node)
    if start is None:
        raise fail(element, "has no start")
    if duration is None:
        raise fail(element, "has no duration")
    if duration < 0:
        raise fail(element, f"has a negative duration {duration}")
    return start, duration


def hex_rule(element: etree._Element) -> int:
    text = (element.text or "").strip()
    try:
        if not 1 <= len(text) <= 8:
            raise ValueError
        return int(text, 16)
    except ValueError:
        raise fail(element, f"has {text[:40]!r}, not a 32-bit hex DST rule") from None
