"""Admission control: at most `running` requests of a kind do their work at once, at most
`waiting` more queue for a turn, and one more is turned away at once with 503 and Retry-After.

A caller told "busy, retry in N seconds" can plan; a caller left waiting behind hundreds of others
times out without knowing why, and the work piled up behind a slow dependency is what wedges it.
A queued request that does not get its turn within `patience` seconds is turned away the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

__all__ = ["Admission"]


class Admission:
    def __init__(self, *, running: int, waiting: int, patience: float = 30.0, retry_after: int = 2) -> None:
        if running < 1 or waiting < 0 or patience <= 0 or retry_after < 1:
            raise ValueError("running and retry_after must be at least 1, waiting at least 0, patience positive")
        self.running, self.waiting, self.patience, self.retry_after = running, waiting, patience, retry_after
        self._turns = asyncio.Semaphore(running)
        self._inside = 0  # running + waiting now

    @property
    def busy(self) -> int:
        return self._inside

    def _refuse(self, why: str) -> web.HTTPServiceUnavailable:
        return web.HTTPServiceUnavailable(text=f"{why}; try again in {self.retry_after} s.",
                                          headers={"Retry-After": str(self.retry_after)})

    @asynccontextmanager
    async def turn(self, what: str = "requests") -> AsyncIterator[None]:
        if self._inside >= self.running + self.waiting:
            raise self._refuse(f"Too many {what} at once")
        self._inside += 1
        try:
            try:
                async with asyncio.timeout(self.patience):
                    await self._turns.acquire()
            except TimeoutError:
                raise self._refuse(f"Too many {what} waiting") from None
            try:
                yield
            finally:
                self._turns.release()
        finally:
            self._inside -= 1
