"""One wallet per customer: each customer who signs up gets a sub-wallet of the customer agent with
its own DID and bill key; the utility binds each account to its owner's DID; a signed-in customer
sees and acts on its own wallet only; and a restart keeps every wallet."""

from __future__ import annotations

import asyncio
import time

from controllers.customer.host import ACTIVE_SECONDS, IDLE_PER_SWEEP, HostConfig, WalletHost
from emissions.stack.wallet_client import WalletSignInError, open_wallet_session
from testkit.consent_stack import CUSTOMER, OPERATOR_KEY, PASSWORD, UTILITY_ID, Stack, eventually

import pytest


async def _onboard_through_the_api(stack: Stack, http, account: str) -> None:
    async with stack.http.post(f"{stack.urls['utility']}/admin/onboardings", json={"account": account, "service_point": "SP-9"},
                               headers={"X-Operator-Key": OPERATOR_KEY}) as resp:
        assert resp.status == 201, await resp.text()
        invitation = (await resp.json())["invitation"]
    async with http.post(f"{stack.urls['customer']}/api/invitations", json={"invitation": invitation}) as resp:
        assert resp.status == 201, await resp.text()

    async def held():
        async with http.get(f"{stack.urls['customer']}/api/credentials") as resp:
            return [c for c in await resp.json() if c["credentialSubject"].get("accountId") == account]

    await eventually(held, what="the account credential in the wallet")


async def test_each_customer_has_its_own_wallet_did_and_key_and_sees_only_its_own(stack: Stack):
    stack.private_values.update({"ACCT-7001", "ACCT-7002"})
    bob_http = await open_wallet_session(stack.urls["customer"], "bob", "another long password", create=True)
    try:
        bob = await stack.host.wallet("bob")
        alice = stack.customer
        assert alice.did != bob.did and alice.did.startswith("did:key:") and bob.did.startswith("did:key:")
        assert alice.key.public_multibase != bob.key.public_multibase  # the bill key is per customer

        await stack.onboard("ACCT-7001")  # alice's
        await _onboard_through_the_api(stack, bob_http, "ACCT-7002")
        assert await alice._held_accounts() == {(UTILITY_ID, "ACCT-7001")}
        assert await bob._held_accounts() == {(UTILITY_ID, "ACCT-7002")}  # bound to bob's own DID

        audit_id = await stack.start_audit(account="ACCT-7001")
        alices_request = await stack.pending_consent(audit_id)
        wallet = stack.urls["customer"]
        async with bob_http.get(f"{wallet}/api/consents") as resp:
            assert resp.status == 200 and await resp.json() == []
        async with bob_http.get(f"{wallet}/consents/{alices_request}") as resp:
            assert resp.status == 404 and "no such consent request" in await resp.text()
        async with bob_http.post(f"{wallet}/api/consents/{alices_request}/approve") as resp:
            assert resp.status == 404 and "error" in await resp.json()
        assert alice.consent(alices_request).state == "pending"
        async with bob_http.get(f"{wallet}/api/credentials") as resp:
            assert {c["credentialSubject"].get("accountId") for c in await resp.json()} == {"ACCT-7002"}
    finally:
        await bob_http.close()


async def test_customers_signing_up_at_once_get_their_wallets_one_creation_at_a_time(stack: Stack):
    # ACA-Py opens the shared tenants store lazily on the first creation, unguarded; overlapping
    # creations once failed "Error opening store". The host orders them; the signups still overlap.
    agent, in_flight, most = stack.host.agent, 0, 0
    create = agent.create_tenant

    async def recorded(label: str):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return await create(label)
        finally:
            in_flight -= 1

    agent.create_tenant = recorded  # type: ignore[method-assign]
    try:
        names = await asyncio.gather(*(stack.host.signup(f"at-once-{n}", "a long enough password") for n in range(3)))
    finally:
        del agent.create_tenant
    wallets = [stack.host.directory.get(name).wallet_id for name in names]
    assert most == 1 and len(set(wallets)) == 3 and all(wallets)
    dids = {(await stack.host.wallet(name)).did for name in names}
    assert len(dids) == 3


async def test_the_wallet_needs_a_session_and_the_right_password(stack: Stack):
    wallet = stack.urls["customer"]
    async with stack.http.get(f"{wallet}/api/credentials") as resp:
        assert resp.status == 401 and (await resp.json())["error"]
    async with stack.http.get(f"{wallet}/credentials", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"].startswith("/signin")
    with pytest.raises(WalletSignInError, match="401"):
        await open_wallet_session(wallet, CUSTOMER, "not the password")
    with pytest.raises(WalletSignInError, match="taken"):
        await open_wallet_session(wallet, CUSTOMER, PASSWORD, create=True)


async def test_wallets_and_sessions_survive_a_restart_of_the_customer_service(stack: Stack):
    stack.private_values.add("ACCT-7003")
    await stack.onboard("ACCT-7003")
    did = stack.customer.did
    await stack.restart_customer()
    assert isinstance(stack.host, WalletHost) and stack.customer.did == did
    assert await stack.customer._held_accounts() == {(UTILITY_ID, "ACCT-7003")}
    async with stack.wallet_http.get(f"{stack.urls['customer']}/api/credentials") as resp:
        assert resp.status == 200  # the session from before the restart still holds
        assert [c["credentialSubject"]["accountId"] for c in await resp.json()] == ["ACCT-7003"]


def test_sweeps_look_at_busy_wallets_every_time_and_at_idle_ones_in_turn(tmp_path):
    host = WalletHost(HostConfig(tmp_path), agent=None)  # type: ignore[arg-type]  (no agent is reached)
    try:
        host._wallets = {f"c{n}": object() for n in range(10)}  # type: ignore[assignment]
        host._touched = {"c3": time.monotonic(), "c7": time.monotonic() - ACTIVE_SECONDS - 1}
        rounds = [host.sweep_due() for _ in range(3)]
        assert all(r[0] == "c3" and len(r) == 1 + IDLE_PER_SWEEP for r in rounds)
        idle_seen = [u for r in rounds for u in r[1:]]
        assert len(set(idle_seen)) == 9  # every idle wallet within three sweeps
        assert "c7" in idle_seen and "c3" not in idle_seen
    finally:
        host._wallets = {}
        host.close()


async def test_one_wallet_whose_sweep_fails_does_not_stop_the_others(tmp_path, caplog):
    class Wallet:
        def __init__(self, fails: bool) -> None:
            self.fails, self.swept = fails, 0

        async def sweep(self) -> None:
            self.swept += 1
            if self.fails:
                raise AttributeError("'list' object has no attribute 'get'")  # a malformed record

    host = WalletHost(HostConfig(tmp_path), agent=None)  # type: ignore[arg-type]
    try:
        host._wallets = {"a": Wallet(True), "b": Wallet(False)}  # type: ignore[dict-item]
        host._touched = {"a": time.monotonic(), "b": time.monotonic()}
        await host.sweep()
        assert host._wallets["b"].swept == 1 and "a wallet's sweep failed" in caplog.text
    finally:
        host._wallets = {}
        host.close()
