"""The SQLite workflow store: optimistic updates, listing, and surviving a reopen."""

from __future__ import annotations

import pytest

from controllers.workflow import StaleVersion, WorkflowExists, WorkflowStore


def test_put_get_update_and_reopen(tmp_path):
    path = tmp_path / "wf" / "controller.db"
    with WorkflowStore(path) as store:
        rec = store.put("consent", "c-1", "proposed", {"cred_ex_id": "cx-1"})
        assert rec.version == 1
        rec = store.update("consent", "c-1", expected_version=1, state="approved")
        assert (rec.state, rec.version, rec.data) == ("approved", 2, {"cred_ex_id": "cx-1"})
        store.put("consent", "c-2", "proposed")
        store.put("onboarding", "o-1", "invited")
    # A restarted controller sees every workflow where it was.
    with WorkflowStore(path) as store:
        again = store.get("consent", "c-1")
        assert again is not None and (again.state, again.version, again.data["cred_ex_id"]) == ("approved", 2, "cx-1")
        assert [r.key for r in store.list("consent", states=["proposed"])] == ["c-2"]
        assert {r.kind for r in store.list()} == {"consent", "onboarding"}
        assert store.list("consent", states=[]) == []
        assert store.get("consent", "nope") is None
        assert store.delete("consent", "c-2") and not store.delete("consent", "c-2")


def test_concurrent_writers_cannot_lose_updates(tmp_path):
    path = tmp_path / "wf.db"
    a, b = WorkflowStore(path), WorkflowStore(path)
    try:
        a.put("exchange", "x", "offer-sent")
        seen_by_b = b.get("exchange", "x")
        a.update("exchange", "x", expected_version=1, state="request-received")
        with pytest.raises(StaleVersion, match="expected version 1, it is at version 2"):
            b.update("exchange", "x", expected_version=seen_by_b.version, state="abandoned")
        assert b.get("exchange", "x").state == "request-received"
        with pytest.raises(WorkflowExists):
            b.put("exchange", "x", "offer-sent")
        with pytest.raises(StaleVersion, match="is gone"):
            b.update("exchange", "missing", expected_version=1, state="done")
    finally:
        a.close()
        b.close()


def test_bad_input_is_named(tmp_path):
    with WorkflowStore(tmp_path / "wf.db") as store:
        with pytest.raises(ValueError, match="workflow state must be a non-empty string"):
            store.put("k", "x", "")
        with pytest.raises(ValueError, match="JSON-serialisable"):
            store.put("k", "y", "s", {"when": object()})
        assert store.get("k", "y") is None
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_put_if_absent_creates_once_and_keeps_the_first(tmp_path):
    with WorkflowStore(tmp_path / "wf.db") as store:
        first, created = store.put_if_absent("account", "a-1", "unbound", {"sub": "s-1"}, refs=["s-1"])
        assert created and first.version == 1
        again, created = store.put_if_absent("account", "a-1", "unbound", {"sub": "s-2"}, refs=["s-2"])
        # The second call writes nothing, its reference included.
        assert not created and again.data == {"sub": "s-1"} and again.version == 1
        assert store.find("account", "s-1").key == "a-1" and store.find("account", "s-2") is None
        with pytest.raises(WorkflowExists):
            store.put("account", "a-1", "unbound")
