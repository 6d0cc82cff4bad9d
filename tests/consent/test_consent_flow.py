"""The consent flow end to end with the four real ACA-Py agents and the three controllers.

Each rejection is checked for its reason; every test also checks that no account number,
customer DID or kWh figure reached a log line (controllers, aiohttp access logs, agent logs).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from controllers.auditor import UtilityRefused
from controllers.customer.wallet import WalletError
from credentials import ConsentTerms, consent_credential, parse_consent
from testkit.consent_stack import AUDITOR_KEY, OPERATOR_KEY, UTILITY_ID, Stack, eventually


ACCOUNT = "ACCT-7781"
DONE_OR_ENDED = ("done", "failed", "declined", "revoked", "expired")


async def consented(stack: Stack, account: str = ACCOUNT) -> str:
    """An audit run to its end: consent given, bills fetched and anchored, credentials stored."""
    stack.private_values.add(account)
    await stack.onboard(account)
    audit_id = await stack.start_audit()
    await stack.customer.approve(await stack.pending_consent(audit_id))
    audit = await stack.audit_state(audit_id, *DONE_OR_ENDED, timeout=60)
    assert audit.state == "done", audit.reason
    return audit_id


async def refusal(stack: Stack, consent: dict, *, signer_did: str | None = None) -> str:
    with pytest.raises(UtilityRefused) as err:
        await stack.auditor.utility.token(consent, stack.urls["utility"])
    return str(err.value)


async def test_happy_path(stack: Stack):
    audit_id = await consented(stack)
    periods = stack.auditor.audit(audit_id).periods
    assert len(periods) == 3 and all(float(p["kwh"]) > 0 and p["step"] == "stored" for p in periods)
    # "done" means the wallet stored every credential: they are there now, one per billing period.
    held = [c for c in await stack.customer.held_credentials()
            if c["credentialSubject"].get("accountId") == ACCOUNT and "UtilityEmissionsCredential" in c["type"]]
    assert sorted(c["credentialSubject"]["periodStart"] for c in held) == ["2024-01-01", "2024-02-01", "2024-03-01"]
    # The customer's pages show the issued consent; no account or DID appears in any URL.
    # The wallet learns of the issuance from its own agent's webhook, which may trail the auditor.
    record = await eventually(lambda: next(iter(stack.customer.consents("issued")), None), what="consent issued")
    async with stack.wallet_http.get(f"{stack.urls['customer']}/consents/{record.cred_ex_id}") as resp:
        assert resp.status == 200 and "Revoke" in await resp.text()


async def test_a_wallet_with_several_accounts_proves_the_one_the_audit_names(stack: Stack):
    first, second = "ACCT-5101", "ACCT-5102"
    stack.private_values.update({first, second})
    await stack.onboard(first, "SP-5101")
    await stack.onboard(second, "SP-5102")
    audit_id = await stack.start_audit(account=second)
    await stack.customer.approve(await stack.pending_consent(audit_id))
    audit = await stack.audit_state(audit_id, *DONE_OR_ENDED, timeout=60)
    assert audit.state == "done", audit.reason
    assert audit.account["account"] == second
    assert parse_consent(audit.consent).terms.account == second


async def test_consent_declined(stack: Stack):
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT)
    audit_id = await stack.start_audit()
    cred_ex_id = await stack.pending_consent(audit_id)
    async with stack.wallet_http.post(f"{stack.urls['customer']}/api/consents/{cred_ex_id}/decline") as resp:
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
    assert "access_token" in await stack.auditor.utility.present(vp, base)
    with pytest.raises(UtilityRefused, match="challenge already used"):
        await stack.auditor.utility.present(vp, base)


async def test_consent_revoked(stack: Stack):
    audit_id = await consented(stack)
    consent = stack.auditor.audit(audit_id).consent
    token = await stack.auditor.utility.token(consent, stack.urls["utility"])  # granted before revocation
    # The wallet learns of the issuance from its own agent's webhook, which may trail the auditor.
    record = await eventually(lambda: next(iter(stack.customer.consents("issued")), None), what="consent issued")
    async with stack.wallet_http.post(f"{stack.urls['customer']}/api/consents/{record.cred_ex_id}/revoke") as resp:
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
    token = await stack.auditor.utility.token(stack.auditor.audit(audit_id).consent, stack.urls["utility"])
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
    audit = await stack.audit_state(audit_id, *DONE_OR_ENDED, timeout=60)
    assert audit.state == "done", audit.reason


async def test_an_approval_whose_offer_never_went_out_is_asked_again(stack: Stack):
    """The wallet recorded the person's approval, then died before its offer went out: restarted,
    it puts the request back before the person instead of leaving it approved forever."""
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT)
    audit_id = await stack.start_audit()
    cred_ex_id = await stack.pending_consent(audit_id)
    stack.customer.store.update(stack.customer.consent(cred_ex_id), state="approved", consent_id="urn:uuid:lost")
    await stack.restart_customer()
    assert stack.customer.consent(cred_ex_id).state == "pending"
    await stack.customer.approve(cred_ex_id)
    with pytest.raises(WalletError, match="not pending"):
        await stack.customer.approve(cred_ex_id)  # a second click answers nothing twice
    audit = await stack.audit_state(audit_id, *DONE_OR_ENDED, timeout=60)
    assert audit.state == "done", audit.reason


async def test_silent_exchange_is_swept(sweeping_stack: Stack):
    """The customer's controller is gone: its agent takes the auditor's proof request and nobody
    answers, so no webhook ever comes. The auditor app's sweep timer fails the audit with a reason
    naming the exchange and abandons it, and the customer's agent is told why."""
    stack = sweeping_stack
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT)
    await stack.stop_controller("customer")
    audit_id = await stack.start_audit()
    audit = await stack.audit_state(audit_id, *DONE_OR_ENDED, timeout=20)
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
    rewound = {k: v for k, v in proposing.data.items() if k not in {"cred_ex_id", "account", "proposal_id"}}
    stack.auditor.book.store.update("audit", audit_id, expected_version=proposing.version, state="connected",
                                    data=rewound)
    stale = stack.auditor.audit(audit_id)
    assert await stack.auditor.sweep(now=stale.updated + 61) == []
    resumed = stack.auditor.audit(audit_id)  # the last look found the proof done and proposed again
    assert resumed.state == "consent proposed" and resumed.cred_ex_id not in {None, proposing.cred_ex_id}
    assert resumed.reason is None


async def test_an_offer_seen_by_a_webhook_and_a_sweep_at_once_is_answered_once(stack: Stack):
    """The utility's account offer reaches the wallet; its webhook handler and its sweep look at the
    same exchange at the same moment. One request goes out, and the credential is stored."""
    stack.private_values.add(ACCOUNT)
    await stack.stop_controller("customer")  # no webhook handler: the test plays both callers
    async with stack.http.post(f"{stack.urls['utility']}/admin/onboardings",
                               json={"account": ACCOUNT, "service_point": "SP-1"},
                               headers={"X-Operator-Key": OPERATOR_KEY}) as resp:
        created = await resp.json()
    await stack.customer.accept_invitation(created["invitation"], "Utility")

    async def offered():
        waiting = await stack.customer.admin.credential_exchanges(role="holder", state="offer-received")
        return waiting[0].cred_ex_id if waiting else None

    cred_ex_id = await eventually(offered, what="the account offer at the wallet's agent")
    await asyncio.gather(stack.customer._on_credential(cred_ex_id), stack.customer.sweep())

    async def held():
        return (UTILITY_ID, ACCOUNT) in await stack.customer._held_accounts()

    await eventually(held, what="the account credential stored")


async def test_operator_api_lists_refetches_and_guards_the_audits(stack: Stack):
    # Imported here: the rest of this module needs none of them.
    import json
    import re
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    import aiohttp

    from controllers.acapy.invitation_url import invitation_url
    from controllers.customer.invitations import parse_invitation

    audit_id = await consented(stack)
    api, key = f"{stack.urls['auditor']}/api/audits", {"X-Operator-Key": AUDITOR_KEY}
    async with stack.http.get(api) as resp:
        assert resp.status == 401 and (await resp.json())["error"]  # neither key nor session
    async with stack.http.get(api, headers={"X-Operator-Key": "wrong"}) as resp:
        assert resp.status == 401 and (await resp.json())["error"] == "operator key missing or wrong"
    async with stack.http.get(api, headers=key) as resp:
        [listed] = await resp.json()
    assert listed["audit_id"] == audit_id and listed["state"] == "done"
    assert [p["step"] for p in listed["periods"]] == ["stored"] * 3
    assert stack.customer.did not in str(listed) and ACCOUNT not in str(listed)
    async with stack.http.post(f"{api}/{audit_id}/retry", headers=key) as resp:
        assert resp.status == 409 and "only a failed audit" in (await resp.json())["error"]
    # Fetching again under the same consent finds no new billing period: nothing is anchored twice.
    async with stack.http.post(f"{api}/{audit_id}/fetch", headers=key) as resp:
        assert resp.status == 200, await resp.text()
    audit = await stack.audit_state(audit_id, *DONE_OR_ENDED)
    assert audit.state == "done" and len(audit.periods) == 3 and len(audit.data["bills"]) == 2
    found = await stack.auditor.issuer.ledger.client.query_records(
        int(UTILITY_ID), datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
    assert len(found["records"]) == 3
    async with stack.http.get(f"{api}?state=nonsense", headers=key) as resp:
        assert resp.status == 400

    # The pages: the operator signs in ("operator", the key as password) and gets a session.
    base = stack.urls["auditor"]
    page = f"{base}/audits"
    async with stack.http.get(page, allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"].startswith("/signin")
    # unsafe=True: the auditor is on a loopback IP address, whose cookies aiohttp drops otherwise.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as operator:
        async with operator.post(f"{base}/signin", data={"username": "operator", "password": "not the key"},
                                 allow_redirects=False) as resp:
            assert resp.status == 401
        async with operator.post(f"{base}/signin", data={"username": "operator", "password": AUDITOR_KEY},
                                 allow_redirects=False) as resp:
            assert resp.status == 303
        async with operator.get(f"{base}/api/session") as resp:
            csrf = (await resp.json())["csrf_token"]
        async with operator.get(page) as resp:
            text = await resp.text()
            assert resp.status == 200 and audit_id[:8] in text and "3 of 3 credentials stored" in text
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        retry = f"{base}/audits/{audit_id}/retry"
        async with operator.post(retry, data={"csrf_token": csrf}, allow_redirects=False,
                                 headers={"Origin": "http://evil.example"}) as resp:
            assert resp.status == 403  # a form posted from another site is refused
        async with operator.post(retry, data={}, allow_redirects=False) as resp:
            assert resp.status == 403  # and so is one without the page's CSRF token

        # A new audit from the page: the invitation as a link, a text to copy and a QR code.
        fields = {"period_start": "2024-01-01", "period_end": "2024-03-31", "purpose": "Scope 2 audit",
                  "consent_days": "30"}
        async with operator.post(f"{base}/audits/new", data=fields, allow_redirects=False) as resp:
            assert resp.status == 403
        async with operator.post(f"{base}/audits/new", data={**fields, "csrf_token": csrf}) as resp:
            text = await resp.text()
            assert resp.status == 200, text
        assert "<svg" in text
        url = unescape(re.search(r'<textarea id="invitation-url" readonly[^>]*>([^<]*)</textarea>', text).group(1))
        oob = parse_qs(urlsplit(url).query)["oob"][0]
        invitation = json.loads(base64.urlsafe_b64decode(oob + "=" * (-len(oob) % 4)))
        assert "invitation" in invitation["@type"] and f'href="{url}"' in text
        # The link starts as the auditor's agent starts its own invitation links.
        own = await stack.auditor.admin.create_invitation(auto_accept=True)
        assert invitation_url(own.invitation).split("?oob=")[0] == own.invitation_url.split("?oob=")[0]
        [started] = [a for a in stack.auditor.audits() if a.audit_id != audit_id]
        assert started.state == "requested" and f"/audits/{started.audit_id}" in text
        # The customer's wallet takes the link as pasted, and connects.
        await stack.customer.accept_invitation(parse_invitation(url), "Auditor")
        await eventually(lambda: stack.auditor.audit(started.audit_id).state != "requested",
                         what="the wallet connected through the page's invitation")
        async with operator.get(f"{base}/audits/{started.audit_id}") as resp:
            assert resp.status == 200 and started.audit_id in await resp.text()


async def test_a_form_on_another_site_cannot_approve_a_consent(stack: Stack):
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT)
    audit_id = await stack.start_audit()
    cred_ex_id = await stack.pending_consent(audit_id)
    wallet = stack.urls["customer"]
    # The person is signed in (the session cookie goes along): the other site's page still cannot act.
    async with stack.wallet_http.post(f"{wallet}/consents/{cred_ex_id}/approve", allow_redirects=False,
                                      headers={"Origin": "http://evil.example"}) as resp:
        assert resp.status == 403
    async with stack.wallet_http.post(f"{wallet}/consents/{cred_ex_id}/approve", allow_redirects=False,
                                      headers={"Origin": wallet, "X-CSRF-Token": "not-the-token"}) as resp:
        assert resp.status == 403  # nor a form that lacks the page's CSRF token
    assert stack.customer.consent(cred_ex_id).state == "pending"
    async with stack.wallet_http.post(f"{wallet}/consents/{cred_ex_id}/approve", allow_redirects=False,
                                      headers={"Origin": wallet}) as resp:
        assert resp.status == 303  # from the wallet's own page, with its token, it goes through
    audit = await stack.audit_state(audit_id, *DONE_OR_ENDED, timeout=60)
    assert audit.state == "done", audit.reason
