"""Real agents, a real dev peer and the stack's ledger preparation, for the credential tests.

`parties` (session): the auditor's two org DIDs and the customer's DID in their agents, each auditor
org's X25519 bill key, the customer's, and DIDComm connections auditor<->customer and
verifier<->customer. `ledger_world` (per test): a fresh dev peer, governed, factors sealed, both
auditors registered; with the issuer and verifier objects wired to it, and the auditor's and
verifier's webhooks heard on their controller ports while the test runs (other test packages run
their own controllers there). `ledger_world_without_webhooks`: the same, with nobody listening, for
a test that runs its own auditor controller.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from controllers.acapy import AcaPyAdmin, ExchangeWaiter, WebhookReceiver
from custody import BillCustody, LocalContentStore, Recipient, generate_private_key, public_multibase
from greenbutton import generate_feed
from controllers.issuance import ConsentedBill, EmissionsIssuer, IssuerSettings
from controllers.ledger import AuditorSpec
from emissions.stack.governance import prepare_ledger
from emissions.stack.ledger_network import AUDITOR_ORGS, VERIFIER_ORG, LedgerLayout
from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.proofs import ProofChecker
from controllers.ledger import LedgerSession, open_ledger
from controllers.workflow import WorkflowStore
from network.devpeer import DevPeer
from network.devpeer.config import config_from_mapping
from testkit.ledger import small_edition

INDEX_SECRET = bytes(range(1, 33))
PGE = 14328


@dataclasses.dataclass
class Parties:
    auditor_dids: dict[str, str]
    auditor_keys: dict[str, X25519PrivateKey]
    customer_did: str
    customer_key: X25519PrivateKey
    auditor_connection: str  # the auditor's connection id to the customer
    verifier_connection: str  # the verifier's connection id to the customer


async def _connect(inviter: AcaPyAdmin, invitee: AcaPyAdmin) -> str:
    invitation = await inviter.create_invitation(auto_accept=True)
    theirs = await invitee.receive_invitation(invitation.invitation)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ours = await inviter.connections(invitation_msg_id=invitation.invitation_msg_id)
        if ours and ours[0].is_active and (await invitee.connection(theirs.connection_id)).is_active:
            return ours[0].connection_id
        await asyncio.sleep(0.05)
    raise AssertionError("DIDComm connection did not become active")


@pytest.fixture(scope="session")
def parties(agent_network) -> Parties:
    async def make() -> Parties:
        async with agent_network.admin("auditor") as auditor, agent_network.holder() as customer, \
                agent_network.admin("verifier") as verifier:
            dids = {msp: (await auditor.create_did_key()).did for msp in AUDITOR_ORGS}
            customer_did = (await customer.create_did_key()).did
            return Parties(dids, {msp: generate_private_key() for msp in AUDITOR_ORGS}, customer_did,
                           generate_private_key(), await _connect(auditor, customer), await _connect(verifier, customer))

    return asyncio.run(make())


@dataclasses.dataclass
class LedgerWorld:
    agents: object
    parties: Parties
    peer: DevPeer
    layout: LedgerLayout
    data_dir: Path
    auditor_admin: AcaPyAdmin
    customer_admin: AcaPyAdmin
    verifier_admin: AcaPyAdmin
    auditor_ledger: LedgerSession
    verifier_ledger: LedgerSession
    custody: BillCustody
    store: WorkflowStore
    recipients: list[Recipient]
    proofs: ProofChecker
    hooks: dict[str, WebhookReceiver] = dataclasses.field(default_factory=dict)  # role -> its agent's webhooks

    def waiter(self, role: str) -> ExchangeWaiter:
        if role not in self.hooks:
            raise LookupError(f"this world does not listen for the {role} agent's webhooks")
        return self.hooks[role].waiter

    def issuer(self, msp: str = "Auditor1MSP", store: WorkflowStore | None = None) -> EmissionsIssuer:
        return EmissionsIssuer(IssuerSettings(self.parties.auditor_dids[msp], exchange_timeout=20), self.auditor_admin,
                               self.auditor_ledger, self.custody, store or self.store, self.recipients,
                               waiter=self.waiter("auditor"))

    def verifier(self, ledger: LedgerSession | None = None) -> EmissionsVerifier:
        return EmissionsVerifier(self.verifier_admin, ledger or self.verifier_ledger, self.proofs)

    def bill(self, bill_id: str = "bill-1", *, account: str = "ACCT-3141-5926", days: int = 90, seed: int = 11,
             start: date = date(2024, 1, 1)) -> ConsentedBill:
        feed = generate_feed(seed=seed, start=start, days=days, interval_seconds=3600)
        return ConsentedBill(bill_id, self.parties.auditor_connection, self.parties.customer_did,
                             public_multibase(self.parties.customer_key.public_key()), PGE, account, "SP-2718", feed)


def auditor_specs(parties: Parties) -> list[AuditorSpec]:
    return [AuditorSpec(msp, f"{msp[:-3]} Assurance LLP", (parties.auditor_dids[msp],),
                        public_multibase(parties.auditor_keys[msp].public_key())) for msp in AUDITOR_ORGS]


@pytest.fixture
async def ledger_world_without_webhooks(agent_network, parties, tmp_path) -> AsyncIterator[LedgerWorld]:
    layout = LedgerLayout(tmp_path / "ledger")
    layout.ensure_crypto()
    peer = DevPeer(config_from_mapping(layout.devpeer_mapping(), tmp_path))
    await peer.start()
    try:
        edition, utilities = small_edition()
        await prepare_ledger(layout.admin_profiles(peer.address), index_secret=INDEX_SECRET, edition=edition,
                             utilities=utilities, auditors=auditor_specs(parties))
        async with AsyncExitStack() as stack:
            admins = [await stack.enter_async_context(agent_network.admin("auditor", timeout=30)),
                      await stack.enter_async_context(agent_network.holder(timeout=30)),
                      await stack.enter_async_context(agent_network.admin("verifier", timeout=30))]
            auditor_ledger = await stack.enter_async_context(open_ledger(layout.profile(peer.address, "Auditor1MSP")))
            verifier_ledger = await stack.enter_async_context(open_ledger(layout.profile(peer.address, VERIFIER_ORG)))
            store = WorkflowStore(tmp_path / "auditor" / "workflow.sqlite3")
            stack.callback(store.close)
            recipients = [Recipient.of(a["msp_id"], a["key_agreement_key"])
                          for a in await auditor_ledger.client.list_auditors("active")]
            proofs = ProofChecker(workers=2)  # its workers start on first use: most tests never need them
            stack.push_async_callback(proofs.close)
            yield LedgerWorld(agent_network, parties, peer, layout, tmp_path, *admins, auditor_ledger, verifier_ledger,
                              BillCustody(LocalContentStore(tmp_path / "bills")), store, recipients, proofs)
    finally:
        await peer.stop()


@pytest.fixture
async def ledger_world(ledger_world_without_webhooks, agent_network) -> AsyncIterator[LedgerWorld]:
    async with agent_network.webhooks("auditor", "verifier") as hooks:
        yield dataclasses.replace(ledger_world_without_webhooks, hooks=hooks)
