"""Short-lived entries under opaque random ids: credential offers, pre-authorized codes, access
tokens, authorization requests. Nothing in an id says whose it is; an expired id is remembered for a
while so the answer can say "expired" rather than "unknown". In memory: a restart forgets every
offer and request in flight (the customer asks for a new offer, the verifier makes a new request).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["EXPIRED", "FOUND", "UNKNOWN", "Expiring", "new_id"]

T = TypeVar("T")
FOUND, EXPIRED, UNKNOWN = "found", "expired", "unknown"
_REMEMBER_EXPIRED = 3600.0


def new_id() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class _Entry(Generic[T]):
    value: T
    expires: float


class Expiring(Generic[T]):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry[T]] = {}

    def put(self, value: T, ttl: float, key: str | None = None) -> str:
        self._sweep()
        key = key or new_id()
        self._entries[key] = _Entry(value, self._clock() + ttl)
        return key

    def lookup(self, key: str) -> tuple[str, T | None]:
        """(FOUND, value), (EXPIRED, None) or (UNKNOWN, None)."""
        entry = self._entries.get(key) if isinstance(key, str) else None
        if entry is None:
            return UNKNOWN, None
        if self._clock() >= entry.expires:
            return EXPIRED, None
        return FOUND, entry.value

    def expires_in(self, key: str) -> float:
        entry = self._entries.get(key)
        return max(0.0, entry.expires - self._clock()) if entry else 0.0

    def remove(self, key: str) -> None:
        self._entries.pop(key, None)

    def _sweep(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._entries.items() if now >= e.expires + _REMEMBER_EXPIRED]:
            del self._entries[key]
