"""`AuditorDirectory`: the ledger's auditor registry as a person's pages need it, a did:key to the
registered firm's name, so a consent request names who asks instead of showing a bare DID."""

from __future__ import annotations

import logging
import time

from controllers.ledger.client import LedgerError
from controllers.ledger.session import LedgerSession, LedgerUnavailable

__all__ = ["AuditorDirectory"]

LOG = logging.getLogger(__name__)


class AuditorDirectory:
    def __init__(self, ledger: LedgerSession, *, refresh: float = 60.0) -> None:
        self._ledger, self._refresh = ledger, refresh
        self._names: dict[str, str] = {}
        self._read_at = float("-inf")

    async def name_of(self, did: str) -> str | None:
        """The active auditor's registered name for `did`; None when the registry does not list it
        (or cannot be read now: the page then says the auditor is unknown, which is the safe side)."""
        if time.monotonic() - self._read_at > self._refresh or did not in self._names:
            try:
                auditors = await self._ledger.client.list_auditors("active")
            except (LedgerError, LedgerUnavailable) as exc:
                LOG.warning("auditor registry not readable: %s", exc)
                return self._names.get(did)
            self._names = {d: str(a.get("name", "")) for a in auditors for d in a.get("dids", [])}
            self._read_at = time.monotonic()
        return self._names.get(did)
