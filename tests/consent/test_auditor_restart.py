"""The auditor's service, a process of its own (`emissions auditor serve`), is SIGKILLed at each
step of an audit and started again on the same store: the audit still finishes, exactly once. One
ledger record per billing period, one credential each in the customer's wallet, one offer each at
the auditor's agent, one consent asked of the customer.

"after" points die right after a state is written; "before" points die after the act (the consent
proposed, the ledger commit, the offer sent) but before its record is written, the window a kill
can hit between an act and its bookkeeping. The process kills itself at the chosen write
(testkit.auditor_process), so every run hits the same point.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime

import pytest

from controllers.auditor.record import AuditState
from testkit.auditor_process import AuditorProcess, write_config
from testkit.consent_stack import AUDITOR_KEY, Stack

POINTS = [
    *[(state, "after") for state in ("connected", "account proven", "consent proposed", "consent requested",
                                     "consent held", "bills fetched", "deposited", "anchored", "credentials offered")],
    ("period anchored", "after"), ("period offering", "after"), ("period offered", "after"),
    ("period stored", "after"),
    ("consent proposed", "before"), ("period anchored", "before"), ("period offered", "before"),
]
ENDED = {"failed", "declined", "revoked", "expired"}


async def _consent_request(stack: Stack, cred_ex_id: str) -> str | None:
    thread = (await stack.auditor.admin.credential_exchange(cred_ex_id)).thread_id
    for record in stack.customer.consents("pending"):
        if (await stack.customer.admin.credential_exchange(record.cred_ex_id)).thread_id == thread:
            return record.cred_ex_id
    return None


async def _new_audit(stack: Stack, account: str) -> str:
    """Through the service's operator API, as an operator would."""
    async with stack.http.post(f"{stack.urls['auditor']}/api/audits", headers={"X-Operator-Key": AUDITOR_KEY}, json={
            "period_start": "2024-01-01", "period_end": "2024-03-31", "purpose": "Scope 2 audit", "account": account,
    }) as resp:
        assert resp.status == 201, await resp.text()
        created = await resp.json()
    await stack.customer.accept_invitation(created["invitation"], "Auditor")
    return created["audit_id"]


@pytest.mark.parametrize(("label", "when"), POINTS, ids=[f"{w} {p}" for p, w in POINTS])
async def test_auditor_killed_at_a_step_finishes_the_audit_exactly_once(stack: Stack, tmp_path, label: str, when: str):
    account = f"ACCT-K{POINTS.index((label, when)):02d}"
    stack.private_values.add(account)
    await stack.onboard(account)
    await stack.stop_controller("auditor")  # from here on the service runs as a process of its own
    service = AuditorProcess(write_config(stack, tmp_path / "service", operator_key=AUDITOR_KEY))
    stack.logs.append(service.log)
    await asyncio.to_thread(service.start, (label, when))
    try:
        audit_id = await _new_audit(stack, account)
        approved, restarted, deadline = set(), False, time.monotonic() + 90
        while True:
            if not restarted and service.exited() is not None:
                assert service.exited() == -signal.SIGKILL, f"the service ended otherwise: {service.exited()}"
                await asyncio.to_thread(service.start)
                restarted = True
            audit = stack.auditor.audit(audit_id)  # the store the service writes, read from outside
            if audit.state == AuditState.DONE and restarted:
                break
            assert str(audit.state) not in ENDED, audit.reason
            if audit.cred_ex_id and audit.cred_ex_id not in approved:  # the person approves when asked
                pending = await _consent_request(stack, audit.cred_ex_id)
                if pending:
                    await stack.customer.approve(pending)
                    approved.add(audit.cred_ex_id)
            assert time.monotonic() < deadline, f"audit stuck in {audit.state} (restarted: {restarted})"
            await asyncio.sleep(0.1)
    finally:
        await asyncio.to_thread(service.stop)

    audit = stack.auditor.audit(audit_id)
    assert [p["step"] for p in audit.periods] == ["stored"] * 3
    starts = ["2024-01-01", "2024-02-01", "2024-03-01"]
    # One ledger record per billing period (this test's ledger holds only this audit).
    found = await stack.auditor.issuer.ledger.client.query_records(
        int(audit.account["utility_id"]), datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
    assert sorted(r["period_start"][:10] for r in found["records"]) == starts
    assert {r["record_id"] for r in found["records"]} == {p["anchored"]["anchor"]["record_id"] for p in audit.periods}
    # One credential per period in the wallet, one live offer per credential at the auditor's agent.
    held = [c for c in await stack.customer.held_credentials()
            if c["credentialSubject"].get("accountId") == account and "UtilityEmissionsCredential" in c["type"]]
    assert sorted(c["credentialSubject"]["periodStart"] for c in held) == starts
    offers = [ex for ex in await stack.auditor.admin.credential_exchanges(connection_id=audit.connection_id, role="issuer")
              if "UtilityEmissionsCredential" in (((ex.offer or {}).get("credential") or {}).get("type") or [])]
    assert sorted(ex.state for ex in offers) == ["done"] * 3
    # And the customer was asked for its consent once.
    consents = [ex for ex in await stack.auditor.admin.credential_exchanges(connection_id=audit.connection_id, role="holder")
                if "DataAccessConsentCredential" in (((ex.proposal or {}).get("credential") or {}).get("type") or [])]
    assert [ex.state for ex in consents] == ["done"]
