"""The utility's and the wallet's stores over the WorkflowStore, without agents: a restart keeps
every record, a stale update fails instead of overwriting, lookups by the agents' ids work."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from controllers.consent.tokens import AccessToken
from controllers.customer.store import CustomerStore
from controllers.utility.store import AccountRecord, UtilityStore
from controllers.workflow import LegacyStore, StaleVersion, WorkflowStore, WorkflowStoreError

from credentials import Period

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
PROPOSAL = {"type": ["VerifiableCredential", "DataAccessConsentCredential"], "credentialSubject": {"id": "did:key:x"}}


def _token(digest: str = "d" * 64) -> AccessToken:
    return AccessToken(digest=digest, consent_id="urn:uuid:c-1", utility_id="14328", account="ACCT-1",
                       period=Period(date(2024, 1, 1), date(2024, 3, 31)), scope=frozenset({"usage", "bill"}),
                       expires=NOW + timedelta(minutes=15))


def test_utility_records_survive_a_restart(tmp_path):
    path = tmp_path / "utility" / "utility.sqlite3"
    store = UtilityStore(path)
    account = store.add_account("ACCT-1", "SP-1")
    assert store.add_account("ACCT-1", "SP-other") == account  # first sight only: same subscription id
    store.bind("ACCT-1", DID)
    onboarding = store.add_onboarding("o-1", "ACCT-1", "inv-1")
    onboarding = store.update_onboarding(onboarding, connection_id="conn-1", state="connected")
    store.update_onboarding(onboarding, cred_ex_id="cx-1", state="offered")
    store.add_onboarding("o-2", "ACCT-1", "inv-2")
    store.save_token(_token())
    store.revoke("urn:uuid:c-1", NOW)
    store.revoke("urn:uuid:c-1", NOW + timedelta(days=1))  # repeated: the first stands
    store.set_meta("did", "did:key:utility")
    store.close()

    store = UtilityStore(path)
    try:
        assert store.account("ACCT-1") == AccountRecord("ACCT-1", "SP-1", account.subscription_id, DID)
        assert store.account_by_subscription(account.subscription_id).account == "ACCT-1"
        assert store.bound_did("ACCT-1") == DID and store.bound_did("ACCT-2") is None
        for where in ({"onboarding_id": "o-1"}, {"invitation_msg_id": "inv-1"}, {"connection_id": "conn-1"},
                      {"cred_ex_id": "cx-1"}):
            found = store.onboarding(**where)
            assert (found.onboarding_id, found.state, found.account) == ("o-1", "offered", "ACCT-1"), where
        assert [o.onboarding_id for o in store.onboardings_in_state("connected", "offered")] == ["o-1"]
        assert [o.onboarding_id for o in store.onboardings_in_state("invited")] == ["o-2"]
        assert store.token("d" * 64) == _token() and store.token("e" * 64) is None
        assert store.is_revoked("urn:uuid:c-1") and not store.is_revoked("urn:uuid:c-2")
        assert store.workflows.get("revocation", "urn:uuid:c-1").data["revoked_at"] == NOW.isoformat()
        assert store.get_meta("did") == "did:key:utility" and store.get_meta("feed_key") is None
    finally:
        store.close()


def test_onboarding_lookups_are_by_the_id_named(tmp_path):
    with WorkflowStore(tmp_path / "u.sqlite3") as workflows:
        store = UtilityStore(workflows)
        store.add_account("ACCT-1", "SP-1")
        store.add_onboarding("o-1", "ACCT-1", "inv-1")
        # An id of one kind does not find the onboarding as another kind of id.
        assert store.onboarding(connection_id="inv-1") is None and store.onboarding(cred_ex_id="inv-1") is None
        assert store.onboarding(invitation_msg_id="nope") is None and store.account_by_subscription("nope") is None
        with pytest.raises(ValueError, match="cannot look onboardings up by account"):
            store.onboarding(account="ACCT-1")
        with pytest.raises(LookupError, match="no such account"):
            store.bind("ACCT-2", DID)
        store.close()  # lent, not owned: the WorkflowStore stays open
        assert workflows.get("onboarding", "o-1").state == "invited"


def test_stale_onboarding_update_fails_instead_of_overwriting(tmp_path):
    path = tmp_path / "utility.sqlite3"
    first, second = UtilityStore(path), UtilityStore(path)  # two handlers, as after a restart race
    try:
        first.add_account("ACCT-1", "SP-1")
        first.add_onboarding("o-1", "ACCT-1", "inv-1")
        seen_by_first = first.onboarding(invitation_msg_id="inv-1")
        seen_by_second = second.onboarding(invitation_msg_id="inv-1")
        first.update_onboarding(seen_by_first, connection_id="conn-1", state="connected")
        with pytest.raises(StaleVersion, match="expected version 1, it is at version 2"):
            second.update_onboarding(seen_by_second, state="failed", reason="late")
        now = second.onboarding(onboarding_id="o-1")
        assert (now.state, now.connection_id, now.reason) == ("connected", "conn-1", None)
    finally:
        first.close()
        second.close()


def test_an_account_number_never_names_a_record_in_an_error(tmp_path):
    store = UtilityStore(tmp_path / "utility.sqlite3")
    try:
        account = store.add_account("ACCT-9", "SP-9")
        assert account.subscription_id != "ACCT-9" and store.account("ACCT-9") == account
        with pytest.raises(WorkflowStoreError) as clash:  # what a second writer adding it meets
            store.workflows.put("account", "another", "unbound", {"account": "ACCT-9", "service_point": "SP-9"},
                                refs=["ACCT-9"])
        assert "ACCT-9" not in str(clash.value) and account.subscription_id in str(clash.value)
        store.bind("ACCT-9", "did:key:z6MkHolder")
        assert store.bound_did("ACCT-9") == "did:key:z6MkHolder"
    finally:
        store.close()


def test_consents_survive_a_restart_and_are_approved_once(tmp_path):
    path = tmp_path / "customer" / "wallet.sqlite3"
    store = CustomerStore(path)
    assert store.add_request("cx-1", "conn-1", PROPOSAL)
    assert not store.add_request("cx-1", "conn-1", {"other": True})  # a repeated webhook
    assert store.add_request("cx-2", None, PROPOSAL)
    pending = store.get("cx-1")
    approved = store.update(pending, state="approved", consent_id="urn:uuid:c-1")
    # A second approval of the request as it was first read (a double click) fails.
    with pytest.raises(StaleVersion):
        store.update(pending, state="approved", consent_id="urn:uuid:c-other")
    store.update(approved, state="issued", credential={"id": "urn:uuid:c-1"})
    store.set_meta("did", "did:key:customer")
    store.close()

    store = CustomerStore(path)
    try:
        issued = store.by_consent_id("urn:uuid:c-1")
        assert (issued.cred_ex_id, issued.state, issued.connection_id) == ("cx-1", "issued", "conn-1")
        assert issued.proposal == PROPOSAL and issued.credential == {"id": "urn:uuid:c-1"}
        assert store.by_consent_id("urn:uuid:c-other") is None and store.get("cx-9") is None
        assert [r.cred_ex_id for r in store.all()] == ["cx-1", "cx-2"]
        assert [r.cred_ex_id for r in store.all("pending", "declined")] == ["cx-2"]
        assert store.get_meta("did") == "did:key:customer"
        with pytest.raises(ValueError, match="consent fields are"):
            store.update(issued, proposal={})
    finally:
        store.close()


def test_an_approval_taken_back_is_not_found_by_its_consent_id(tmp_path):
    store = CustomerStore(tmp_path / "wallet.sqlite3")
    try:
        store.add_request("cx-1", "conn-1", PROPOSAL)
        approved = store.update(store.get("cx-1"), state="approved", consent_id="urn:uuid:c-1")
        assert store.by_consent_id("urn:uuid:c-1").state == "approved"
        store.update(approved, state="pending", consent_id=None)  # the offer never went out
        assert store.by_consent_id("urn:uuid:c-1") is None and store.get("cx-1").state == "pending"
    finally:
        store.close()


def test_meta_is_overwritten_and_kept(tmp_path):
    path = tmp_path / "utility.sqlite3"
    store = UtilityStore(path)
    store.set_meta("did", "did:key:one")
    store.set_meta("did", "did:key:one")  # unchanged: no new version
    assert store.workflows.get("meta", "did").version == 1
    store.set_meta("did", "did:key:two")
    store.close()
    store = UtilityStore(path)
    try:
        assert store.get_meta("did") == "did:key:two"
    finally:
        store.close()


def test_a_file_of_the_old_layout_is_refused_not_silently_forgotten(tmp_path):
    for name, table, store in (("utility.sqlite3", "accounts (account TEXT PRIMARY KEY)", UtilityStore),
                               ("wallet.sqlite3", "consents (cred_ex_id TEXT PRIMARY KEY)", CustomerStore)):
        with contextlib.closing(sqlite3.connect(tmp_path / name)) as old:
            old.executescript(f"CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
                              f"CREATE TABLE {table};"
                              "INSERT INTO meta VALUES ('did', 'did:key:old');")
        with pytest.raises(LegacyStore, match=f"{name} was written by an older version"):
            store(tmp_path / name)
    fresh = UtilityStore(tmp_path / "new.sqlite3")  # and a new file is no legacy one
    fresh.close()
    UtilityStore(tmp_path / "new.sqlite3").close()


def test_wallets_sharing_one_store_see_only_their_own_records(tmp_path):
    with WorkflowStore(tmp_path / "customers.sqlite3") as shared:
        alice, bob = CustomerStore(shared, scope="wallet-a"), CustomerStore(shared, scope="wallet-b")
        alice.add_request("cx-1", "conn-1", PROPOSAL)
        alice.update(alice.get("cx-1"), state="approved", consent_id="urn:uuid:c-1")
        alice.set_meta("did", "did:key:alice")
        bob.set_meta("did", "did:key:bob")
        assert bob.get("cx-1") is None and bob.all() == [] and bob.by_consent_id("urn:uuid:c-1") is None
        assert [r.cred_ex_id for r in alice.all()] == ["cx-1"] and alice.by_consent_id("urn:uuid:c-1") is not None
        assert (alice.get_meta("did"), bob.get_meta("did")) == ("did:key:alice", "did:key:bob")
        alice.close()  # a shared store stays open for the others
        assert bob.get_meta("did") == "did:key:bob"
        with pytest.raises(ValueError, match="scope"):
            CustomerStore(shared, scope="a:b")
