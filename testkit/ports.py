"""Free ranges of loopback ports for whole stacks and networks started by tests."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Iterable

__all__ = ["free_base"]


def free_base(ports_of: Callable[[int], Iterable[int]], *, span: int, step: int, tries: int = 200) -> int:
    """A base port B (a multiple of `step` in 20000..60000-span) whose `ports_of(B)` are all free
    right now, probed by binding each."""
    rng = random.Random()
    for _ in range(tries):
        base = rng.randrange(20000, 60000 - span, step)
        held: list[socket.socket] = []
        try:
            for port in ports_of(base):
                probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                held.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in held:
                probe.close()
    raise RuntimeError("no free range of loopback ports")
