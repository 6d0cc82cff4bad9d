"""`EmissionsIssuer`: a consented bill in, one anchored, issued credential per billing period out.

A bill is Green Button XML or CSV (sniffed; its format travels with the record) for electricity
(Scope 2, kWh) or natural gas (Scope 1, in the unit the bill states).

Per bill:  parse + aggregate -> deposit the encrypted feed (custody) -> per period, in order:
RecordEmissions (personal data as transient) -> commit -> read back the public record and the
private detail (and check its hash on the ledger); then the periods' credentials go out over
DIDComm side by side (at most `max_deliveries` offers in flight over all bills).

Every step's outcome is written to the WorkflowStore before the next one starts, and each step is
safe to repeat: RecordEmissions replays an identical request as the existing record, the custody
receipt is kept so a bill is deposited once, and an offer already made is followed, not repeated.
So a controller killed anywhere reruns to the same records and credentials, without duplicates.

A customer's periods go one after another: consecutive billing periods usually touch a common
month, and each RecordEmissions reads and writes that month's bucket of the customer's private
index, so two in one block would fail MVCC validation. Different customers run in parallel.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from controllers.acapy import AcaPyAdmin, CredentialExchange, ExchangeWaiter
from custody import BillCustody, Recipient
from greenbutton import delivered_electricity, electricity_usage_by_period, gas_usage_by_period, read_usage
from controllers.issuance.bill import BillOwner, ConsentedBill
from credentials.emissions import LedgerAnchor, emissions_credential
from controllers.issuance.delivery import deliver_credential, find_offer
from controllers.issuance.stages import StageClock
from controllers.ledger import (
    BillReference,
    CustomerDetail,
    GasUsage,
    LedgerError,
    RecordRequest,
    detail_hash,
    fuel_unit,
)
from controllers.ledger import LedgerSession
from controllers.workflow import WorkflowRecord, WorkflowStore
from network.gateway import CommitError, EndorseError

__all__ = ["EmissionsIssuer", "IssuanceError", "IssuedCredential", "IssuerSettings"]

LOG = logging.getLogger(__name__)
BILL = "emissions-bill"
PERIOD = "emissions-period"
_RETRIED_CODES = {"MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"}


class IssuanceError(Exception):
    """A bill could not be turned into credentials; the message names the bill step, never the customer."""


@dataclass(frozen=True)
class IssuerSettings:
    auditor_did: str  # the auditor org's registered did:key, held by its ACA-Py agent
    edition: str = "eGRID2023"  # Scope 2 factors
    fuel_edition: str = "GHGHub2024"  # Scope 1 factors
    bill_format: str = "espi-atom+xml"  # for periods stored before the format was sniffed
    exchange_timeout: float = 30.0
    commit_retries: int = 5
    max_deliveries: int = 4  # the holder's wallet, not the auditor, is the limit (one sqlite store)


@dataclass(frozen=True)
class IssuedCredential:
    bill_id: str
    period_start: str
    period_end: str
    kwh: str | None  # scope 2
    location_tco2e: str | None
    market_tco2e: str | None
    anchor: LedgerAnchor
    credential: dict[str, Any] = field(repr=False)
    cred_ex_id: str = ""


def _transient(exc: LedgerError) -> bool:
    """Whether a failed RecordEmissions may succeed as it is, a moment later.

    MVCC and phantom conflicts at commit: a concurrent transaction changed what this one read. And
    endorsements that disagree: on a real network the other auditor org's peer commits a block a
    moment after the gateway's own peer, so a customer's next period, which reads the customer
    index bucket the previous one wrote, can run there on the state before it. (A chaincode that
    really is non-deterministic keeps disagreeing, and fails after the retries.)"""
    cause = exc.__cause__
    if isinstance(cause, CommitError):
        return cause.validation_code_name in _RETRIED_CODES
    return isinstance(cause, EndorseError) and any(
        "ProposalResponsePayloads do not match" in d.message for d in cause.details)


def _ledger_gas_unit(unit: str) -> str:
    try:
        return fuel_unit(unit)
    except ValueError as exc:
        raise IssuanceError(str(exc)) from None


def _period_key(bill_id: str, index: int) -> str:
    return f"{bill_id}#{index:03d}"


@dataclass
class EmissionsIssuer:
    settings: IssuerSettings
    admin: AcaPyAdmin
    ledger: LedgerSession
    custody: BillCustody
    store: WorkflowStore
    auditor_recipients: Sequence[Recipient]  # each active auditor org's key (kid = MSP id)
    clock: StageClock = field(default_factory=StageClock)
    # Fed by the auditor agent's webhooks (WebhookReceiver.waiter); issue_bill waits on it for the
    # holder to store each credential. The step methods never wait, so a service driving them needs none.
    waiter: ExchangeWaiter | None = None

    def __post_init__(self) -> None:
        # Offers in flight at once, over all bills: each holds a session in both wallets while it runs.
        self._deliveries = asyncio.Semaphore(self.settings.max_deliveries)

    # -- one bill ---------------------------------------------------------------------------------
    async def issue_bill(self, bill: ConsentedBill) -> list[IssuedCredential]:
        """Anchor the bill's periods one after another, deliver their credentials side by side."""
        waiter = self.waiter
        if waiter is None:
            # Checked before anything is anchored: without it every delivery would time out.
            raise ValueError("issue_bill needs EmissionsIssuer(waiter=...), fed by the auditor agent's webhooks")
        deposited = await self._deposited(bill)
        steps = [await self._anchored(bill, deposited, index) for index in range(len(deposited["periods"]))]
        return list(await asyncio.gather(*(self._delivered(bill, step, waiter) for step in steps)))

    # -- the steps, each safe to repeat (the auditor's pipeline drives them one by one) -------------
    async def usage(self, feed: bytes) -> list[dict[str, Any]]:
        """The bill's usage per billing period, parsed once: delivered electricity in kWh ("kwh"), or for
        a bill without electricity the gas delivered ("gas" and its "unit"); each with the bill's
        "format" and the reader's "notices" (what it assumed or resolved). IssuanceError if none."""
        with self.clock.stage("parse"):
            kind, document = await asyncio.to_thread(read_usage, feed)
        with self.clock.stage("calculate"):
            if delivered_electricity(document):
                periods = [{"start": p.start.isoformat(), "end": p.end.isoformat(), "kwh": str(p.kwh),
                            "notices": [n.to_json() for n in p.notices]}
                           for p in electricity_usage_by_period(document)]
            else:
                periods = [{"start": p.start.isoformat(), "end": p.end.isoformat(), "gas": str(p.quantity),
                            "unit": _ledger_gas_unit(p.unit), "notices": [n.to_json() for n in p.notices]}
                           for p in gas_usage_by_period(document)]
        if not periods:
            raise IssuanceError("no delivered electricity or gas falls in any billing period")
        return [{**period, "format": kind} for period in periods]

    async def deposit(self, feed: bytes, customer_key_agreement: str) -> dict[str, str]:
        """Encrypt the raw bill to the customer and every active auditor org, store it by content id."""
        recipients = [Recipient.of(customer_key_agreement, customer_key_agreement), *self.auditor_recipients]
        with self.clock.stage("encrypt+store"):
            receipt = await self.custody.deposit(feed, recipients)
        return {"cid": receipt.cid, "sha256": receipt.plaintext_sha256}

    def credential(self, anchored: dict[str, Any]) -> dict[str, Any]:
        """The unsigned credential for an anchored period (the agent signs it when it issues)."""
        return emissions_credential(issuer_did=self.settings.auditor_did, record=anchored["record"],
                                    detail=anchored["detail"], anchor=LedgerAnchor(**anchored["anchor"]))

    async def offer(self, connection_id: str, credential: dict[str, Any], *, maybe_offered: bool) -> CredentialExchange:
        """Offer the credential once: an offer already made for the same credential id is returned."""
        found = await find_offer(self.admin, connection_id, credential["id"]) if maybe_offered else None
        if found is not None:
            return found
        with self.clock.stage("issue"):
            return await self.admin.send_credential_offer(
                connection_id, credential, auto_issue=True,
                comment=f"Your audited Scope {credential['credentialSubject'].get('ghgScope', '2')} emissions")

    async def _deposited(self, bill: ConsentedBill) -> dict[str, Any]:
        found = self.store.get(BILL, bill.bill_id)
        if found is not None:
            return found.data
        try:
            periods = await self.usage(bill.feed)
        except IssuanceError as exc:
            raise IssuanceError(f"bill {bill.bill_id}: {exc}") from None
        data = {**await self.deposit(bill.feed, bill.customer_key_agreement), "periods": periods}
        self.store.put(BILL, bill.bill_id, "deposited", data)
        return data

    async def _anchored(self, bill: ConsentedBill, deposited: dict[str, Any], index: int) -> WorkflowRecord:
        key = _period_key(bill.bill_id, index)
        step = self.store.get(PERIOD, key)
        if step is None:
            anchored = await self.anchor(bill, deposited, deposited["periods"][index])
            step = self.store.put(PERIOD, key, "anchored", anchored)
        return step

    async def _delivered(self, bill: ConsentedBill, step: WorkflowRecord, waiter: ExchangeWaiter) -> IssuedCredential:
        key = step.key
        data = step.data
        anchor = LedgerAnchor(**data["anchor"])
        credential = self.credential(data)
        if step.state != "issued":
            # "offering" is recorded before the offer goes out: only a controller that stopped
            # after that point needs to look for an offer it may already have made.
            resumed = step.state == "offering"
            if not resumed:
                step = self.store.update(PERIOD, key, expected_version=step.version, state="offering")
            async with self._deliveries:
                with self.clock.stage("issue"):
                    exchange = await deliver_credential(self.admin, bill.connection_id, credential, waiter=waiter,
                                                        timeout=self.settings.exchange_timeout, maybe_offered=resumed)
            signed = exchange.credential or credential
            step = self.store.update(PERIOD, key, expected_version=step.version, state="issued",
                                     data={**data, "cred_ex_id": exchange.cred_ex_id, "credential": signed})
        record, emissions = step.data["record"], step.data["detail"]["emissions"]
        electricity = record.get("scope", 2) == 2
        return IssuedCredential(
            bill_id=bill.bill_id, period_start=record["period_start"], period_end=record["period_end"],
            kwh=emissions["kwh"] if electricity else None,
            location_tco2e=emissions["location"]["emissions"]["co2e_t"] if electricity else None,
            market_tco2e=emissions["market"]["emissions"]["co2e_t"] if electricity else None,
            anchor=anchor, credential=step.data["credential"], cred_ex_id=step.data["cred_ex_id"],
        )

    async def anchor(self, bill: BillOwner, deposited: dict[str, Any], period: dict[str, Any]) -> dict[str, Any]:
        """RecordEmissions for one period of a deposited bill (`deposited`: its cid and sha256), read
        back and checked; an identical repeat returns the existing record. A gas period is a Scope 1
        record of natural gas, an electricity period a Scope 2 record."""
        gas = "gas" in period
        request = RecordRequest(
            utility_id=bill.utility_id, period_start=datetime.fromisoformat(period["start"]),
            period_end=datetime.fromisoformat(period["end"]),
            edition=self.settings.fuel_edition if gas else self.settings.edition,
            auditor_did=self.settings.auditor_did, scope=1 if gas else 2, fuel="natural_gas" if gas else "",
        )
        detail = CustomerDetail(customer_did=bill.customer_did, account_id=bill.account_id,
                                service_point_id=bill.service_point_id,
                                kwh=None if gas else Decimal(period["kwh"]),
                                gas=GasUsage(Decimal(period["gas"]), period["unit"]) if gas else None,
                                bill=BillReference(period.get("format", self.settings.bill_format), deposited["cid"],
                                                   deposited["sha256"]))
        with self.clock.stage("anchor"):
            outcome = await self._record(request, detail)
            record = outcome.record
            status = await self.ledger.transaction_status(record["tx_id"])
            stored = await self.ledger.get_record_detail(record["record_id"])
            check = await self.ledger.verify_record(record["record_id"], detail_hash(stored))
        if not status.valid or not check["matches"]:
            raise IssuanceError(f"record {record['record_id']} does not read back as anchored "
                                f"(transaction {status.code_name}, detail hash matches: {check['matches']})")
        anchor = LedgerAnchor(self.ledger.profile.channel, self.ledger.profile.chaincode, record["record_id"],
                              record["tx_id"], status.block_number)
        return {"record": record, "detail": stored, "anchor": vars(anchor), "replayed": outcome.replayed}

    async def _record(self, request: RecordRequest, detail: CustomerDetail):
        for attempt in range(self.settings.commit_retries + 1):
            try:
                return await self.ledger.client.record_emissions(request, detail)
            except LedgerError as exc:
                if not _transient(exc) or attempt == self.settings.commit_retries:
                    raise
                # Another transaction of the same customer won the block, or the other org's peer has
                # not committed this customer's previous period yet; the replay rule makes retrying safe.
                await asyncio.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")

