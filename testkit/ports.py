"""Free ranges of loopback ports for whole stacks and networks started by tests.

A range is probed free, then bound seconds later (a Fabric peer binds after the CAs have enrolled
every identity). Ranges are drawn from outside the kernel's ephemeral range: inside it, any
outbound connection made in between (an enrollment, an orderer dialling another) may take one of
the range's ports as its source port, and the peer then fails with "address already in use". CI
once failed that way on 127.0.0.1:51730.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Iterable

from network.ports import ephemeral_range

__all__ = ["free_base", "free_port"]

LOWEST, HIGHEST = 10000, 65535


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1; the caller binds it soon after. (Linux gives
    bind(0) odd ports first and outbound connections even ones, so the two rarely meet.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bases(span: int, step: int) -> list[int]:
    ephemeral = ephemeral_range()
    bases = [base for base in range(LOWEST, HIGHEST - span, step)
             if base + span <= ephemeral.start or base >= ephemeral.stop]
    if not bases:
        raise RuntimeError(f"no room for {span} loopback ports outside the ephemeral range "
                           f"{ephemeral.start}-{ephemeral.stop - 1}")
    return bases


def free_base(ports_of: Callable[[int], Iterable[int]], *, span: int, step: int, tries: int = 200) -> int:
    """A base port B (a multiple of `step`, B..B+span outside the ephemeral range) whose
    `ports_of(B)` are all free right now, probed by binding each."""
    bases = _bases(span, step)
    rng = random.Random()
    for _ in range(tries):
        base = rng.choice(bases)
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
