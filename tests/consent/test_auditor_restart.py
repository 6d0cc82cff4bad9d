"""The auditor's service dies at each step of an audit and a new one starts on the same store: the
audit still finishes, exactly once. One ledger record per billing period, one credential each in
the customer's wallet, one offer each at the auditor's agent, one consent asked of the customer.

The death is in-process: at the chosen write the old service stops (the write is cancelled, as a
killed task is, and every later write of that service fails too), its app is taken down, and the
new service knows only what the store and the agents say. "after" points die right after a state
is written; "before" points die after the act (the consent proposed, the ledger commit, the offer
sent) but before its record is written, the window a kill can hit between an act and its bookkeeping.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from controllers.auditor.record import AuditRecord, AuditState
from testkit.consent_stack import Stack

POINTS = [
    *[(state, "after") for state in ("connected", "account proven", "consent proposed", "consent requested",
                                     "consent held", "bills fetched", "deposited", "anchored", "credentials offered")],
    ("period anchored", "after"), ("period offering", "after"), ("period offered", "after"),
    ("period stored", "after"),
    ("consent proposed", "before"), ("period anchored", "before"), ("period offered", "before"),
]
ENDED = {"failed", "declined", "revoked", "expired"}


def _label(audit: AuditRecord, state: AuditState, data: dict) -> str:
    if state != audit.state:
        return str(state)
    for old, new in zip(audit.periods, data.get("periods") or []):
        if old.get("step") != new.get("step"):
            return f"period {new['step']}"
    return "save"


def die_at(stack: Stack, label: str, when: str) -> dict[str, bool]:
    """Make the running auditor service die at the first write labelled `label`."""
    book = stack.auditor.book
    write = book._write
    status = {"dead": False}

    def dying(audit, state, data, refs):
        if status["dead"]:
            raise asyncio.CancelledError  # a dead service writes nothing more
        hit = _label(audit, state, data) == label
        if hit and when == "before":
            status["dead"] = True
            raise asyncio.CancelledError
        written = write(audit, state, data, refs)
        if hit:
            status["dead"] = True
            raise asyncio.CancelledError
        return written

    book._write = dying
    return status


async def _consent_request(stack: Stack, cred_ex_id: str) -> str | None:
    thread = (await stack.auditor.admin.credential_exchange(cred_ex_id)).thread_id
    for record in stack.customer.consents("pending"):
        if (await stack.customer.admin.credential_exchange(record.cred_ex_id)).thread_id == thread:
            return record.cred_ex_id
    return None


@pytest.mark.parametrize(("label", "when"), POINTS, ids=[f"{w} {p}" for p, w in POINTS])
async def test_auditor_killed_at_a_step_finishes_the_audit_exactly_once(stack: Stack, label: str, when: str):
    account = f"ACCT-K{POINTS.index((label, when)):02d}"
    stack.private_values.add(account)
    await stack.onboard(account)
    status = die_at(stack, label, when)
    audit_id = await stack.start_audit(account=account)

    approved, restarted, deadline = set(), False, time.monotonic() + 90
    while True:
        if status["dead"] and not restarted:
            await stack.restart_auditor()
            restarted = True
        audit = stack.auditor.audit(audit_id)
        if audit.state == AuditState.DONE and restarted:
            break
        assert str(audit.state) not in ENDED, audit.reason
        if audit.cred_ex_id and audit.cred_ex_id not in approved:  # the person approves when asked
            pending = await _consent_request(stack, audit.cred_ex_id)
            if pending:
                await stack.customer.approve(pending)
                approved.add(audit.cred_ex_id)
        assert time.monotonic() < deadline, f"audit stuck in {audit.state} (died: {status['dead']})"
        await asyncio.sleep(0.1)

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
