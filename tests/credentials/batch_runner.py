"""An auditor controller process for the crash test: runs one issuance batch from a job file.

    python -m tests.credentials.batch_runner JOB.json

Like a real auditor controller it listens for its agent's webhooks (on the job's webhook host and
port, checking the job's secret) for as long as it runs: the deliveries wait on them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from aiohttp import web

from controllers.acapy import AcaPyAdmin, WebhookReceiver
from custody import BillCustody, LocalContentStore, Recipient
from controllers.issuance import ConsentedBill, EmissionsIssuer, IssuerSettings, ProgressBar, issue_batch
from controllers.ledger import ConnectionProfile
from controllers.ledger import open_ledger
from controllers.workflow import WorkflowStore


async def run(job: dict) -> int:
    data = Path(job["data_dir"])
    profile = ConnectionProfile(gateway=job["gateway"], msp_id=job["msp_id"], msp_dir=Path(job["msp_dir"]))
    bills = [ConsentedBill(**{**b, "feed": Path(b["feed"]).read_bytes()}) for b in job["bills"]]
    receiver = WebhookReceiver(job["webhook_secret"])
    webhooks = web.AppRunner(receiver.app("/webhooks"), access_log=None)
    await webhooks.setup()
    try:
        await web.TCPSite(webhooks, job["webhook_host"], job["webhook_port"], reuse_address=True).start()
        async with AcaPyAdmin(job["admin_url"], job["api_key"], timeout=30) as admin, open_ledger(profile) as ledger:
            with WorkflowStore(data / "workflow.sqlite3") as store:
                issuer = EmissionsIssuer(IssuerSettings(job["auditor_did"], exchange_timeout=20), admin, ledger,
                                         BillCustody(LocalContentStore(data / "bills")), store,
                                         [Recipient.of(kid, key) for kid, key in job["recipients"]],
                                         waiter=receiver.waiter)
                result = await issue_batch(issuer, bills, concurrency=1, progress=ProgressBar(len(bills), "bills"))
    finally:
        await webhooks.cleanup()
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(run(json.loads(Path(sys.argv[1]).read_text()))))
