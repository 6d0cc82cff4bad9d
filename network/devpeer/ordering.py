"""Ordering for one dev peer: a block cutter (count, size, timeout, as Fabric's blockcutter) feeding
a single committer, so blocks are validated and written strictly in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from network.devpeer.config import BlockCuttingConfig

__all__ = ["BlockCutter", "OrdererUnavailable"]

log = logging.getLogger(__name__)


class OrdererUnavailable(RuntimeError):
    """The ordering service is stopped or its committer failed."""


class BlockCutter:
    def __init__(self, cutting: BlockCuttingConfig, commit: Callable[[list[bytes]], Awaitable[None]]) -> None:
        self._cutting = cutting
        self._commit = commit
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._batches: asyncio.Queue[list[bytes] | None] = asyncio.Queue()
        self._committer: asyncio.Task | None = None
        self._failure: BaseException | None = None

    def start(self) -> None:
        self._committer = asyncio.create_task(self._commit_loop(), name="devpeer-committer")

    @property
    def running(self) -> bool:
        return self._committer is not None and not self._committer.done() and self._failure is None

    def order(self, envelope: bytes) -> None:
        """Enqueue one transaction; returns at once (Submit means ordered, not committed)."""
        if not self.running:
            raise OrdererUnavailable(f"the ordering service is not running{f': {self._failure}' if self._failure else ''}")
        size = len(envelope)
        if size > self._cutting.preferred_max_bytes:
            # Oversized messages go alone into their own block, after whatever was pending.
            self._cut()
            self._batches.put_nowait([envelope])
            return
        if self._pending_bytes + size > self._cutting.preferred_max_bytes:
            self._cut()
        self._pending.append(envelope)
        self._pending_bytes += size
        if len(self._pending) >= self._cutting.max_message_count:
            self._cut()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._cutting.batch_timeout, self._cut)

    def _cut(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            self._batches.put_nowait(self._pending)
            self._pending, self._pending_bytes = [], 0

    async def _commit_loop(self) -> None:
        while True:
            batch = await self._batches.get()
            if batch is None:
                return
            try:
                await self._commit(batch)
            except Exception as exc:  # noqa: BLE001 - a failed commit stops ordering: the ledger must not fork
                log.exception("committing a block failed; the ordering service stops")
                self._failure = exc
                return

    async def stop(self) -> None:
        """Cut what is pending, commit every cut block, then stop."""
        self._cut()
        self._batches.put_nowait(None)
        if self._committer is not None:
            await self._committer
