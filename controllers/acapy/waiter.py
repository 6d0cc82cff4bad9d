"""`ExchangeWaiter`: await an exchange reaching a state, or learn in bounded time that it will not.

Holder-side failures in ACA-Py can end an exchange without any webhook, so every wait has a
deadline and the timeout names the exchange and the last state seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from controllers.acapy.errors import ExchangeAbandoned, ExchangeTimeout
from controllers.acapy.events import FAILURE_STATES, WebhookEvent

__all__ = ["ExchangeWaiter"]


class ExchangeWaiter:
    def __init__(self) -> None:
        self._latest: dict[tuple[str, str], WebhookEvent] = {}
        self._reached: dict[tuple[str, str], dict[str, WebhookEvent]] = {}
        self._threads: dict[tuple[str, str], str] = {}  # (topic, thread_id) -> this agent's record id
        self._changed = asyncio.Condition()

    def latest(self, topic: str, record_id: str) -> WebhookEvent | None:
        return self._latest.get((topic, record_id))

    async def wait_for_thread(
        self,
        topic: str,
        thread_id: str,
        states: Iterable[str],
        *,
        timeout: float = 15.0,
        fail_states: Iterable[str] = FAILURE_STATES,
    ) -> WebhookEvent:
        """Like `wait_for`, for the exchange this agent holds in the thread `thread_id`.

        The other party knows the thread id at once; this agent's record (and its id) exists only
        once the first message arrived, so this is how a counterpart's record is found.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        key = (topic, thread_id)
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: key in self._threads), timeout)
        except TimeoutError:
            raise ExchangeTimeout(topic, f"thread {thread_id}", states, timeout, None) from None
        remaining = max(0.0, deadline - loop.time())
        return await self.wait_for(topic, self._threads[key], states, timeout=remaining, fail_states=fail_states)

    async def wait_from(self, topic: str, record_id: str, read_state: str | None, states: Iterable[str], *,
                        timeout: float = 15.0, fail_states: Iterable[str] = FAILURE_STATES,
                        read_error: str | None = None) -> None:
        """`wait_for`, starting from `read_state`, what a read of the record showed: a waiter knows
        only the events it heard, so an exchange that settled before it listened is seen through
        the read. A timeout with no event since names the state read. The exchange is forgotten
        afterwards, so a long-running caller does not keep every event it heard."""
        wanted, failing = frozenset(states), frozenset(fail_states) - frozenset(states)
        if read_state in wanted:
            return
        if read_state in failing:
            raise ExchangeAbandoned(topic, record_id, read_state, read_error)
        try:
            await self.wait_for(topic, record_id, wanted, timeout=timeout, fail_states=failing)
        except ExchangeTimeout as exc:
            if exc.last_state is not None:
                raise
            raise ExchangeTimeout(topic, record_id, wanted, timeout, read_state) from None
        finally:
            self.forget(topic, record_id)

    def forget(self, topic: str, record_id: str) -> None:
        """Drop what is known of a finished exchange (long-running controllers)."""
        self._latest.pop((topic, record_id), None)
        self._reached.pop((topic, record_id), None)

    async def notify(self, event: WebhookEvent) -> None:
        if event.record_id is None:
            return
        async with self._changed:
            key = (event.topic, event.record_id)
            self._latest[key] = event
            if event.state is not None:
                self._reached.setdefault(key, {}).setdefault(event.state, event)
            thread_id = event.payload.get("thread_id")
            if isinstance(thread_id, str) and thread_id:
                self._threads[(event.topic, thread_id)] = event.record_id
            self._changed.notify_all()

    async def wait_for(
        self,
        topic: str,
        record_id: str,
        states: Iterable[str],
        *,
        timeout: float = 15.0,
        fail_states: Iterable[str] = FAILURE_STATES,
    ) -> WebhookEvent:
        """The first accepted event of that record in `states` (a state reached earlier counts).

        Raises ExchangeAbandoned when the record enters a failure state first, ExchangeTimeout when
        neither happens within `timeout` seconds.
        """
        wanted, failing = frozenset(states), frozenset(fail_states) - frozenset(states)
        key = (topic, record_id)

        def hit() -> WebhookEvent | None:
            reached = self._reached.get(key, {})
            for state in wanted:
                if state in reached:
                    return reached[state]
            return None

        def failed() -> WebhookEvent | None:
            ev = self._latest.get(key)
            return ev if ev is not None and ev.state in failing else None

        def settled() -> bool:
            return hit() is not None or failed() is not None

        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(settled), timeout)
        except TimeoutError:
            last = self._latest.get(key)
            raise ExchangeTimeout(topic, record_id, wanted, timeout, last.state if last else None) from None
        event = hit()
        if event is not None:
            return event
        bad = failed()
        assert bad is not None
        raise ExchangeAbandoned(topic, record_id, bad.state or "?", bad.error_msg)
