"""A service's sweep timer as an aiohttp cleanup context: it runs `sweep` every `interval` seconds
while the app lives, and a failed sweep (an agent down, say) is logged without ending the timer.
The sweep is how a service repairs what a lost webhook or a restart left behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

__all__ = ["sweeping"]

LOG = logging.getLogger(__name__)


def sweeping(sweep: Callable[[], Awaitable[object]], interval: float, name: str
             ) -> Callable[[web.Application], AsyncIterator[None]]:
    async def sweep_forever() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await sweep()
            except Exception:  # noqa: BLE001 - one failed sweep must not end the timer
                LOG.exception("%s sweep failed; next in %g s", name, interval)

    async def context(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(sweep_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
