"""The one error type of the Green Button package."""

from __future__ import annotations


class GreenButtonError(ValueError):
    """A Green Button document that cannot be read, or read safely.

    `element` and `line` locate the problem in the source document when there is one; the message
    already names them, the attributes are there for programs.
    """

    def __init__(self, message: str, *, element: str | None = None, line: int | None = None):
        where = ""
        if element and line:
            where = f"{element} (line {line}): "
        elif element:
            where = f"{element}: "
        elif line:
            where = f"line {line}: "
        super().__init__(where + message)
        self.element = element
        self.line = line
