"""Errors of the ACA-Py plumbing; each names the call or exchange it is about."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["AcaPyError", "AdminApiError", "ExchangeError", "ExchangeTimeout", "ExchangeAbandoned"]


class AcaPyError(Exception):
    """Base of the errors raised by controllers.acapy."""


class AdminApiError(AcaPyError):
    """The admin API answered with an error status, or could not be reached (status 0)."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        where = f"{method} {path}"
        super().__init__(f"{where}: {'unreachable' if status == 0 else f'HTTP {status}'}: {message}")


class ExchangeError(AcaPyError):
    def __init__(self, topic: str, record_id: str, message: str) -> None:
        self.topic = topic
        self.record_id = record_id
        super().__init__(message)


class ExchangeTimeout(ExchangeError):
    """The exchange did not reach the awaited state in time; its agent may have failed silently."""

    def __init__(self, topic: str, record_id: str, states: Iterable[str], timeout: float, last_state: str | None) -> None:
        self.states = frozenset(states)
        self.timeout = timeout
        self.last_state = last_state
        super().__init__(
            topic,
            record_id,
            f"{topic} exchange {record_id} did not reach {'/'.join(sorted(self.states))} within {timeout:g} s "
            f"(last state: {last_state or 'none seen'})",
        )


class ExchangeAbandoned(ExchangeError):
    """The exchange ended in a failure state (a problem report, a refused request, ...)."""

    def __init__(self, topic: str, record_id: str, state: str, reason: str | None) -> None:
        self.state = state
        self.reason = reason
        super().__init__(topic, record_id, f"{topic} exchange {record_id} ended {state}: {reason or 'no reason given'}")
