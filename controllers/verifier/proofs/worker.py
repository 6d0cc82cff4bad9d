"""The functions the service hands to its worker processes.

Importing this module is cheap and safe in the service process: ACA-Py (whose document loader
module applies nest_asyncio to the importing process's event loop on import) is only imported
inside the functions, which run in the workers. Every failure of our own code leaves a worker
as a `WorkerFault` (its type name only); a verdict leaves as a `ProofResult`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from controllers.verifier.proofs.result import ProofResult, WorkerFault

__all__ = ["warm", "credential", "presentation"]


def _guarded(check: Callable[[Any], ProofResult]) -> ProofResult:
    try:
        from controllers.verifier.proofs import verification
        return check(verification)
    except WorkerFault:
        raise
    except Exception as exc:
        raise WorkerFault(type(exc).__name__) from None


def warm() -> bool:
    """Import ACA-Py and read the served contexts, so the first check pays neither."""
    def load(verification: Any) -> ProofResult:
        verification.OfflineLoader()
        return ProofResult(True, "warm")
    return _guarded(load).ok


def credential(document: dict[str, Any]) -> ProofResult:
    return _guarded(lambda verification: verification.check_credential(document))


def presentation(document: dict[str, Any], challenge: str) -> ProofResult:
    return _guarded(lambda verification: verification.check_presentation(document, challenge))
