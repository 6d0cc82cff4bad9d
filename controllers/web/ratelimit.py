"""Sign-in attempts are limited, so a password cannot be guessed at network speed.

Failures are counted per key in a sliding window: the sign-in counts one against the username
tried ("user:<name>") and one against the address it came from ("ip:<addr>"), and refuses to check
a password while any of them has `attempts` failures within `window` seconds. Only the last
`attempts` failure times of a key are kept, and at most `max_keys` keys (the ones that failed
longest ago are forgotten first), so a flood of made-up usernames cannot grow memory without bound.
The state is in memory: a restart forgets it, which costs an attacker one restart per window.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["SignInLimiter"]


class SignInLimiter:
    def __init__(self, *, attempts: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000) -> None:
        if attempts < 1 or window <= 0 or max_keys < 1:
            raise ValueError("attempts, window and max_keys must be positive")
        self.attempts, self.window, self.max_keys, self._clock = attempts, float(window), max_keys, clock
        # key -> times of its last `attempts` failures; ordered by the latest failure, oldest first.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _live(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, *keys: str) -> float | None:
        """Seconds until every key is under the limit again; None if none is over it now."""
        now, wait = self._clock(), None
        for key in keys:
            times = self._live(key, now)
            if times is not None and len(times) >= self.attempts:
                # The oldest failure kept must leave the window before another attempt is allowed.
                key_wait = times[0] + self.window - now
                wait = key_wait if wait is None else max(wait, key_wait)
        return wait

    def failed(self, *keys: str) -> None:
        now = self._clock()
        for key in keys:
            times = self._live(key, now)
            if times is None:
                times = self._failures[key] = deque(maxlen=self.attempts)
            times.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        """Forget every failure of these keys."""
        for key in keys:
            self._failures.pop(key, None)

    def forgive(self, *keys: str) -> None:
        """Take back the latest failure of each key. A caller that counts an attempt as failed
        before checking it (so parallel attempts cannot all slip under the limit) calls this
        for the keys it does not want to clear when the attempt turns out right."""
        for key in keys:
            times = self._failures.get(key)
            if times:
                times.pop()
                if not times:
                    del self._failures[key]

    def __len__(self) -> int:
        """How many keys are tracked (for tests and metrics)."""
        return len(self._failures)
