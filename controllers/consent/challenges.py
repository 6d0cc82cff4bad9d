"""Single-use, expiring challenges that bind a presentation to one request.

Consuming a challenge burns it whatever the outcome of the checks that follow, so a captured
presentation can never be replayed. Kept in memory: a restart only invalidates challenges that
would expire within minutes anyway.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from controllers.consent.errors import ConsentRejected

DEFAULT_TTL = timedelta(minutes=5)


@dataclass
class ChallengeBook:
    ttl: timedelta = DEFAULT_TTL
    _open: dict[str, datetime] = field(default_factory=dict)  # challenge -> expiry
    _used: dict[str, datetime] = field(default_factory=dict)  # burnt challenge -> its expiry

    def issue(self, now: datetime) -> tuple[str, datetime]:
        self._prune(now)
        challenge = secrets.token_urlsafe(24)
        expires = now + self.ttl
        self._open[challenge] = expires
        return challenge, expires

    def consume(self, challenge: str, now: datetime) -> None:
        """Burn `challenge`, or raise ConsentRejected saying why it cannot be used."""
        if challenge in self._used:
            raise ConsentRejected("challenge already used (replayed presentation)")
        expires = self._open.pop(challenge, None)
        if expires is None:
            raise ConsentRejected("challenge unknown (not issued by this utility, or expired long ago)")
        self._used[challenge] = expires
        if now >= expires:
            raise ConsentRejected("challenge expired")

    def _prune(self, now: datetime) -> None:
        # Remember burnt challenges a little past their expiry: the "already used" reason is
        # clearer than "unknown" for a replay shortly after.
        horizon = now - self.ttl
        for book in (self._open, self._used):
            for key in [k for k, exp in book.items() if exp < horizon]:
                del book[key]
