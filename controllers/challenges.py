"""Single-use, expiring challenges that bind a presentation to one request.

The utility asks a customer's wallet to prove its consent with one; the verifier hands one to
anyone about to present a credential. Consuming a challenge burns it whatever the outcome of the
checks that follow, so a captured presentation can never be replayed. Kept in memory: a restart
only invalidates challenges that would expire within minutes anyway. At most `max_open` wait to be
used, so asking for challenges in a loop cannot grow memory without bound.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["ChallengeBook", "ChallengeRefused", "ChallengesExhausted", "DEFAULT_TTL"]

DEFAULT_TTL = timedelta(minutes=5)


class ChallengeRefused(ValueError):
    """The challenge cannot be used: unknown, expired or already used (the message says which)."""


class ChallengesExhausted(RuntimeError):
    """Too many challenges are open at once; ask again once some were used or expired."""


@dataclass
class ChallengeBook:
    ttl: timedelta = DEFAULT_TTL
    max_open: int = 100_000
    _open: dict[str, datetime] = field(default_factory=dict)  # challenge -> expiry
    _used: dict[str, datetime] = field(default_factory=dict)  # burnt challenge -> its expiry

    def issue(self, now: datetime) -> tuple[str, datetime]:
        self._prune(now)
        if len(self._open) >= self.max_open:
            raise ChallengesExhausted(f"{len(self._open)} challenges are open; try again in a moment")
        challenge = secrets.token_urlsafe(24)
        expires = now + self.ttl
        self._open[challenge] = expires
        return challenge, expires

    def consume(self, challenge: str, now: datetime) -> None:
        """Burn `challenge`, or raise ChallengeRefused saying why it cannot be used."""
        if challenge in self._used:
            raise ChallengeRefused("challenge already used (replayed presentation)")
        expires = self._open.pop(challenge, None)
        if expires is None:
            raise ChallengeRefused("challenge unknown (not issued here, or expired long ago)")
        self._used[challenge] = expires
        if now >= expires:
            raise ChallengeRefused("challenge expired")

    def _prune(self, now: datetime) -> None:
        # Expiries come in issue order (one TTL for all), so each book is pruned from its front.
        # Burnt challenges are remembered a little past their expiry: "already used" is clearer
        # than "unknown" for a replay shortly after; at most `max_open` of them.
        for book, horizon in ((self._open, now), (self._used, now - self.ttl)):
            for key, expires in list(book.items()):
                if expires > horizon and len(book) <= self.max_open:
                    break
                del book[key]
