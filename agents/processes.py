"""Identify the processes we started, so `down` never signals a stranger that reused a pid.

A pid alone is not an identity: after a crash the number may belong to anything. We record the
kernel's start time of the process (field 22 of /proc/<pid>/stat, in clock ticks since boot) and
its command line marker, and signal only when both still match. Linux only (/proc).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessIdentity", "identity_of", "is_alive"]

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessIdentity:
    pid: int
    start_ticks: int

    def matches(self, marker: str) -> bool:
        """Still the same process, alive, and running a command line containing `marker`."""
        current = identity_of(self.pid)
        if current is None or current.start_ticks != self.start_ticks:
            return False
        return marker in _cmdline(self.pid)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) is in parentheses and may contain spaces; split after it.
    rest = raw[raw.rindex(")") + 2 :].split()
    return rest  # rest[0] is field 3 (state)


def identity_of(pid: int) -> ProcessIdentity | None:
    fields = _stat_fields(pid)
    if fields is None or fields[0] in {"Z", "X"}:
        return None
    return ProcessIdentity(pid, int(fields[19]))  # field 22


def is_alive(pid: int) -> bool:
    return identity_of(pid) is not None


def _cmdline(pid: int) -> str:
    try:
        return (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def supported() -> bool:
    return _PROC.is_dir() and os.name == "posix"
