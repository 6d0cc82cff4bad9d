"""The mission end to end, for N customers of one utility, driven only through the services' public
HTTP APIs, as a person's browser or another program would (`StackClient` lists every call):
onboarding at the utility, connecting the wallet to the auditor, approving the consent in the
wallet; the auditor's service then fetches, anchors and issues by itself; the customer opens its
bill; a verifier asks the wallet for the credentials and checks them against the ledger.

Returns one row per credential with the verifier's verdict, and the auditor's time per stage. The
first `gas` customers also have a natural gas account at the utility: its bills become Scope 1
credentials beside their electricity's Scope 2 ones, in the same wallet, checked the same way.
Each customer signs up for a wallet of its own (a sub-wallet of the customer agent) and acts in it
through its own signed-in session; the sign-ins are in the report, so a person can look at the
pages afterwards.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from controllers.issuance import ProgressBar
from emissions.stack.wallet_client import WalletSignInError, open_wallet_session

__all__ = ["DemoRow", "DemoReport", "StackClient", "run_demo"]

T = TypeVar("T")
Say = Callable[[str], None]
YEAR = {"period_start": "2024-01-01", "period_end": "2024-12-31"}
_ENDINGS = {"failed", "declined", "revoked", "expired"}


class DemoError(RuntimeError):
    """A step of the demo did not complete; the message names the step."""


@dataclass(frozen=True)
class DemoRow:
    customer: str
    period_start: str
    period_end: str
    scope: int  # 2: electricity; 1: natural gas burned on site
    usage: str  # "1234.567 kWh", "50.125 therm"
    tco2e: str  # scope 2: location-based; scope 1: the period's total
    market_tco2e: str  # scope 2 only ("" for scope 1)
    record_id: str
    block_number: int
    verified: bool
    reasons: tuple[str, ...] = ()


@dataclass
class DemoReport:
    rows: list[DemoRow] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # customer -> reason
    stages: dict[str, dict[str, float]] = field(default_factory=dict)  # the auditor's, summed over customers
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds of each phase of the run
    bills_checked: int = 0  # bills the customer's wallet opened and matched to its credential's hash
    seconds: float = 0.0
    sign_ins: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)  # customer -> (username, password)

    @property
    def ok(self) -> bool:
        customers = {r.customer for r in self.rows}
        return (bool(self.rows) and not self.failed and all(r.verified for r in self.rows)
                and self.bills_checked == len(customers))

    @property
    def verified_per_second(self) -> float:
        return sum(r.verified for r in self.rows) / self.seconds if self.seconds else 0.0


async def _call(http: aiohttp.ClientSession, method: str, url: str, *, json: Any = None,
                headers: dict[str, str] | None = None) -> Any:
    """One request; its JSON answer, or a DemoError naming the call, its status and the service's reason."""
    async with http.request(method, url, json=json, headers=headers) as resp:
        body = await resp.json(content_type=None) if resp.content_length != 0 else None
        if resp.status not in (200, 201):
            error = body.get("error") if isinstance(body, dict) else await resp.text()
            raise DemoError(f"{method} {url.split('/', 3)[-1].split('?')[0]}: {resp.status} {error}")
        return body


@dataclass
class StackClient:
    """The public HTTP APIs the demo uses: the utility's operator API, the wallet's API, the
    auditor's operator API, the verifier's API. Each call is one request; `until` polls one."""

    http: aiohttp.ClientSession
    utility: str
    wallet: str
    auditor: str
    verifier: str
    utility_key: str
    auditor_key: str
    verifier_key: str

    async def call(self, method: str, url: str, *, key: str | None = None, json: Any = None) -> Any:
        return await _call(self.http, method, url, json=json, headers={"X-Operator-Key": key} if key else None)

    # the utility
    async def onboard(self, account: str, service_point: str, service: str = "electricity") -> dict[str, Any]:
        return await self.call("POST", f"{self.utility}/admin/onboardings", key=self.utility_key,
                               json={"account": account, "service_point": service_point, "service": service})

    async def onboarding(self, onboarding_id: str) -> dict[str, Any]:
        return await self.call("GET", f"{self.utility}/admin/onboardings/{onboarding_id}", key=self.utility_key)

    async def sign_up(self, username: str, password: str) -> CustomerClient:
        """A new customer with a wallet of its own, signed in; the caller closes it."""
        try:
            return CustomerClient(await open_wallet_session(self.wallet, username, password, create=True), self.wallet)
        except WalletSignInError as exc:
            raise DemoError(str(exc)) from None

    # the auditor
    async def start_audit(self, request: dict[str, Any]) -> dict[str, Any]:
        return await self.call("POST", f"{self.auditor}/api/audits", key=self.auditor_key, json=request)

    async def audit(self, audit_id: str) -> dict[str, Any]:
        return await self.call("GET", f"{self.auditor}/api/audits/{audit_id}", key=self.auditor_key)

    async def stages(self) -> dict[str, dict[str, float]]:
        return await self.call("GET", f"{self.auditor}/api/stages", key=self.auditor_key)

    # the verifier
    async def verifier_invitation(self) -> dict[str, Any]:
        return await self.call("POST", f"{self.verifier}/api/invitations", key=self.verifier_key)

    async def verifier_connection(self, invitation_id: str) -> dict[str, Any]:
        return await self.call("GET", f"{self.verifier}/api/invitations/{invitation_id}", key=self.verifier_key)

    async def ask(self, connection_id: str, record_ids: list[str]) -> str:
        body = await self.call("POST", f"{self.verifier}/api/requests", key=self.verifier_key,
                               json={"connection_id": connection_id, "record_ids": record_ids})
        return body["request_id"]

    async def verdicts(self, request_id: str) -> dict[str, Any]:
        return await self.call("GET", f"{self.verifier}/api/requests/{request_id}", key=self.verifier_key)


@dataclass
class CustomerClient:
    """One customer's signed-in session on the wallet's API (it sends the session's CSRF token)."""

    http: aiohttp.ClientSession
    wallet: str

    async def close(self) -> None:
        await self.http.close()

    async def call(self, method: str, path: str, *, json: Any = None) -> Any:
        return await _call(self.http, method, self.wallet + path, json=json)

    async def accept(self, invitation: dict[str, Any], alias: str) -> str:
        return (await self.call("POST", "/api/invitations", json={"invitation": invitation, "alias": alias}))["connection_id"]

    async def credentials(self) -> list[dict[str, Any]]:
        return await self.call("GET", "/api/credentials")

    async def pending_consents(self) -> list[dict[str, Any]]:
        return await self.call("GET", "/api/consents?state=pending")

    async def approve(self, consent_request: str) -> dict[str, Any]:
        return await self.call("POST", f"/api/consents/{consent_request}/approve")

    async def open_bill(self, credential_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/api/credentials/{credential_id}/bill")


async def until(check: Callable[[], Awaitable[T | None]], what: str, timeout: float = 120.0,
                interval: float = 0.1) -> T:
    """Poll `check` until it returns something true; a DemoError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)


def _subject(credential: dict[str, Any]) -> dict[str, Any]:
    return credential.get("credentialSubject") or {}


async def _onboard(api: StackClient, me: CustomerClient, account: str, service_point: str, service: str) -> None:
    created = await api.onboard(account, service_point, service)
    await me.accept(created["invitation"], "Utility")

    async def issued() -> bool:
        state = (await api.onboarding(created["onboarding_id"]))["state"]
        if state == "failed":
            raise DemoError("the utility's onboarding failed")
        return state == "done"

    async def held() -> bool:
        return any("UtilityAccountCredential" in (c.get("type") or []) and _subject(c).get("accountId") == account
                   for c in await me.credentials())

    await until(issued, "the account credential's issuance")
    await until(held, "the account credential in the wallet", interval=0.2)


async def _audit(api: StackClient, me: CustomerClient, label: str, account: str, service: str) -> dict[str, Any]:
    purpose = "Scope 1 emissions audit (natural gas)" if service == "gas" else "Scope 2 emissions audit"
    created = await api.start_audit({**YEAR, "purpose": purpose, "consent_days": 30, "account": account})
    await me.accept(created["invitation"], "Auditor")

    async def proposal() -> str | None:  # the person finds the auditor's request in its inbox
        for pending in await me.pending_consents():
            if _subject((pending.get("proposal") or {})).get("accountId") == account:
                return pending["id"]
        return None

    await me.approve(await until(proposal, f"{label}: the consent request in the wallet", interval=0.2))

    async def finished() -> dict[str, Any] | None:
        audit = await api.audit(created["audit_id"])
        if audit["state"] in _ENDINGS:
            raise DemoError(f"{label}: audit {audit['state']}: {audit['reason']}")
        return audit if audit["state"] == "done" else None

    return await until(finished, f"{label}: the audit (fetch, anchor, credentials stored)", timeout=300, interval=0.2)


async def run_demo(api: StackClient, customers: int, *, gas: int = 1, say: Say = lambda _: None,
                   concurrency: int = 2, verify: bool = True) -> DemoReport:
    """The mission for `customers` new customers, each with a new wallet and an electricity account,
    the first `gas` of them with a natural gas account too. `verify=False` stops before the verifier
    asks: for a wallet whose person shares credentials by hand (`emissions up`), a request would wait
    for them."""
    report = DemoReport()
    began = time.perf_counter()
    run = secrets.token_hex(3).upper()  # fresh accounts each run: the stack's data persists across runs
    labels = {f"customer-{n + 1}": [(f"DEMO-{run}-{n + 1:03d}", f"SP-{run}-{n + 1:03d}", "electricity")]
              + ([(f"DEMO-{run}-{n + 1:03d}-G", f"SP-{run}-{n + 1:03d}-G", "gas")] if n < gas else [])
              for n in range(customers)}
    gate = asyncio.Semaphore(concurrency)
    audits: dict[str, list[dict[str, Any]]] = {}  # per customer, one audit per account
    wallets: dict[str, CustomerClient] = {}
    progress = ProgressBar(customers, "sign up + onboard + consent + audit")

    async def one(label: str) -> None:
        async with gate:
            try:
                username, password = f"{label}-{run.lower()}", secrets.token_urlsafe(12)
                wallets[label] = await api.sign_up(username, password)
                report.sign_ins[label] = (username, password)
                done = []
                for account, service_point, service in labels[label]:
                    await _onboard(api, wallets[label], account, service_point, service)
                    done.append(await _audit(api, wallets[label], label, account, service))
                audits[label] = done  # only a customer whose every account went through is verified
                progress.advance()
            except Exception as exc:  # noqa: BLE001 - reported per customer; the others go on
                report.failed[label] = str(exc) or type(exc).__name__
                progress.advance(ok=False)

    try:
        say(f"{customers} customer(s), each with a wallet of its own: sign-up, onboarding, consent; the auditor's "
            f"service fetches the bills, anchors each billing period and issues the credentials")
        await asyncio.gather(*(one(label) for label in labels))
        report.phases["onboard+consent+audit"] = time.perf_counter() - began
        mark = time.perf_counter()

        held: dict[str, dict[str, Any]] = {}
        say("customers: opening each bill from the content store with the wallet's own key, checking its hash")
        for label, audit in _first_audits(audits).items():
            held.update({_subject(c).get("ledgerAnchor", {}).get("recordId"): c for c in await wallets[label].credentials()
                         if "UtilityEmissionsCredential" in (c.get("type") or [])})
            first = held.get(audit["periods"][0]["record_id"]) if audit["periods"] else None
            try:
                if first is None:
                    raise DemoError("its credential is not in the wallet")
                await wallets[label].open_bill(first["id"])
                report.bills_checked += 1
            except DemoError as exc:
                report.failed[label] = f"the customer could not open its bill: {exc}"
        report.phases["open bills"] = time.perf_counter() - mark
        mark = time.perf_counter()

        verdicts: dict[str, dict[str, Any]] = {}
        if verify and audits:
            say("verifier: connecting to each customer's wallet and asking for its credentials, a year per request")
            checking = ProgressBar(len(audits), "verify")

            async def ask(label: str, accounts: list[dict[str, Any]]) -> None:
                invitation = await api.verifier_invitation()
                await wallets[label].accept(invitation["invitation"], "Verifier")

                async def connected() -> str | None:
                    return (await api.verifier_connection(invitation["invitation_id"]))["connection_id"]

                connection = await until(connected, f"{label}: the verifier's connection to the wallet")
                record_ids = [p["record_id"] for audit in accounts for p in audit["periods"]]
                request_id = await api.ask(connection, record_ids)

                async def answered() -> dict[str, Any] | None:
                    shown = await api.verdicts(request_id)
                    return shown if shown["state"] == "done" else None

                found = (await until(answered, f"{label}: the verifier's verdicts"))["verdicts"]
                for verdict in found:
                    verdicts[verdict.get("record_id") or ""] = verdict
                checking.advance(ok=all(v["verified"] for v in found) and len(found) == len(record_ids))

            verify_gate = asyncio.Semaphore(2)  # each presentation holds a wallet session while it signs

            async def gated(label: str, accounts: list[dict[str, Any]]) -> None:
                async with verify_gate:
                    await ask(label, accounts)

            await asyncio.gather(*(gated(label, a) for label, a in audits.items()))
            report.phases["verify"] = time.perf_counter() - mark
    finally:
        for wallet in wallets.values():
            await wallet.close()

    for label, audit in ((label, audit) for label, accounts in audits.items() for audit in accounts):
        for period in audit["periods"]:
            credential = held.get(period["record_id"])
            verdict = verdicts.get(period["record_id"])
            reasons = tuple(verdict["reasons"]) if verdict else (("not requested",) if not verify else ("not presented",))
            report.rows.append(_row(label, period, credential, verdict is not None and verdict["verified"], reasons))
    report.rows.sort(key=lambda r: (int(r.customer.rsplit("-", 1)[1]), -r.scope, r.period_start))
    report.seconds = time.perf_counter() - began
    report.stages = await api.stages()
    return report


def _first_audits(audits: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    return {label: accounts[0] for label, accounts in audits.items() if accounts}


def _row(label: str, period: dict[str, Any], credential: dict[str, Any] | None, verified: bool,
         reasons: tuple[str, ...]) -> DemoRow:
    subject = _subject(credential or {})
    anchor = subject.get("ledgerAnchor") or {}
    gas = "gas" in period
    return DemoRow(
        customer=label, period_start=period["start"][:10], period_end=period["end"][:10], scope=1 if gas else 2,
        usage=f"{period['gas']} {period['unit']}" if gas else f"{period['kwh']} kWh",
        tco2e=subject.get("scope1Tco2e" if gas else "locationBasedTco2e", "?"),
        market_tco2e="" if gas else subject.get("marketBasedTco2e", "?"),
        record_id=period["record_id"], block_number=int(anchor.get("blockNumber", -1)), verified=verified,
        reasons=reasons if not verified else ())
