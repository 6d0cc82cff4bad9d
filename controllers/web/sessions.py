"""Browser sessions, kept in the party's `WorkflowStore` so a restart does not sign everyone out.

The cookie carries 32 random bytes; the store keeps only their SHA-256. Whoever reads the database
(a backup, a log of it) therefore cannot sign in as anyone: the value that opens a session exists
only in the person's browser. Each session has its own CSRF token, which pages put in their forms.
A session ends at a fixed time after sign-in (`lifetime`, 8 hours by default), on sign-out, or
when all of a subject's sessions are revoked (e.g. after a password change).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from controllers.workflow import WorkflowExists, WorkflowStore

__all__ = ["Session", "SessionStore"]

_STATE = "active"
_MAX_COOKIE_LENGTH = 200  # ours are 43 characters; anything much longer is not one of ours


@dataclass(frozen=True)
class Session:
    subject: str
    csrf_token: str
    expires: float


def _key(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode("utf-8")).hexdigest()


class SessionStore:
    def __init__(self, store: WorkflowStore, *, kind: str = "session", lifetime: float = 8 * 3600,
                 clock: Callable[[], float] = time.time) -> None:
        if lifetime <= 0:
            raise ValueError("session lifetime must be positive")
        self.store, self.kind, self.lifetime, self._clock = store, kind, float(lifetime), clock

    def create(self, subject: str) -> tuple[str, Session]:
        """A new session for `subject`: (the cookie value to hand to the browser, the session)."""
        if not isinstance(subject, str) or not subject:
            raise ValueError("a session's subject must be a non-empty string")
        self.purge_expired()
        session = Session(subject, secrets.token_urlsafe(32), self._clock() + self.lifetime)
        while True:
            cookie_value = secrets.token_urlsafe(32)
            try:
                self.store.put(self.kind, _key(cookie_value), _STATE, {
                    "subject": session.subject, "csrf_token": session.csrf_token, "expires": session.expires})
            except WorkflowExists:  # 2**-256; but never hand out someone else's session
                continue
            return cookie_value, session

    def get(self, cookie_value: str | None) -> Session | None:
        """The live session this cookie opens, or None (an expired one is deleted on the way)."""
        if not cookie_value or not isinstance(cookie_value, str) or len(cookie_value) > _MAX_COOKIE_LENGTH:
            return None
        key = _key(cookie_value)
        record = self.store.get(self.kind, key)
        if record is None:
            return None
        session = _session(record.data)
        if session is None or session.expires <= self._clock():
            self.store.delete(self.kind, key)
            return None
        return session

    def revoke(self, cookie_value: str | None) -> None:
        if cookie_value and isinstance(cookie_value, str) and len(cookie_value) <= _MAX_COOKIE_LENGTH:
            self.store.delete(self.kind, _key(cookie_value))

    def revoke_subject(self, subject: str) -> int:
        """End every session of `subject`; returns how many there were."""
        ended = 0
        for record in self.store.list(self.kind):
            if record.data.get("subject") == subject and self.store.delete(self.kind, record.key):
                ended += 1
        return ended

    def purge_expired(self) -> int:
        """Delete sessions past their end; returns how many."""
        now, purged = self._clock(), 0
        for record in self.store.list(self.kind):
            session = _session(record.data)
            if (session is None or session.expires <= now) and self.store.delete(self.kind, record.key):
                purged += 1
        return purged


def _session(data: dict) -> Session | None:
    try:
        subject, token, expires = data["subject"], data["csrf_token"], float(data["expires"])
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(subject, str) or not isinstance(token, str):
        return None
    return Session(subject, token, expires)
