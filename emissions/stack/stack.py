"""`EmbeddedStack`: the whole system on one machine, no Docker.

A ledger (by default the dev peer: a child process, persistent SQLite ledger, the emissions
chaincode in-process; or a real Fabric network, see `emissions.stack.backends`), the four ACA-Py
agents, and the controllers (utility, customer wallet, auditor with issuance, verifier) served on
the ports the agents post their webhooks to. The ledger is
prepared on start: governance bootstrapped by both auditor orgs, eGRID factors sealed, both
auditor orgs registered with their did:key (from the auditor's agent) and X25519 bill key.

Everything persists under `data_dir` (a Fabric network in its own folder, by default
`data_dir/fabric`) and every start step is idempotent: a second start (after a stop or a crash)
reuses the crypto, the ledger, the wallets, the DIDs and the keys.

The operator keys of the utility, the auditor and the verifier are kept in `utility/operator.key`,
`auditor/operator.key` and `verifier/operator.key` under `data_dir` (0600): the operator signs in to
the service's pages as "operator" with it, and a script sends it in `X-Operator-Key`.

Ports from `base_port` N: agents N..N+31 (see agents.spec), controllers N+1001, N+1011, N+1021,
N+1031 (utility, customer webhooks, auditor, verifier), dev peer gateway N+50, wallet pages N+60.
A Fabric network keeps its own ports (`emissions network`: its base port .. +79).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from agents import AgentSpec, AgentSupervisor, RunningAgent, agent_specs
from chaincode.emissions.shipped import load_editions, load_fuel_editions, load_utilities
from controllers.acapy import AcaPyAdmin
from controllers.auditor import AuditManager, AuditorConfig
from controllers.auditor import build_app as auditor_app
from custody import (
    BillCustody, LocalContentStore, Recipient, generate_private_key, load_private_key, public_multibase,
    save_private_key,
)
from controllers.customer.host import HostConfig, WalletHost
from controllers.customer.service import build_app as wallet_pages_app
from controllers.issuance import EmissionsIssuer, IssuerSettings, StageClock
from controllers.ledger import AuditorSpec, LedgerSession, create_secret_file, read_secret_file, open_ledger
from controllers.ledger.registry import AuditorDirectory
from controllers.oid4vc import CredentialIssuer
from emissions.stack.backends import DevPeerLedger, LedgerAccess, LedgerChoice
from emissions.stack.demo import StackClient
from emissions.stack.devpeer_process import DevPeerProcess
from emissions.stack.governance import prepare_ledger
from emissions.stack.ports import ensure_free
from emissions.stack.ledger_network import AUDITOR_ORGS, LedgerLayout
from controllers.utility.service import UtilityConfig, UtilityService
from controllers.utility.service import build_app as utility_app
from controllers.verifier import EmissionsVerifier, VerifierService
from controllers.verifier.proofs import ProofChecker
from controllers.verifier import build_app as verifier_app
from controllers.verifier.oid4vp import PresentationVerifier
from controllers.workflow import WorkflowStore

__all__ = ["EmbeddedStack", "StackConfig"]

Say = Callable[[str], None]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class StackConfig:
    data_dir: Path
    base_port: int = 8020
    utility_id: int = 14328  # Pacific Gas & Electric
    edition: str = "eGRID2023"
    # The wallet shares emissions credentials with verifiers unasked (the demo); otherwise each
    # request waits for the person on the wallet pages (`emissions up`).
    auto_share_emissions: bool = False
    # New wallets from one address per minute; the demo signs its customers up from loopback.
    signups_per_minute: int = 30
    # Where the ledger comes from: the dev peer (default) or a real Fabric network (FabricLedger).
    ledger: LedgerChoice = field(default_factory=DevPeerLedger)
    say: Say = field(default=lambda _: None, repr=False)

    @property
    def gateway_port(self) -> int:
        return self.base_port + 50

    @property
    def wallet_pages_port(self) -> int:
        return self.base_port + 60


class EmbeddedStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir.resolve()
        self.ledger = config.ledger.backend(self.data_dir, config.gateway_port, config.say)
        self.ledger_access: LedgerAccess  # set by start()
        self.supervisor = AgentSupervisor(self.data_dir / "agents", progress=lambda role, m: config.say(f"agent {role}: {m}"))
        self.agents: dict[str, RunningAgent] = {}
        self.clock = StageClock()
        self._exit = AsyncExitStack()
        self._specs: dict[str, AgentSpec] = {}
        # set by start()
        self.utility: UtilityService
        self.wallets: WalletHost
        self.auditor: AuditManager
        self.verifier: VerifierService
        self.auditor_ledger: LedgerSession
        self.http: aiohttp.ClientSession
        self.operator_key = ""  # the utility's
        self.auditor_key = ""  # the auditor's
        self.verifier_key = ""  # the verifier's

    # -- where to look ------------------------------------------------------------------------
    @property
    def layout(self) -> LedgerLayout:
        """The dev peer's layout (dev peer backend only)."""
        return self.ledger.layout

    @property
    def devpeer(self) -> DevPeerProcess:
        """The dev peer's process (dev peer backend only)."""
        return self.ledger.process

    def url(self, role: str) -> str:
        return f"http://{HOST}:{self.agents[role].controller_port}"

    @property
    def wallet_url(self) -> str:
        return f"http://{HOST}:{self.config.wallet_pages_port}"

    @property
    def verifier_url(self) -> str:
        return self.url("verifier")

    def client(self, http: aiohttp.ClientSession) -> StackClient:
        """The running stack's public HTTP APIs, with the operator keys from its data directory."""
        return StackClient(http, self.url("utility"), self.wallet_url, self.url("auditor"), self.verifier_url,
                           self.operator_key, self.auditor_key, self.verifier_key)

    # -- start / stop -------------------------------------------------------------------------
    async def start(self) -> None:
        say = self.config.say
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._specs = agent_specs(self.data_dir / "agents", base_port=self.config.base_port)
            # The ports this process binds itself; the dev peer and the agents may already be running.
            ensure_free(HOST, {**{f"{role} service": spec.controller_port for role, spec in self._specs.items()},
                               "wallet pages": self.config.wallet_pages_port})
            access = self.ledger_access = await self.ledger.start()
            secret = (read_secret_file(access.index_secret) if access.index_secret.exists()
                      else create_secret_file(access.index_secret))
            profiles = access.profiles
            say(f"ledger: connection profiles in {profiles} (emissions ledger --profile {profiles}/VerifierMSP.toml ...)")
            self.agents = await self.supervisor.up(self._specs, timeout=90)
            await self._controllers(self._specs, access, secret)
        except BaseException:
            await self.stop()
            raise

    async def _serve(self, app: web.Application, *ports: int) -> None:
        runner = web.AppRunner(app, access_log=None)  # access logs would carry exchange ids with timing
        await runner.setup()
        self._exit.push_async_callback(runner.cleanup)
        for port in ports:
            await web.TCPSite(runner, HOST, port).start()

    async def _admin(self, role: str) -> AcaPyAdmin:
        agent = self.agents[role]
        return await self._exit.enter_async_context(AcaPyAdmin(agent.admin_url, agent.api_key, timeout=30))

    async def _controllers(self, specs, access: LedgerAccess, secret: bytes) -> None:
        self.http = await self._exit.enter_async_context(aiohttp.ClientSession())
        utility_key = str(self.config.utility_id)
        self.operator_key = _stored_secret(self.data_dir / "utility" / "operator.key")
        self.utility = UtilityService(UtilityConfig(utility_key, self.data_dir / "utility", self.operator_key),
                                      await self._admin("utility"))
        self._exit.callback(self.utility.close)
        await self._serve(utility_app(self.utility, specs["utility"].webhook_secret), specs["utility"].controller_port)
        await self.utility.start()

        urls = {utility_key: self.url("utility")}
        bills = LocalContentStore(self.data_dir / "bills")
        auditor_store = self._store(self.data_dir / "auditor" / "workflow.sqlite3")
        issuer = await self._ledger(access, secret, bills, auditor_store)
        self.auditor_key = _stored_secret(self.data_dir / "auditor" / "operator.key")
        self.auditor = AuditManager(AuditorConfig(self.data_dir / "auditor", urls), issuer.admin, self.http,
                                    auditor_store, issuer)
        # Wallets that speak only OpenID4VCI take credentials from the auditor's own service.
        oid4vci = CredentialIssuer(issuer.admin, issuer.settings.auditor_did, self.url("auditor"))
        await self._serve(auditor_app(self.auditor, specs["auditor"].webhook_secret, self.auditor_key, oid4vci=oid4vci),
                          specs["auditor"].controller_port)
        await self.auditor.start()

        verifier_ledger = await self._exit.enter_async_context(open_ledger(access.verifier))

        # One wallet per customer, each a sub-wallet of the customer agent; consent pages name the
        # auditor from the ledger's registry (read as the verifier's org reads it: public state).
        host_config = HostConfig(self.data_dir / "customer", urls,
                                 auto_share_emissions=self.config.auto_share_emissions, bill_store=bills,
                                 signups_per_minute=self.config.signups_per_minute,
                                 auditor_urls={issuer.settings.auditor_did: self.url("auditor")})
        self.wallets = WalletHost(host_config, await self._admin("customer"))
        self._exit.callback(self.wallets.close)
        # One app: the agent's webhooks arrive on the controller port, people use the pages port.
        await self._serve(wallet_pages_app(self.wallets, specs["customer"].webhook_secret,
                                           auditor_names=AuditorDirectory(verifier_ledger).name_of,
                                           sweep_interval=5.0),
                          specs["customer"].controller_port, self.config.wallet_pages_port)
        await self.wallets.start()

        # Proofs handed over directly are checked in worker processes, never by the verifier's agent
        # (see controllers.verifier.proofs); the workers start with the stack, in the background.
        proofs = await self._exit.enter_async_context(ProofChecker(workers=2))
        verifier_admin = await self._admin("verifier")
        emissions = EmissionsVerifier(verifier_admin, verifier_ledger, proofs)
        self.verifier = VerifierService(emissions, self._store(self.data_dir / "verifier" / "workflow.sqlite3"))
        self.verifier_key = _stored_secret(self.data_dir / "verifier" / "operator.key")
        # OpenID4VP requests are signed by a did:key of the verifier's agent (their client_id).
        oid4vp = PresentationVerifier(verifier_admin, (await verifier_admin.create_did_key()).did, self.verifier_url,
                                      emissions)
        await self._serve(verifier_app(self.verifier, specs["verifier"].webhook_secret, self.verifier_key, oid4vp=oid4vp),
                          specs["verifier"].controller_port)
        self.config.say(f"ready: wallet pages {self.wallet_url}, verifier {self.verifier_url}, "
                        f"auditor operator page {self.url('auditor')}/audits")

    def _store(self, path: Path) -> WorkflowStore:
        store = WorkflowStore(path)
        self._exit.callback(store.close)
        return store

    async def _ledger(self, access: LedgerAccess, secret: bytes, bills: LocalContentStore,
                      store: WorkflowStore) -> EmissionsIssuer:
        """Prepare the ledger (idempotent) and return the auditor org's issuer on it."""
        admin = await self._admin("auditor")
        state_file = self.data_dir / "auditors.json"
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        dids = {msp: (await admin.ensure_did_key(state.get(msp))).did for msp in AUDITOR_ORGS}
        state_file.write_text(json.dumps(dids, indent=2))
        keys = {msp: _x25519(self.data_dir / "auditors" / f"{msp}.x25519.jwk") for msp in AUDITOR_ORGS}
        edition = next(e for e in load_editions() if e.edition == self.config.edition)
        specs = [AuditorSpec(msp, f"{msp[:-3]} Assurance LLP", (dids[msp],), public_multibase(keys[msp].public_key()))
                 for msp in AUDITOR_ORGS]
        await prepare_ledger(access.admins, index_secret=secret, edition=edition,
                             utilities=load_utilities(), auditors=specs, fuel_editions=load_fuel_editions(),
                             say=self.config.say)
        self.auditor_ledger = await self._exit.enter_async_context(open_ledger(access.auditor))
        recipients = [Recipient.of(msp, public_multibase(key.public_key())) for msp, key in keys.items()]
        return EmissionsIssuer(IssuerSettings(dids["Auditor1MSP"], edition=self.config.edition), admin,
                               self.auditor_ledger, BillCustody(bills), store, recipients, clock=self.clock)

    async def stop(self, *, agents: bool = True, ledger: bool = True) -> None:
        await self._exit.aclose()
        if agents:
            await self.supervisor.down()
        if ledger:
            await self.ledger.stop()  # a Fabric network only if this start started it


def _x25519(path: Path):
    if path.exists():
        return load_private_key(path)
    key = generate_private_key()
    save_private_key(key, path)
    return key


def _stored_secret(path: Path) -> str:
    """A random secret kept in a 0600 file, made on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
