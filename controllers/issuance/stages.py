"""Time spent per stage of the pipeline, summed over every bill and period (benchmarks, demo)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["StageClock", "STAGES"]

STAGES = ("consent", "fetch", "parse", "calculate", "encrypt+store", "anchor", "issue", "verify")


class StageClock:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - began
            self.counts[name] += 1

    def add(self, name: str, seconds: float, count: int = 1) -> None:
        self.seconds[name] += seconds
        self.counts[name] += count

    def report(self) -> dict[str, dict[str, float]]:
        names = [s for s in STAGES if s in self.seconds] + sorted(set(self.seconds) - set(STAGES))
        return {n: {"seconds": round(self.seconds[n], 4), "count": self.counts[n]} for n in names}
