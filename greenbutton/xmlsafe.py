"""Hardened, streaming XML reading for documents from outside.

No DTD (a document that declares one is refused, which rules out entity expansion and XXE), no
network, no huge-tree mode, and a byte budget enforced while reading, so a file that grows or a
pipe cannot exceed it. Elements are handed out as they end and must be cleared by the caller.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from lxml import etree

from greenbutton.errors import GreenButtonError

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # a decade of 15-minute data is about 150 MB


_DTD_MARKERS = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
_DTD_MESSAGE = "document declares a DTD (<!DOCTYPE>), which is not allowed"


class BoundedReader(io.RawIOBase):
    """Passes reads through; fails past `limit` bytes, and on a DTD before libxml2 sees it.

    libxml2 reads a whole small document in one go, so a DTD (entity bombs, external entities)
    must be refused here rather than after the first parse event.
    """

    def __init__(self, raw: BinaryIO, limit: int):
        self._raw = raw
        self._limit = limit
        self._seen = 0
        self._tail = b""  # end of the previous chunk, for a marker split across two reads
        # Called before each read, while the parser is between chunks and the tree is consistent.
        self.between_reads: Callable[[], None] | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.between_reads is not None:
            self.between_reads()
        chunk = self._raw.read(size if size is not None and size >= 0 else self._limit + 1)
        self._seen += len(chunk)
        if self._seen > self._limit:
            raise GreenButtonError(f"document is larger than the limit of {self._limit} bytes")
        window = self._tail + chunk
        for marker in _DTD_MARKERS:
            at = window.find(marker)
            if at >= 0:
                first_read = self._seen == len(chunk)
                raise GreenButtonError(_DTD_MESSAGE, line=window.count(b"\n", 0, at) + 1 if first_read else None)
        self._tail = window[-32:]
        return chunk

    def close(self) -> None:
        self._raw.close()
        super().close()


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise GreenButtonError(f"document is {size} bytes, larger than the limit of {limit} bytes")


def open_bounded(path: str | os.PathLike, limit: int) -> BoundedReader:
    handle = open(path, "rb")  # noqa: SIM115 - closed by iter_elements' caller via close()
    try:
        check_size(os.fstat(handle.fileno()).st_size, limit)
    except BaseException:
        handle.close()
        raise
    return BoundedReader(handle, limit)


def bytes_source(data: bytes, limit: int) -> BoundedReader:
    check_size(len(data), limit)
    return BoundedReader(io.BytesIO(data), limit)


_CHUNK = 32 * 1024  # bytes handed to libxml2 at a time, as lxml's iterparse does
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,  # with CDATA merged (lxml's default), each leaf has one text node
    "remove_pis": True,
}


def iter_elements(source: BinaryIO, tags: Iterable[str]) -> Iterator[tuple[str, etree._Element]]:
    """Yield ("start" | "end", element) for each element whose Clark-notation tag is in `tags`.

    The root element is yielded last, as ("root", element), so the caller can check it.
    Elements must be cleared by the caller once read.

    libxml2 is asked for starts only: "end" events cost lxml a call into Python at every element
    of the document, readings included, which is a good part of the parse. An element has ended
    once an element of interest starts outside it, so its "end" is yielded then, or once the
    whole document has been read.
    """
    parser = etree.XMLPullParser(events=("start",), tag=list(tags), **_PARSER_OPTIONS)
    opened: list[etree._Element] = []  # started, end not yet yielded; each inside the one before
    try:
        for element in _starts(parser, source):
            for ended in _ended(opened, element):
                yield "end", ended
            opened.append(element)
            yield "start", element
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    try:
        root, error = parser.close(), None
    except etree.XMLSyntaxError as exc:
        root, error = None, exc
    for _, element in parser.read_events():  # in the last bytes, which libxml2 keeps until closing
        for ended in _ended(opened, element):
            yield "end", ended
        opened.append(element)
        yield "start", element
    if error is not None and error.code not in _NAMESPACE_ERRORS:
        raise _syntax_error(error) from None
    # libxml2 reports an unbound prefix once it has read the whole document: every element has
    # ended, and the caller can name the element (a reading, say) before the error is raised.
    for ended in _ended(opened, None):
        yield "end", ended
    if error is not None:
        raise _syntax_error(error) from None
    if root is None:
        raise GreenButtonError("document is empty")
    _refuse_dtd(root.getroottree())  # the reader refuses DTDs already; this is the second lock
    yield "root", root


def _starts(parser: etree.XMLPullParser, source: BinaryIO) -> Iterator[etree._Element]:
    """Feed the document; each element of interest as it starts, those before an error first."""
    while chunk := source.read(_CHUNK):
        try:
            parser.feed(chunk)
        except etree.XMLSyntaxError:
            yield from (element for _, element in parser.read_events())
            raise
        yield from (element for _, element in parser.read_events())


def _ended(opened: list[etree._Element], starting: etree._Element | None) -> list[etree._Element]:
    """Take from `opened` the elements that `starting` is not inside (all, for None), innermost first."""
    ended = []
    while opened and not _inside(starting, opened[-1]):
        ended.append(opened.pop())
    return ended


def _inside(element: etree._Element | None, container: etree._Element) -> bool:
    # Identity: lxml keeps one proxy per node while it is referenced, as `opened` does.
    node = None if element is None else element.getparent()
    while node is not None and node is not container:
        node = node.getparent()
    return node is not None


# libxml2's namespace errors; the exception's own code is this parse's first error (its error_log
# may also hold errors of earlier parses).
_NAMESPACE_ERRORS = frozenset(getattr(etree.ErrorTypes, name) for name in dir(etree.ErrorTypes) if name.startswith("NS_ERR_"))


def _refuse_dtd(tree: etree._ElementTree) -> None:
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise GreenButtonError(_DTD_MESSAGE)


def _syntax_error(exc: etree.XMLSyntaxError) -> GreenButtonError:
    message = exc.msg or str(exc)
    line = exc.lineno or None
    # libxml2 reports an undeclared entity without a DTD as an empty document; say what it is.
    if "no element found" in message or not message:
        message = "malformed XML (undefined entity reference or truncated document)"
    message = message.split(", line ")[0]
    return GreenButtonError(f"malformed XML: {message}", line=line)
