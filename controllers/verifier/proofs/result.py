"""What a proof check answers: a verdict about the document, or that our machinery could not say.

Shared by the service process and the worker processes (results and faults cross the process
boundary by pickling), so nothing here imports ACA-Py.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ProofResult", "ProofCheckUnavailable", "ProofCheckBusy", "WorkerFault"]


@dataclass(frozen=True)
class ProofResult:
    """A verdict about the document. `reason` is one neutral sentence: it never quotes the
    document (claims stay out of logs and pages) and never depends on anything outside it."""

    ok: bool
    reason: str


class ProofCheckUnavailable(Exception):
    """Our machinery failed (a worker died, the deadline passed, our own code raised): never a
    verdict about the data. The caller should answer "could not be checked", not "altered"."""


class ProofCheckBusy(ProofCheckUnavailable):
    """Too many checks are already waiting; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many proof checks are waiting; retry after {retry_after} s")
        self.retry_after = retry_after


class WorkerFault(Exception):
    """Raised inside a worker when our own code (not the document) failed. Carries only the
    exception's type name: messages of the libraries underneath can quote the document."""
