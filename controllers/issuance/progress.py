"""A progress bar on stderr: redrawn in place on a terminal, one line per 10 % otherwise (logs, CI)."""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["ProgressBar"]


class ProgressBar:
    def __init__(self, total: int, label: str, *, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(total, 0)
        self.label = label
        self.done = 0
        self.failed = 0
        self._stream = stream if stream is not None else sys.stderr
        self._width = width
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._last_decile = 0  # the first line at 10 %

    def advance(self, *, ok: bool = True) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        self._draw()

    def _line(self) -> str:
        filled = self._width * self.done // self.total if self.total else self._width
        bar = "#" * filled + "-" * (self._width - filled)
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.label} [{bar}] {self.done}/{self.total}{failed}"

    def _draw(self) -> None:
        if self._tty:
            end = "\n" if self.done >= self.total else ""
            self._stream.write("\r" + self._line() + end)
        else:
            decile = 10 * self.done // self.total if self.total else 10
            if decile == self._last_decile and self.done < self.total:
                return
            self._last_decile = decile
            self._stream.write(self._line() + "\n")
        self._stream.flush()
