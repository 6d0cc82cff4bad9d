"""Bringing a fresh ledger to the state most tests start from."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from controllers.ledger import AuditorSpec, BillReference, CustomerDetail, RecordRequest

from testkit.ledger import AUDITORS, PGE, LedgerNetwork, small_edition

DIDS = {
    "Auditor1MSP": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "Auditor2MSP": "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG",
}
KEY_AGREEMENT = {
    "Auditor1MSP": "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc",
    "Auditor2MSP": "z6LSeu9HkTHSfLLeUs2nnzUSNedgDUevfNQgQjQC23ZCit6F",
}


def auditor_spec(msp_id: str) -> AuditorSpec:
    return AuditorSpec(msp_id, f"{msp_id[:-3]} Assurance LLP", (DIDS[msp_id],), KEY_AGREEMENT[msp_id])


INDEX_SECRET = bytes(range(32))  # the customer index HMAC key; a real one comes from new_secret()


async def bootstrap(network: LedgerNetwork) -> None:
    """Both founders approve; the first brings the customer index secret, the second need not."""
    for msp, secret in zip(AUDITORS, (INDEX_SECRET, None)):
        async with network.client(msp, "Admin") as admin:
            await admin.bootstrap(AUDITORS, secret)


async def register(network: LedgerNetwork, msp_id: str) -> dict:
    async with network.client("Auditor1MSP", "Admin") as first, network.client("Auditor2MSP", "Admin") as second:
        proposal = await first.propose_auditor(auditor_spec(msp_id))
        return await second.approve(proposal["proposal_id"])


async def governed_with_factors(network: LedgerNetwork) -> None:
    """Bootstrapped by both auditor orgs, both registered, the small eGRID2023 edition sealed."""
    await bootstrap(network)
    for msp in AUDITORS:
        await register(network, msp)
    edition, utilities = small_edition()
    async with network.client("Auditor1MSP", "Admin") as admin:
        await admin.load_edition(edition, utilities, batch_size=2)


def record_request(**changes) -> RecordRequest:
    values = dict(
        utility_id=PGE, period_start=datetime(2024, 1, 1, tzinfo=UTC), period_end=datetime(2024, 2, 1, tzinfo=UTC),
        edition="eGRID2023", auditor_did=DIDS["Auditor1MSP"],
    )
    values.update(changes)
    return RecordRequest(**values)


CUSTOMER_DID = "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH"
ACCOUNT = "ACCT-0042-7781"
SERVICE_POINT = "SP-99-1234"


def customer(kwh: str | None = "1234.567", *, bill_hash: str = "b" * 64, **changes) -> CustomerDetail:
    """The private detail; `bill_hash` names the bill (a repeat with the same period and bill is a replay)."""
    bill = BillReference("espi-atom+xml", "sha256:" + "c" * 64, bill_hash)
    values = dict(customer_did=CUSTOMER_DID, account_id=ACCOUNT, service_point_id=SERVICE_POINT,
                  kwh=None if kwh is None else Decimal(kwh),
                  bill=bill)
    values.update(changes)
    return CustomerDetail(**values)
