"""A stock Credo-ts wallet is the customer, end to end, with the real services and agents.

The wallet (testkit/credo: a headless Credo 0.5 holder) is onboarded by the utility, proves its
account to the auditor, issues the auditor its consent itself, receives its emissions credentials,
opens its bill with its own key-agreement key, presents to the verifier, who checks every
credential against the ledger, and finally withdraws its consent with a presentation it signs. Nothing of the project's customer service takes part: the person's
decisions are the calls this test makes to the wallet.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from controllers.acapy.invitation_url import invitation_url
from controllers.auditor import AuditRequest
from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.request import await_verdicts, request_credential
from controllers.verifier.verdict import VERIFIED
from credentials import Period
from credentials import vocabulary as v
from custody import LocalContentStore
from testkit.consent_stack import OPERATOR_KEY, Stack, eventually
from testkit.credo_holder import CredoHolder, require_credo

pytestmark = pytest.mark.slow

YEAR = Period(date(2024, 1, 1), date(2024, 12, 31))  # twelve monthly bills


@pytest.fixture(autouse=True)
def _credo_available():
    require_credo()


async def _onboard(stack: Stack, wallet: CredoHolder, account: str) -> dict[str, Any]:
    async with stack.http.post(f"{stack.urls['utility']}/admin/onboardings",
                               json={"account": account, "service_point": f"SP-{account}"},
                               headers={"X-Operator-Key": OPERATOR_KEY}) as resp:
        assert resp.status == 201, await resp.text()
        created = await resp.json()
    await wallet.receive_invitation(invitation_url(created["invitation"]))

    async def held():
        return next((c for c in await wallet.credentials() if v.ACCOUNT_TYPE in c["type"]), None)

    return await eventually(held, timeout=60, what="the account credential in the Credo wallet")


async def _answer(wallet: CredoHolder, list_pending, accept, what: str) -> Any:
    """The person approves the one pending request the wallet shows."""
    pending = await eventually(list_pending, timeout=60, what=what)
    assert len(pending) == 1, pending
    return await accept(pending[0]["id"])


async def _journey(stack: Stack, wallet: CredoHolder, account: str, verifier_admin, hooks) -> None:
    account_credential = await _onboard(stack, wallet, account)
    customer_did = account_credential["credentialSubject"]["id"]
    assert customer_did.startswith("did:key:z6Mk")  # bound by the utility to the wallet's connection key

    audit_id, invitation = await stack.auditor.new_audit(
        AuditRequest(YEAR, frozenset({v.SCOPE_USAGE}), "Scope 2 audit", 30, account=account))
    await wallet.receive_invitation(invitation_url(invitation))
    await _answer(wallet, wallet.proof_requests, wallet.accept_proof_request, "the auditor's account proof request")
    issued = await _answer(wallet, wallet.credential_proposals, wallet.accept_credential_proposal,
                           "the auditor's consent proposal")
    consent = issued["credential"]
    assert consent["issuer"] == customer_did and v.CONSENT_TYPE in consent["type"]
    assert consent["proof"]["type"] == "Ed25519Signature2018"

    audit = await stack.audit_state(audit_id, "done", "failed", timeout=180)
    assert audit.state == "done", audit.data.get("reason")

    async def emissions():
        found = [c for c in await wallet.credentials() if v.EMISSIONS_TYPE in c["type"]]
        return found if len(found) == len(audit.periods) else None

    held = await eventually(emissions, timeout=60, what="every emissions credential in the Credo wallet")
    assert len(held) == 12 and {c["credentialSubject"]["id"] for c in held} == {customer_did}

    # The bill, opened with the key-agreement key of the wallet's own DID.
    subject = held[0]["credentialSubject"]
    jwe = await LocalContentStore(stack.data_dir / "bills").get(subject["billContentId"])
    bill = await wallet.decrypt(jwe, did=customer_did)
    assert hashlib.sha256(bill).hexdigest() == subject["billSha256"]

    # The verifier asks for the whole year in one request; the wallet presents, every credential verifies.
    invited = await verifier_admin.create_invitation(auto_accept=True)
    await wallet.receive_invitation(invited.invitation_url)
    connection = await eventually(lambda: _active(verifier_admin, invited.invitation_msg_id), what="verifier connected")
    record_ids = [c["credentialSubject"]["ledgerAnchor"]["recordId"] for c in held]
    pending = await request_credential(verifier_admin, connection, record_ids=record_ids)
    await _answer(wallet, wallet.proof_requests, wallet.accept_proof_request, "the verifier's request")
    verifier = EmissionsVerifier(verifier_admin, stack.auditor.issuer.ledger)
    verdicts = await await_verdicts(verifier, pending, waiter=hooks["verifier"].waiter, timeout=60)
    assert [verdict.status for verdict in verdicts] == [VERIFIED] * len(record_ids), verdicts

    # Withdrawing the consent is a presentation of it the wallet signs, bound to the utility's challenge.
    utility = stack.urls["utility"]
    async with stack.http.get(f"{utility}/consent/challenge") as resp:
        challenge = (await resp.json())["challenge"]
    presentation = {"@context": [v.CREDENTIALS_V1], "type": ["VerifiablePresentation"], "holder": customer_did,
                    "verifiableCredential": [consent]}
    signed = await wallet.sign_presentation(presentation, challenge=challenge)
    assert signed["proof"]["verificationMethod"].startswith(customer_did + "#")
    async with stack.http.post(f"{utility}/consent/revocations", json={"verifiablePresentation": signed}) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["revoked"] == consent["id"]
    async with stack.http.post(f"{utility}/consent/revocations", json={"verifiablePresentation": signed}) as resp:
        assert resp.status in (400, 403) and "challenge" in (await resp.json())["error"]  # spent: no replay


async def _active(admin, invitation_msg_id: str) -> str | None:
    found = await admin.connections(invitation_msg_id=invitation_msg_id)
    return found[0].connection_id if found and found[0].is_active else None


async def test_two_credo_wallets_do_the_whole_customer_journey_at_once(agent_network, tmp_path: Path):
    stack = await Stack.start(agent_network, tmp_path / "stack")
    try:
        async with (CredoHolder.start(tmp_path / "wallet-1", label="Credo customer 1") as first,
                    CredoHolder.start(tmp_path / "wallet-2", label="Credo customer 2") as second,
                    agent_network.webhooks("verifier") as hooks):
            async with agent_network.admin("verifier", timeout=30) as verifier_admin:
                await asyncio.gather(_journey(stack, first, "ACCT-CREDO-1", verifier_admin, hooks),
                                     _journey(stack, second, "ACCT-CREDO-2", verifier_admin, hooks))
    finally:
        await stack.stop()
