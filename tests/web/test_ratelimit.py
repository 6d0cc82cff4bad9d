"""Sign-in failures are counted per key in a sliding window, in bounded memory."""

from __future__ import annotations

import pytest

from controllers.web.ratelimit import SignInLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_is_reached_after_the_set_number_of_failures_and_lifts_as_they_age():
    clock = Clock()
    limiter = SignInLimiter(attempts=5, window=60, clock=clock)
    for _ in range(4):
        limiter.failed("user:alice", "ip:1.2.3.4")
        clock.now += 1
    assert limiter.retry_after("user:alice", "ip:1.2.3.4") is None
    limiter.failed("user:alice", "ip:1.2.3.4")  # the fifth, at t=104
    assert limiter.retry_after("user:alice") == pytest.approx(56)  # the first (t=100) leaves at t=160
    assert limiter.retry_after("ip:1.2.3.4", "user:bob") == pytest.approx(56)
    assert limiter.retry_after("user:bob", "ip:5.6.7.8") is None
    clock.now = 159.9
    assert limiter.retry_after("user:alice") == pytest.approx(0.1)
    clock.now = 160  # sliding: one failure left the window, four remain
    assert limiter.retry_after("user:alice") is None
    limiter.failed("user:alice")
    assert limiter.retry_after("user:alice") == pytest.approx(1)  # the t=101 failure is now the oldest


def test_the_longest_wait_of_the_keys_is_given():
    clock = Clock()
    limiter = SignInLimiter(attempts=2, window=10, clock=clock)
    limiter.failed("a")
    limiter.failed("a")
    clock.now += 5
    limiter.failed("b")
    limiter.failed("b")
    assert limiter.retry_after("a") == pytest.approx(5)
    assert limiter.retry_after("a", "b") == pytest.approx(10)


def test_success_clears_and_forgive_takes_back_one():
    limiter = SignInLimiter(attempts=2, window=60, clock=Clock())
    limiter.failed("user:alice", "ip:x")
    limiter.failed("user:alice", "ip:x")
    assert limiter.retry_after("user:alice") is not None
    limiter.succeeded("user:alice")
    assert limiter.retry_after("user:alice") is None
    assert limiter.retry_after("ip:x") is not None
    limiter.forgive("ip:x", "never-seen")
    assert limiter.retry_after("ip:x") is None
    limiter.failed("ip:x")
    assert limiter.retry_after("ip:x") is not None  # one was left


def test_the_number_of_keys_is_capped_forgetting_the_stalest_first():
    clock = Clock()
    limiter = SignInLimiter(attempts=2, window=600, clock=clock, max_keys=3)
    for key in ("a", "a", "b", "c"):
        limiter.failed(key)
        clock.now += 1
    limiter.failed("b")  # b failed most recently now; a is the stalest
    limiter.failed("d")
    assert len(limiter) == 3
    assert limiter.retry_after("a") is None  # forgotten
    assert limiter.retry_after("b") is not None
    for i in range(1000):
        limiter.failed(f"user:{i}")
    assert len(limiter) == 3


def test_keys_whose_failures_aged_out_are_dropped():
    clock = Clock()
    limiter = SignInLimiter(attempts=5, window=60, clock=clock)
    limiter.failed("a", "b")
    clock.now += 61
    assert limiter.retry_after("a", "b") is None
    assert len(limiter) == 0


def test_nonsense_settings_are_refused():
    for kwargs in ({"attempts": 0}, {"window": 0}, {"max_keys": 0}):
        with pytest.raises(ValueError):
            SignInLimiter(**kwargs)
