"""The mission end to end on a running EmbeddedStack, for N customers of one utility:
onboarding (account credential), consent, bill access, calculation, anchoring, issuance,
verification. Returns one row per credential with the verifier's verdict, and the time per stage.

Each customer is an account at the utility, held in the one customer wallet the stack runs (the
embedded stack has one customer agent); each account gets its own consent, bill and credentials.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from controllers.auditor.flow import AuditRequest
from controllers.consent import Period
from controllers.consent import vocabulary as v
from controllers.custody import BillCustody, CustodyError
from controllers.issuance import ConsentedBill, ProgressBar, issue_batch, read_emissions_credential
from controllers.stack.stack import EmbeddedStack
from controllers.verifier import Verdict, await_verdicts, request_credential

__all__ = ["DemoRow", "DemoReport", "run_demo"]

T = TypeVar("T")
YEAR = Period(date(2024, 1, 1), date(2024, 12, 31))
Say = Callable[[str], None]


class DemoError(RuntimeError):
    """A step of the demo did not complete; the message names the step."""


@dataclass(frozen=True)
class DemoRow:
    customer: str
    period_start: str
    period_end: str
    kwh: str
    location_tco2e: str
    market_tco2e: str
    record_id: str
    block_number: int
    verified: bool
    reasons: tuple[str, ...] = ()


@dataclass
class DemoReport:
    rows: list[DemoRow] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # customer -> reason (consent or issuance)
    stages: dict[str, dict[str, float]] = field(default_factory=dict)  # summed over customers (they overlap)
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds of each phase of the run
    bills_checked: int = 0  # bills the customer fetched, decrypted and matched to its credential's hash
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        customers = {r.customer for r in self.rows}
        return (bool(self.rows) and not self.failed and all(r.verified for r in self.rows)
                and self.bills_checked == len(customers))

    @property
    def verified_per_second(self) -> float:
        return sum(r.verified for r in self.rows) / self.seconds if self.seconds else 0.0


async def _until(check: Callable[[], Awaitable[T | None]], what: str, timeout: float = 60.0,
                 interval: float = 0.05) -> T:
    # Checks that reach an agent run at most every `interval`: a wallet's storage pool is small.
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)


async def _onboard(stack: EmbeddedStack, account: str, service_point: str) -> None:
    async with stack.http.post(f"{stack.url('utility')}/admin/onboardings",
                               json={"account": account, "service_point": service_point},
                               headers={"X-Operator-Key": stack.operator_key}) as resp:
        if resp.status != 201:
            raise DemoError(f"the utility refused the onboarding: {await resp.text()}")
        created = await resp.json()
    await stack.wallet.accept_invitation(created["invitation"], "Utility")
    utility_id = str(stack.config.utility_id)

    async def issued() -> bool:  # the utility's own record: no agent call
        onboarding = stack.utility.store.onboarding(onboarding_id=created["onboarding_id"])
        return onboarding is not None and onboarding.state == "done"

    async def held() -> bool:
        return (utility_id, account) in await stack.wallet._held_accounts()

    await _until(issued, "the account credential's issuance", interval=0.02)
    await _until(held, "the account credential in the wallet", interval=0.1)


async def _consent_and_fetch(stack: EmbeddedStack, label: str, account: str) -> str:
    # The demo's customers share one wallet, so the audit names the account it is for.
    audit_id, invitation = await stack.auditor.new_audit(
        AuditRequest(YEAR, frozenset({v.SCOPE_USAGE}), "Scope 2 emissions audit", 30, account=account))
    await stack.wallet.accept_invitation(invitation, "Auditor")

    async def proposed() -> str | None:
        audit = stack.auditor.audit(audit_id)
        return audit.cred_ex_id if audit is not None and audit.cred_ex_id else None

    began = time.perf_counter()
    thread = (await stack.auditor.admin.credential_exchange(
        await _until(proposed, f"{label}: the consent proposal", interval=0.02))).thread_id

    async def proposal() -> str | None:
        pending = {r.cred_ex_id for r in stack.wallet.consents("pending")}
        if not pending:
            return None
        for exchange in await stack.wallet.admin.credential_exchanges(thread_id=thread):
            if exchange.cred_ex_id in pending:
                return exchange.cred_ex_id
        return None

    pending = await _until(proposal, f"{label}: the consent request in the wallet", interval=0.05)
    await stack.wallet.approve(pending)  # the person approves (in the wallet pages, for `emissions up`)

    async def consented() -> Any:
        audit = stack.auditor.audit(audit_id)
        return audit if audit and audit.state not in {"invited", "connected", "proving", "proposing", "requested"} else None

    audit = await _until(consented, f"{label}: the consent", interval=0.02)
    stack.clock.add("consent", time.perf_counter() - began)
    fetch_began = time.perf_counter()

    async def fetched() -> Any:
        audit = stack.auditor.audit(audit_id)
        return audit if audit and audit.state in {"fetched", "refused", "failed", "declined"} else None

    audit = await _until(fetched, f"{label}: the bill download", interval=0.02)
    stack.clock.add("fetch", time.perf_counter() - fetch_began)
    if audit.state != "fetched":
        raise DemoError(f"{label}: audit {audit.state}: {audit.reason}")
    return audit_id


def _bill(stack: EmbeddedStack, audit_id: str, service_point: str) -> ConsentedBill:
    audit = stack.auditor.audit(audit_id)
    assert audit is not None and audit.account and audit.consent and audit.connection_id
    subject = audit.consent["credentialSubject"]
    return ConsentedBill(
        bill_id=audit_id, connection_id=audit.connection_id, customer_did=audit.consent["issuer"],
        customer_key_agreement=subject["keyAgreementPublicKeyMultibase"], utility_id=stack.config.utility_id,
        account_id=audit.account["account"], service_point_id=service_point,
        feed=stack.auditor.results[audit_id].feed)


async def run_demo(stack: EmbeddedStack, customers: int, *, say: Say = lambda _: None,
                   concurrency: int = 4, verify: bool = True) -> DemoReport:
    """The mission for `customers` new accounts. `verify=False` stops before the verifier asks: for
    a wallet whose person shares credentials by hand (`emissions up`), a request would wait for them."""
    report = DemoReport()
    began = time.perf_counter()
    run = secrets.token_hex(3).upper()  # fresh accounts each run: the stack's data persists across runs
    labels = {f"customer-{n + 1}": (f"DEMO-{run}-{n + 1:03d}", f"SP-{run}-{n + 1:03d}") for n in range(customers)}
    gate = asyncio.Semaphore(min(concurrency, 2))  # consent exchanges load the one customer wallet most
    bills: dict[str, ConsentedBill] = {}
    progress = ProgressBar(customers, "consent + bill access")

    async def one(label: str) -> None:
        account, service_point = labels[label]
        async with gate:
            try:
                await _onboard(stack, account, service_point)
                audit_id = await _consent_and_fetch(stack, label, account)
                bills[label] = _bill(stack, audit_id, service_point)
                progress.advance()
            except Exception as exc:  # noqa: BLE001 - reported per customer; the others go on
                report.failed[label] = str(exc) or type(exc).__name__
                progress.advance(ok=False)

    say(f"onboarding {customers} customer(s) at EIA utility {stack.config.utility_id}, consent, bill download")
    await asyncio.gather(*(one(label) for label in labels))
    report.phases["onboard+consent+fetch"] = time.perf_counter() - began
    mark = time.perf_counter()
    owner = {bill.bill_id: label for label, bill in bills.items()}

    say("anchoring each billing period on the ledger and issuing the credentials")
    batch = await issue_batch(stack.issuer, list(bills.values()), concurrency=concurrency,
                              progress=ProgressBar(len(bills), "anchor + issue"))
    report.failed.update({owner[b]: reason for b, reason in batch.failed.items()})
    report.phases["parse+anchor+issue"] = time.perf_counter() - mark
    mark = time.perf_counter()

    say("customer: fetching each bill from the store, decrypting it with the wallet's key, checking its hash")
    for issued in {c.bill_id: c for c in batch.issued}.values():
        claims = read_emissions_credential(issued.credential)
        key = stack.wallet.key
        try:
            await BillCustody(stack.issuer.custody.store).retrieve(claims.bill_content_id, key.private,
                                                                    claims.bill_sha256, kid=key.public_multibase)
            report.bills_checked += 1
        except CustodyError as exc:
            report.failed[owner[issued.bill_id]] = f"the customer could not open its bill: {exc}"

    if not verify:
        report.rows.extend(_row(issued, owner, False, ("not requested",)) for issued in batch.issued)
        report.seconds = time.perf_counter() - began
        return report
    say(f"verifier: asking the customer's wallet for its {len(batch.issued)} credential(s), a year per request")
    connection = await _verifier_connection(stack)
    by_bill: dict[str, list[str]] = {}
    for issued in batch.issued:
        by_bill.setdefault(issued.bill_id, []).append(issued.anchor.record_id)
    checking = ProgressBar(len(by_bill), "verify")
    verify_gate = asyncio.Semaphore(2)  # each presentation holds a wallet session while it signs
    verdicts: dict[str, list[Verdict]] = {}

    async def verify(record_ids: list[str]) -> None:
        async with verify_gate:
            began = time.perf_counter()
            pending = await request_credential(stack.verifier.verifier.admin, connection, record_ids=record_ids)
            found = await await_verdicts(stack.verifier.verifier, pending, timeout=60)
            stack.clock.add("verify", time.perf_counter() - began, len(record_ids))
            for verdict in found:
                verdicts.setdefault(verdict.record_id or "", []).append(verdict)
            checking.advance(ok=all(v.verified for v in found) and len(found) == len(record_ids))

    await asyncio.gather(*(verify(ids) for ids in by_bill.values()))
    report.phases["verify"] = time.perf_counter() - mark
    for issued in batch.issued:
        found = verdicts.get(issued.anchor.record_id, [])
        ok = len(found) == 1 and found[0].verified
        report.rows.append(_row(issued, owner, ok,
                                tuple(r for v in found for r in v.reasons) or (() if found else ("not presented",))))
    report.rows.sort(key=lambda r: (int(r.customer.rsplit("-", 1)[1]), r.period_start))
    report.seconds = time.perf_counter() - began
    report.stages = stack.clock.report()
    return report


def _row(issued, owner: dict[str, str], verified: bool, reasons: tuple[str, ...]) -> DemoRow:
    return DemoRow(
        customer=owner[issued.bill_id], period_start=issued.period_start[:10], period_end=issued.period_end[:10],
        kwh=issued.kwh, location_tco2e=issued.location_tco2e, market_tco2e=issued.market_tco2e,
        record_id=issued.anchor.record_id, block_number=issued.anchor.block_number, verified=verified,
        reasons=reasons)


async def _verifier_connection(stack: EmbeddedStack) -> str:
    admin = stack.verifier.verifier.admin
    invitation = await admin.create_invitation(auto_accept=True, alias="demo customer")
    await stack.wallet.accept_invitation(invitation.invitation, "Verifier")

    async def active() -> str | None:
        found = await admin.connections(invitation_msg_id=invitation.invitation_msg_id)
        return found[0].connection_id if found and found[0].is_active else None

    return await _until(active, "the verifier's connection to the wallet")
