"""The consent flow end to end with the four real ACA-Py agents and the three controllers.

Each rejection is checked for its reason; every test also checks that no account number,
customer DID or kWh figure reached a log line (controllers, aiohttp access logs, agent logs).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controllers.auditor.flow import UtilityRefused
from controllers.consent import ConsentTerms, consent_credential, parse_consent
from controllers.consent import vocabulary as v
from tests.consent.stack import PERIOD, UTILITY_ID, Stack, eventually


@contextlib.asynccontextmanager
async def running_stack(agent_network, tmp_path, caplog, **options) -> AsyncIterator[Stack]:
    caplog.set_level(logging.DEBUG)
    s = await Stack.start(agent_network, tmp_path, **options)
    try:
        yield s
    finally:
        await s.stop()
        _assert_no_personal_data(s, caplog)


@pytest.fixture
async def stack(agent_network, tmp_path, caplog):
    async with running_stack(agent_network, tmp_path, caplog) as s:
        yield s


@pytest.fixture
async def sweeping_stack(agent_network, tmp_path, caplog):
    """An auditor whose app sweeps often and gives an agent step one second."""
    options = {"exchange_timeout": 1.0, "sweep_interval": 0.2}
    async with running_stack(agent_network, tmp_path, caplog, auditor_options=options) as s:
        yield s


def _assert_no_personal_data(s: Stack, caplog) -> None:
    secrets = {s.customer.did, *s.private_values}
    for result in s.auditor.results.values():
        secrets |= {str(p.kwh) for p in result.usage}
    lines = [r.getMessage() for r in caplog.records]
    for spec in s.network.specs.values():
        lines += Path(spec.log_path).read_text(errors="replace").splitlines()
    leaks = [(value, line) for line in lines for value in secrets if value and value in line]
    assert not leaks, f"personal data in logs: {leaks[:3]}"


ACCOUNT = "ACCT-7781"


async def consented(stack: Stack, account: str = ACCOUNT) -> str:
    stack.private_values.add(account)
    await stack.onboard(account)
    audit_id = await stack.start_audit()
    await stack.customer.approve(await stack.pending_consent(audit_id))
    audit = await stack.audit_state(audit_id, "fetched", "refused", "failed")
    assert audit.state == "fetched", audit.reason
    return audit_id


async def refusal(stack: Stack, consent: dict, *, signer_did: str | None = None) -> str:
    with pytest.raises(UtilityRefused) as err:
        await stack.auditor.token(consent, stack.urls["utility"])
    return str(err.value)


async def test_happy_path(stack: Stack):
    audit_id = await consented(stack)
    usage = stack.auditor.results[audit_id].usage
    assert len(usage) == 3 and all(p.kwh > 0 for p in usage)
    # The customer's pages show the issued consent; no account or DID appears in any URL.
    # The wallet learns of the issuance from its own agent's webhook, which may trail the auditor.
    record = await eventually(lambda: next(iter(stack.customer.consents("issued")), None), what="consent issued")
    async with stack.http.get(f"{stack.urls['customer']}/consents/{record.cred_ex_id}") as resp:
        assert resp.status == 200 and "Revoke" in await resp.text()


async def test_a_wallet_with_several_accounts_proves_the_one_the_audit_names(stack: Stack):
    first, second = "ACCT-5101", "ACCT-5102"
    stack.private_values.update({first, second})
    await stack.onboard(first, "SP-5101")
    await stack.onboard(second, "SP-5102")
    audit_id = await stack.start_audit(account=second)
    await stack.customer.approve(await stack.pending_consent(audit_id))
    audit = await stack.audit_state(audit_id, "fetched", "refused", "failed")
    assert audit.state == "fetched", audit.reason
    assert audit.account["account"] == second
    assert parse_consent(audit.consent).terms.account == second


async def test_consent_declined(stack: Stack):
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT)
    audit_id = await stack.start_audit()
    cred_ex_id = await stack.pending_consent(audit_id)
    async with stack.http.post(f"{stack.urls['customer']}/api/consents/{cred_ex_id}/decline") as resp:
        assert resp.status == 200 and (await resp.json())["state"] == "declined"
    audit = await stack.audit_state(audit_id, "declined", "failed")
    assert audit.state == "declined" and "declined by the customer" in audit.reason


async def test_consent_expired(stack: Stack):
    audit_id = await consented(stack)
    stack.utility.clock = lambda: datetime.now(UTC) + timedelta(days=31)
    assert await refusal(stack, stack.auditor.audit(audit_id).consent) == "consent expired"


async def _signed(stack: Stack, issuer: str, **changes) -> dict:
    """A consent like the real one but re-signed by `issuer` with `changes` to its terms."""
    audit = stack.auditor.audit(stack._last_audit)
    terms = parse_consent(audit.consent).terms
    values = {f: getattr(terms, f) for f in ConsentTerms.__dataclass_fields__}
    values.update(changes)
    draft = consent_credential(
        consent_id=f"urn:uuid:{uuid.uuid4()}", issuer=issuer, subject=stack.auditor.did,
        terms=ConsentTerms(**values), issued=datetime.now(UTC),
    )
    return await stack.customer.admin.vc_issue(draft)


async def test_consent_for_another_account(stack: Stack):
    stack._last_audit = await consented(stack)
    stack.private_values.add("ACCT-9999")
    stack.utility.store.add_account("ACCT-9999", "SP-9")
    stack.utility.store.bind("ACCT-9999", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    forged = await _signed(stack, stack.customer.did, account="ACCT-9999")
    assert await refusal(stack, forged) == "consent issuer is not the DID bound to this account"


async def test_consent_issued_by_a_did_that_does_not_hold_the_account(stack: Stack):
    stack._last_audit = await consented(stack)
    stranger = (await stack.customer.admin.create_did_key()).did
    stack.private_values.add(stranger)
    forged = await _signed(stack, stranger)
    assert await refusal(stack, forged) == "consent issuer is not the DID bound to this account"


async def test_presentation_replayed_with_an_old_challenge(stack: Stack):
    audit_id = await consented(stack)
    consent = stack.auditor.audit(audit_id).consent
    base = stack.urls["utility"]
    async with stack.http.get(f"{base}/consent/challenge") as resp:
        challenge = (await resp.json())["challenge"]
    vp = await stack.auditor.admin.vc_present(stack.auditor.did, [consent], challenge=challenge)
    assert "access_token" in await stack.auditor.present(vp, base)
    with pytest.raises(UtilityRefused, match="challenge already used"):
        await stack.auditor.present(vp, base)


async def test_consent_revoked(stack: Stack):
    audit_id = await consented(stack)
    consent = stack.auditor.audit(audit_id).consent
    token = await stack.auditor.token(consent, stack.urls["utility"])  # granted before revocation
    # The wallet learns of the issuance from its own agent's webhook, which may trail the auditor.
    record = await eventually(lambda: next(iter(stack.customer.consents("issued")), None), what="consent issued")
    async with stack.http.post(f"{stack.urls['customer']}/api/consents/{record.cred_ex_id}/revoke") as resp:
        assert resp.status == 200 and (await resp.json())["state"] == "revoked"
    assert await refusal(stack, consent) == "consent revoked"
    async with stack.http.get(token["resourceURI"], headers={"Authorization": f"Bearer {token['access_token']}"}) as resp:
        assert resp.status == 403 and (await resp.json())["error"] == "consent revoked"


async def test_tampered_consent(stack: Stack):
    audit_id = await consented(stack)
    tampered = copy.deepcopy(stack.auditor.audit(audit_id).consent)
    tampered["credentialSubject"]["periodEnd"] = "2025-12-31"
    reason = await refusal(stack, tampered)
    assert reason.startswith("consent proof invalid")


async def test_token_used_outside_its_period_scope_or_account(stack: Stack):
    audit_id = await consented(stack)
    token = await stack.auditor.token(stack.auditor.audit(audit_id).consent, stack.urls["utility"])
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    url = token["resourceURI"]
    async with stack.http.get(url, params={"published-min": "2023-12-01", "published-max": "2024-02-01"}, headers=bearer) as resp:
        assert resp.status == 403 and "outside the consented period" in (await resp.json())["error"]
    summary = url.replace("/Batch/Subscription/", "/Subscription/") + "/UsagePoint/1/ElectricPowerUsageSummary"
    async with stack.http.get(summary, headers=bearer) as resp:
        assert resp.status == 403 and "outside the consented scope" in (await resp.json())["error"]
    other = stack.utility.store.add_account("ACCT-5555", "SP-5")
    stack.private_values.add("ACCT-5555")
    other_url = url.rsplit("/", 1)[0] + "/" + other.subscription_id
    async with stack.http.get(other_url, headers=bearer) as resp:
        assert resp.status == 403 and (await resp.json())["error"] == "access token does not cover this subscription"
    async with stack.http.get(url, params={"published-min": "2024-02-01", "published-max": "2024-03-01"}, headers=bearer) as resp:
        assert resp.status == 200 and b"IntervalBlock" in await resp.read()


async def test_agent_killed_and_restarted_mid_exchange(stack: Stack):
    """The customer's agent dies while a consent request waits for the person; the agent and the
    wallet controller restart; the request is still pending and the flow completes."""
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT)
    audit_id = await stack.start_audit()
    cred_ex_id = await stack.pending_consent(audit_id)
    network = stack.network
    await network.supervisor.down(["customer"])
    await network.supervisor.up({"customer": network.specs["customer"]})
    old_did = stack.customer.did
    await stack.restart_customer()
    restarted = stack.customer
    assert [r.cred_ex_id for r in restarted.consents("pending")] == [cred_ex_id]
    assert restarted.did == old_did
    await restarted.approve(cred_ex_id)
    audit = await stack.audit_state(audit_id, "fetched", "refused", "failed")
    assert audit.state == "fetched", audit.reason


async def test_silent_exchange_is_swept(sweeping_stack: Stack):
    """The customer's controller is gone: its agent takes the auditor's proof request and nobody
    answers, so no webhook ever comes. The auditor app's sweep timer fails the audit with a reason
    naming the exchange and abandons it, and the customer's agent is told why."""
    stack = sweeping_stack
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT)
    await stack.stop_controller("customer")
    audit_id = await stack.start_audit()
    audit = await stack.audit_state(audit_id, "failed", "fetched", "refused", "declined", timeout=20)
    assert audit.state == "failed" and audit.pres_ex_id
    assert audit.reason == (
        f"account proof timed out: present_proof_v2_0 exchange {audit.pres_ex_id} "
        "did not reach done within 1 s (last state: request-sent)"
    )
    ours = await stack.auditor.admin.presentation_exchange(audit.pres_ex_id)
    assert ours.state == "abandoned"

    async def told() -> bool:
        [theirs] = await stack.customer.admin.presentation_exchanges(thread_id=ours.thread_id)
        return theirs.state == "abandoned"

    await eventually(told, what="the customer's agent learning the request was abandoned")
    assert await stack.auditor.sweep() == []  # a failed audit is not swept twice
    assert stack.auditor.audit(audit_id).reason == audit.reason


async def test_sweep_takes_a_last_look_before_failing(stack: Stack):
    """A lost webhook is not a dead exchange: an audit that looks stale but whose exchange went on
    at the agent moves on instead of failing."""
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT)
    audit_id = await stack.start_audit()
    await stack.pending_consent(audit_id)  # the proof was done, the proposal is out
    proposing = stack.auditor.audit(audit_id)
    # Rewind the audit as if the "done" webhook of the account proof had never arrived.
    stack.auditor.store.update(audit_id, proposing.updated - 3600, state="proving", cred_ex_id=None)
    stale = stack.auditor.audit(audit_id)
    assert await stack.auditor.sweep(now=stale.updated + 61) == []
    resumed = stack.auditor.audit(audit_id)  # the last look found the proof done and proposed again
    assert resumed.state == "proposing" and resumed.cred_ex_id and resumed.reason is None
