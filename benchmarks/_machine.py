"""The one line every benchmark prints with its figures: what machine they were measured on."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError):
        pass
    return "? GiB"


def describe_machine() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {memory_gib()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
