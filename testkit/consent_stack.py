"""The three controllers of the consent flow, as real aiohttp services on the ports the agents
post their webhooks to, each with its own data dir, and the auditor's service on a real dev peer
(governed, factors loaded, both auditor orgs registered), so every audit runs to its credentials;
plus the steps tests and the benchmark share."""

from __future__ import annotations

import asyncio
import inspect
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from controllers.acapy import AcaPyAdmin
from controllers.auditor import AuditManager, AuditorConfig, AuditRequest
from controllers.auditor import build_app as auditor_app
from custody import BillCustody, LocalContentStore, Recipient, generate_private_key, public_multibase
from controllers.issuance import EmissionsIssuer, IssuerSettings
from controllers.ledger import AuditorSpec
from emissions.stack.governance import prepare_ledger
from emissions.stack.ledger_network import AUDITOR_ORGS, LedgerLayout
from controllers.ledger import open_ledger
from controllers.workflow import WorkflowStore
from network.devpeer import DevPeer
from network.devpeer.config import config_from_mapping
from testkit.ledger import small_edition
from credentials import Period
from credentials import vocabulary as v
from controllers.customer.host import HostConfig, WalletHost
from controllers.customer.service import build_app as customer_app
from controllers.customer.wallet import CustomerWallet
from emissions.stack.wallet_client import open_wallet_session
from controllers.utility.service import UtilityConfig, UtilityService
from controllers.utility.service import build_app as utility_app

UTILITY_ID = "14328"
OPERATOR_KEY = "operator-test-key"
AUDITOR_KEY = "auditor-operator-test-key"
PERIOD = Period(date(2024, 1, 1), date(2024, 3, 31))
CUSTOMER, PASSWORD = "alice", "correct horse battery"


async def eventually(check, *, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):  # a coroutine function, or a lambda that calls one
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Stack:
    network: Any
    data_dir: Path
    utility: UtilityService
    host: WalletHost  # the customer service: one wallet per customer
    customer: CustomerWallet  # the wallet of CUSTOMER, signed up when the stack starts
    auditor: AuditManager
    urls: dict[str, str]
    http: aiohttp.ClientSession
    runners: dict[str, web.AppRunner]  # role -> the app serving its controller
    admins: list[AcaPyAdmin]
    closing: AsyncExitStack  # the dev peer, the ledger session, the auditor's store
    private_values: set[str] = field(default_factory=set)  # must never appear in a log line
    logs: list[Path] = field(default_factory=list)  # log files of services run as processes of their own
    wallet_http: aiohttp.ClientSession | None = None  # signed in as CUSTOMER, sends its CSRF token
    _last_audit: str = ""

    @classmethod
    async def start(cls, network, data_dir: Path, *, auditor_options: dict[str, Any] | None = None, **utility_options) -> Stack:
        ports = {r: network.specs[r].controller_port for r in ("utility", "customer", "auditor")}
        urls = {r: f"http://127.0.0.1:{p}" for r, p in ports.items()}
        http = aiohttp.ClientSession()
        admins = {r: network.admin(r, timeout=30) for r in ports}
        utility = UtilityService(
            UtilityConfig(UTILITY_ID, data_dir / "utility", OPERATOR_KEY, **utility_options), admins["utility"]
        )
        host = WalletHost(HostConfig(data_dir / "customer", {UTILITY_ID: urls["utility"]}), admins["customer"])
        closing = AsyncExitStack()
        store = WorkflowStore(data_dir / "auditor" / "workflow.sqlite3")
        closing.callback(store.close)
        issuer = await _issuer_on_a_ledger(closing, admins["auditor"], data_dir, store)
        config = AuditorConfig(data_dir / "auditor", {UTILITY_ID: urls["utility"]}, **(auditor_options or {}))
        auditor = AuditManager(config, admins["auditor"], http, store, issuer)
        stack = cls(network, data_dir, utility, host, None, auditor, urls, http, {}, list(admins.values()), closing)  # type: ignore[arg-type]
        await stack._serve("utility", utility_app(utility, network.specs["utility"].webhook_secret), ports)
        await stack._serve("customer", customer_app(host, network.specs["customer"].webhook_secret), ports)
        await stack._serve("auditor", auditor_app(auditor, network.specs["auditor"].webhook_secret, AUDITOR_KEY), ports)
        await utility.start()
        await host.start()
        await auditor.start()
        stack.wallet_http = await open_wallet_session(urls["customer"], CUSTOMER, PASSWORD, create=True)
        stack.customer = await host.wallet(CUSTOMER)
        return stack

    async def _serve(self, role: str, app: web.Application, ports: dict[str, int]) -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", ports[role]).start()
        self.runners[role] = runner

    async def stop_controller(self, role: str) -> None:
        """Stop serving `role`'s controller: its agent's webhooks then reach nobody."""
        await self.runners.pop(role).cleanup()

    async def restart_customer(self) -> None:
        """Stop the customer service and start a new one on the same data dir and port (sessions
        are kept in its store, so the person stays signed in)."""
        if "customer" in self.runners:
            await self.stop_controller("customer")
        old = self.host
        old.close()
        self.host = WalletHost(old.config, old.agent)
        app = customer_app(self.host, self.network.specs["customer"].webhook_secret)
        await self._serve("customer", app, {"customer": self.network.specs["customer"].controller_port})
        await self.host.start()
        self.customer = await self.host.wallet(CUSTOMER)

    async def restart_auditor(self) -> None:
        """A new auditor service on the same store and port, as after a crash: it knows only what
        its store and the agent's records say."""
        if "auditor" in self.runners:
            await self.stop_controller("auditor")
        old = self.auditor
        self.auditor = AuditManager(old.config, old.admin, self.http, old.book.store, old.issuer)
        app = auditor_app(self.auditor, self.network.specs["auditor"].webhook_secret, AUDITOR_KEY)
        await self._serve("auditor", app, {"auditor": self.network.specs["auditor"].controller_port})
        await self.auditor.start()

    async def stop(self) -> None:
        for runner in self.runners.values():
            await runner.cleanup()
        await self.closing.aclose()
        self.utility.close()
        self.host.close()
        for admin in self.admins:
            await admin.close()
        if self.wallet_http is not None:
            await self.wallet_http.close()
        await self.http.close()

    # -- steps ------------------------------------------------------------------------------------
    async def onboard(self, account: str, service_point: str = "SP-1") -> None:
        async with self.http.post(
            f"{self.urls['utility']}/admin/onboardings",
            json={"account": account, "service_point": service_point},
            headers={"X-Operator-Key": OPERATOR_KEY},
        ) as resp:
            assert resp.status == 201, await resp.text()
            created = await resp.json()
        await self.customer.accept_invitation(created["invitation"], "Utility")
        onboarding_id = created["onboarding_id"]
        await eventually(
            lambda: (self.utility.store.onboarding(onboarding_id=onboarding_id).state == "done"),
            what="onboarding done",
        )

        async def held():
            return (UTILITY_ID, account) in await self.customer._held_accounts()

        await eventually(held, what="account credential stored")

    async def start_audit(
        self, period: Period = PERIOD, scope=frozenset({v.SCOPE_USAGE}), days: int = 30, account: str | None = None
    ) -> str:
        audit_id, invitation = await self.auditor.new_audit(
            AuditRequest(period, scope, "Scope 2 audit", days, account=account)
        )
        await self.customer.accept_invitation(invitation, "Auditor")
        return audit_id

    async def pending_consent(self, audit_id: str) -> str:
        audit = await eventually(lambda: (a := self.auditor.audit(audit_id)) and a.cred_ex_id and a, what="proposal sent")
        thread = (await self.auditor.admin.credential_exchange(audit.cred_ex_id)).thread_id

        async def pending():
            for record in self.customer.consents("pending"):
                ex = await self.customer.admin.credential_exchange(record.cred_ex_id)
                if ex.thread_id == thread:
                    return record.cred_ex_id
            return None

        return await eventually(pending, what="consent request in the customer's inbox")

    async def audit_state(self, audit_id: str, *states: str, timeout: float = 30.0):
        return await eventually(
            lambda: (a := self.auditor.audit(audit_id)) and a.state in states and a, timeout=timeout,
            what=f"audit in {states}",
        )


async def _issuer_on_a_ledger(closing: AsyncExitStack, admin: AcaPyAdmin, data_dir: Path,
                              store: WorkflowStore) -> EmissionsIssuer:
    """A dev peer with the emissions chaincode, governed, eGRID factors for the test utilities,
    both auditor orgs registered with did:keys of the auditor's agent; the issuer of Auditor1MSP."""
    layout = LedgerLayout(data_dir / "ledger")
    layout.ensure_crypto()
    peer = DevPeer(config_from_mapping(layout.devpeer_mapping(), data_dir))
    await peer.start()
    closing.push_async_callback(peer.stop)
    dids = {msp: (await admin.create_did_key()).did for msp in AUDITOR_ORGS}
    keys = {msp: generate_private_key() for msp in AUDITOR_ORGS}
    edition, utilities = small_edition()
    specs = [AuditorSpec(msp, f"{msp[:-3]} Assurance LLP", (dids[msp],), public_multibase(keys[msp].public_key()))
             for msp in AUDITOR_ORGS]
    await prepare_ledger(layout.admin_profiles(peer.address), index_secret=bytes(range(32)), edition=edition,
                         utilities=utilities, auditors=specs)
    ledger = await closing.enter_async_context(open_ledger(layout.profile(peer.address, "Auditor1MSP")))
    recipients = [Recipient.of(msp, public_multibase(key.public_key())) for msp, key in keys.items()]
    return EmissionsIssuer(IssuerSettings(dids["Auditor1MSP"], edition=edition.edition, exchange_timeout=20), admin,
                           ledger, BillCustody(LocalContentStore(data_dir / "bills")), store, recipients)
