"""No personal data on the public side of the ledger: public state, its history, private data
hashes, blocks (which carry every transaction and its events) and the event stream are scanned for
the customer's DID, account, service point, each period's kWh and tCO2e, and the bill's id and hash
after a full issuance."""

from __future__ import annotations

import asyncio
import sqlite3

from credentials import read_emissions_credential
from network.gateway import connect, create_channel
from network.msp import load_msp

from tests.credentials.holder import Holder

PUBLIC_TABLES = {"blocks": "block", "state": "value", "history": "value", "pvt_hash": "value_hash", "txs": "tx_id"}


async def _events(world) -> list[bytes]:
    profile = world.verifier_ledger.profile
    member = load_msp(profile.msp_dir, profile.msp_id)
    channel = create_channel(profile.gateway)
    payloads = []
    try:
        network = connect(channel, member.identity, member.signer).network(profile.channel)
        events = await network.chaincode_events(profile.chaincode, start_block=0)
        try:
            async with asyncio.timeout(3):
                async for event in events:
                    payloads.append(event.payload)
        except TimeoutError:
            pass  # the stream stays open for future blocks: everything so far has arrived
    finally:
        await channel.close()
    return payloads


async def test_no_personal_data_in_public_state_blocks_or_events(ledger_world):
    world = ledger_world
    bill = world.bill(account="ACCT-9988-7766")
    async with Holder(world.customer_admin).running():
        issued = await world.issuer().issue_bill(bill)
    claims = [read_emissions_credential(c.credential) for c in issued]
    secrets = {bill.customer_did, bill.account_id, bill.service_point_id,
               *(figure for c in claims for figure in (c.kwh, c.location_tco2e, c.market_tco2e, c.bill_sha256,
                                                      c.bill_content_id))}
    db = sqlite3.connect(world.layout.peer_data / "ledger.sqlite")
    try:
        scanned = 0
        for table, column in PUBLIC_TABLES.items():
            for (value,) in db.execute(f"SELECT {column} FROM {table}"):
                data = value if isinstance(value, bytes) else str(value).encode()
                scanned += 1
                leaks = [s for s in secrets if s.encode() in data]
                assert not leaks, f"{table}: {leaks}"
        # The private collection does hold them (proof the scan would find them if they leaked).
        private = b"".join(v for (v,) in db.execute("SELECT value FROM pvt"))
        assert bill.customer_did.encode() in private and bill.account_id.encode() in private
    finally:
        db.close()
    assert scanned > 10
    events = await _events(world)
    assert len(events) >= len(issued)
    assert not [s for s in secrets for e in events if s.encode() in e]
