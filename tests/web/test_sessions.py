"""Sessions live in the WorkflowStore under the SHA-256 of the cookie, never the cookie itself."""

from __future__ import annotations

import hashlib

import pytest

from controllers.web.sessions import Session, SessionStore
from controllers.workflow import WorkflowStore


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    with WorkflowStore(tmp_path / "web.sqlite") as s:
        yield s


def test_a_created_session_is_found_by_its_cookie(store):
    clock = Clock()
    sessions = SessionStore(store, lifetime=3600, clock=clock)
    cookie, session = sessions.create("did:example:alice")
    assert isinstance(session, Session)
    assert session.subject == "did:example:alice" and session.expires == clock.now + 3600
    assert len(cookie) == 43 and len(session.csrf_token) == 43 and cookie != session.csrf_token
    assert sessions.get(cookie) == session
    assert sessions.get(cookie + "x") is None and sessions.get("") is None and sessions.get(None) is None
    other, _ = sessions.create("did:example:alice")
    assert other != cookie and sessions.get(other) != session  # each sign-in its own session and token


def test_the_store_holds_only_the_hash_of_the_cookie(store, tmp_path):
    sessions = SessionStore(store, kind="wallet-session")
    cookie, session = sessions.create("did:example:alice")
    [record] = store.list("wallet-session")
    assert record.key == hashlib.sha256(cookie.encode()).hexdigest()
    assert cookie not in repr(record.data) and cookie != record.key
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("web.sqlite"))
    assert cookie.encode() not in raw
    assert record.key.encode() in raw  # the check above looked in the right place


def test_an_expired_session_is_gone(store):
    clock = Clock()
    sessions = SessionStore(store, lifetime=60, clock=clock)
    cookie, _ = sessions.create("did:example:alice")
    clock.now += 59
    assert sessions.get(cookie) is not None
    clock.now += 1
    assert sessions.get(cookie) is None
    assert store.list("session") == []  # deleted on the way


def test_expired_sessions_are_purged_when_new_ones_are_made(store):
    clock = Clock()
    sessions = SessionStore(store, lifetime=60, clock=clock)
    sessions.create("did:example:alice")
    clock.now += 61
    cookie, _ = sessions.create("did:example:bob")
    assert [r.data["subject"] for r in store.list("session")] == ["did:example:bob"]
    assert sessions.get(cookie).subject == "did:example:bob"


def test_revoking_ends_one_session_or_all_of_a_subject(store):
    sessions = SessionStore(store)
    a1, _ = sessions.create("did:example:alice")
    a2, _ = sessions.create("did:example:alice")
    b, _ = sessions.create("did:example:bob")
    sessions.revoke(a1)
    assert sessions.get(a1) is None and sessions.get(a2) is not None
    sessions.revoke("not a cookie")  # harmless
    assert sessions.revoke_subject("did:example:alice") == 1
    assert sessions.get(a2) is None and sessions.get(b).subject == "did:example:bob"


def test_a_subject_is_required(store):
    with pytest.raises(ValueError):
        SessionStore(store).create("")
