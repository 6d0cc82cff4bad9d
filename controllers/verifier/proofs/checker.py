"""`ProofChecker`: proof checks in worker processes, bounded in number, queue and time.

Each worker is a one-process `ProcessPoolExecutor` of its own (a "slot"): a check that overruns
its deadline is stopped by terminating its process, and one slot's process can be terminated
without breaking the checks running in the others. Slots not doing a check wait, warm, in `_free`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from controllers.verifier.proofs import worker
from controllers.verifier.proofs.result import ProofCheckBusy, ProofCheckUnavailable, ProofResult, WorkerFault

__all__ = ["ProofChecker"]

LOGGER = logging.getLogger(__name__)
_WARM_TIMEOUT = 120.0  # spawning and importing ACA-Py: seconds alone, far more on a loaded machine
_RETRY_MAX = 30.0


class _Slot:
    def __init__(self, context: Any) -> None:
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=context)

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        return asyncio.wrap_future(self.pool.submit(fn, *args))

    def kill(self) -> None:
        terminate = getattr(self.pool, "terminate_workers", None)  # Python 3.14+
        if terminate is not None:
            terminate()
            return
        # 3.13 has no public way to stop a running task; its one process is all the slot has.
        for process in list((getattr(self.pool, "_processes", None) or {}).values()):
            process.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)


class ProofChecker:
    """Checks Ed25519Signature2020/2018 proofs of credentials and presentations off the event loop.

    `workers` checks run at once and `queue_limit` calls may wait for one; a call beyond that
    raises ProofCheckBusy at once. `deadline` (seconds) bounds a call from its start, waiting
    and a cold worker start included: past it, ProofCheckUnavailable. A check that has itself run
    for a whole `deadline` is stopped by terminating its worker, which is replaced; one that only
    waited long is left to finish, since killing it would cost a worker start (seconds of CPU)
    just when the checker is already behind.

    Warm-up: worker processes start when first needed (the first call waits for one, within its
    deadline), or up front with `await start()` (returns when every worker is warm, and again
    after a replacement). `async with` starts them in the background without waiting. Workers are
    "spawn" processes, which import the main module again: a script using a checker must keep its
    work under `if __name__ == "__main__":` (`python -m` and console scripts already do). One
    checker serves one event loop.
    """

    def __init__(self, *, workers: int = 2, queue_limit: int = 64, deadline: float = 20.0) -> None:
        if workers < 1 or queue_limit < 0 or deadline <= 0:
            raise ValueError("workers must be >= 1, queue_limit >= 0 and deadline > 0")
        self.workers = workers
        self.queue_limit = queue_limit
        self.deadline = deadline
        self._context = multiprocessing.get_context("spawn")
        self._free: asyncio.Queue[_Slot | None] | None = None
        self._slots: set[_Slot] = set()
        self._tasks: set[asyncio.Task] = set()
        self._warm: set[_Slot] = set()
        self._all_warm = asyncio.Event()
        self._waiting = 0
        self._closed = False
        self._seconds_per_check = 0.5  # a running mean, for ProofCheckBusy.retry_after

    # -- the API ----------------------------------------------------------------------------
    async def credential(self, credential: Mapping[str, Any]) -> ProofResult:
        """The credential's proof: Ed25519, by the issuer's own did:key, over exactly this document."""
        return await self._check(worker.credential, _plain(credential, "credential"))

    async def presentation(self, presentation: Mapping[str, Any], challenge: str) -> ProofResult:
        """The presentation's own proof (authentication, `challenge`, a did:key) and every
        credential proof in it (each as `credential` checks it). A presentation holding no
        credential is judged on its own proof, as ACA-Py does; the caller decides whether an
        empty one is acceptable."""
        if not isinstance(challenge, str) or not challenge:
            raise ValueError("a presentation is checked against the non-empty challenge this verifier issued")
        return await self._check(worker.presentation, _plain(presentation, "presentation"), challenge)

    async def start(self) -> None:
        """Start the workers and wait until every one is warm (also after a worker was replaced);
        ProofCheckUnavailable if that takes longer than a worker start may (they keep being
        retried in the background)."""
        self._launch()
        try:
            await asyncio.wait_for(self._all_warm.wait(), _WARM_TIMEOUT)
        except TimeoutError:
            raise ProofCheckUnavailable("the proof-check workers could not start") from None

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _ in range(self._waiting):
            self._free.put_nowait(None)  # wakes callers still waiting: the checker is closed
        slots, self._slots = list(self._slots), set()
        await asyncio.gather(*(asyncio.to_thread(s.pool.shutdown, wait=True, cancel_futures=True) for s in slots))

    async def __aenter__(self) -> ProofChecker:
        self._launch()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    # -- the machinery ------------------------------------------------------------------------
    def _launch(self) -> None:
        if self._closed:
            raise ProofCheckUnavailable("the proof checker is closed")
        if self._free is None:
            self._free = asyncio.Queue()
            for _ in range(self.workers):
                self._spawn(self._provide())

    def _spawn(self, coroutine: Any) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # a job whose caller already gave up: its failure is not news

    async def _provide(self, delay: float = 0.0) -> bool:
        """One new warm slot into `_free`; on failure, another attempt later (backing off)."""
        if delay:
            await asyncio.sleep(delay)
        slot = _Slot(self._context)
        self._slots.add(slot)
        try:
            await asyncio.wait_for(slot.submit(worker.warm), _WARM_TIMEOUT)
        except asyncio.CancelledError:
            self._retire(slot)
            raise
        except Exception as exc:
            LOGGER.warning("a proof-check worker failed to start (%s); retrying", type(exc).__name__)
            self._retire(slot)
            if not self._closed:
                self._spawn(self._provide(min(max(2 * delay, 1.0), _RETRY_MAX)))
            return False
        assert self._free is not None
        self._warm.add(slot)
        if len(self._warm) == self.workers:
            self._all_warm.set()
        self._free.put_nowait(slot)
        return True

    def _retire(self, slot: _Slot) -> None:
        self._slots.discard(slot)
        self._warm.discard(slot)
        self._all_warm.clear()
        slot.kill()

    def _replace(self, slot: _Slot) -> None:
        self._retire(slot)
        if not self._closed:
            self._spawn(self._provide())

    def _retry_after(self) -> int:
        backlog = self._waiting + self.workers
        return max(1, math.ceil(backlog * self._seconds_per_check / self.workers))

    async def _check(self, fn: Callable[..., ProofResult], *args: Any) -> ProofResult:
        self._launch()
        assert self._free is not None
        if self._free.empty() and self._waiting >= self.queue_limit:
            raise ProofCheckBusy(self._retry_after())
        end = asyncio.get_running_loop().time() + self.deadline
        self._waiting += 1
        try:
            async with asyncio.timeout_at(end):
                slot = await self._free.get()
        except TimeoutError:
            raise ProofCheckUnavailable(f"no proof-check worker was free within {self.deadline:g} s") from None
        finally:
            self._waiting -= 1
        if slot is None:
            self._free.put_nowait(None)
            raise ProofCheckUnavailable("the proof checker is closed")
        # The job owns the slot from here: shielded, so a caller that gives up (deadline or
        # cancellation) still leaves the slot returned, or replaced if its check overran.
        job = self._spawn(self._run(slot, fn, args))
        try:
            async with asyncio.timeout_at(end):
                return await asyncio.shield(job)
        except TimeoutError:
            raise ProofCheckUnavailable(f"the proof check did not finish within {self.deadline:g} s") from None
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if job.cancelled() and current is not None and not current.cancelling():
                # close() stopped the job; the caller itself was not cancelled.
                raise ProofCheckUnavailable("the proof checker was closed during the check") from None
            raise

    async def _run(self, slot: _Slot, fn: Callable[..., ProofResult], args: tuple[Any, ...]) -> ProofResult:
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert self._free is not None
        try:
            # Measured from the job's own start: a check that waited in the queue is not killed
            # for that, only one that has run for a whole deadline (stuck, or built to be slow).
            result = await asyncio.wait_for(slot.submit(fn, *args), self.deadline)
        except TimeoutError:
            self._replace(slot)
            raise ProofCheckUnavailable(f"the proof check did not finish within {self.deadline:g} s") from None
        except BrokenProcessPool:
            self._replace(slot)
            raise ProofCheckUnavailable("a proof-check worker died during the check; it is being replaced") from None
        except WorkerFault as fault:
            self._free.put_nowait(slot)
            raise ProofCheckUnavailable(f"the proof checker failed in its own code ({fault})") from None
        except asyncio.CancelledError:
            self._retire(slot)
            raise
        except Exception as exc:
            # Anything else at the process boundary (pickling, a pool shut down under us): the
            # slot cannot be trusted either.
            self._replace(slot)
            raise ProofCheckUnavailable(f"the proof checker failed ({type(exc).__name__})") from None
        self._free.put_nowait(slot)
        self._seconds_per_check = 0.8 * self._seconds_per_check + 0.2 * (loop.time() - started)
        return result


def _plain(document: Mapping[str, Any], what: str) -> dict[str, Any]:
    """A plain-dict copy for the worker (a Mapping view need not pickle)."""
    if not isinstance(document, Mapping):
        raise TypeError(f"the {what} must be a JSON object (a Mapping)")
    return _copy(document)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value
