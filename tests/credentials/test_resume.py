"""The auditor controller killed mid-batch (SIGKILL, no cleanup) and rerun: every period ends up
with exactly one record on the ledger and exactly one credential in the customer's wallet."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from custody import public_multibase
from credentials import credential_id_for
from controllers.workflow import WorkflowStore

from testkit.policy import ROOT
from tests.credentials.holder import Holder
from tests.credentials.world import PGE

BILLS = 3


def _job(world, data_dir) -> dict:
    bills = []
    for n in range(BILLS):
        bill = world.bill(f"bill-{n}", account=f"ACCT-77{n}-0001", seed=20 + n)
        feed = data_dir / f"feed-{n}.xml"
        feed.write_bytes(bill.feed)
        bills.append({"bill_id": bill.bill_id, "connection_id": bill.connection_id, "customer_did": bill.customer_did,
                      "customer_key_agreement": bill.customer_key_agreement, "utility_id": bill.utility_id,
                      "account_id": bill.account_id, "service_point_id": bill.service_point_id, "feed": str(feed)})
    profile = world.auditor_ledger.profile
    spec = world.agents.specs["auditor"]
    return {
        "data_dir": str(data_dir), "gateway": profile.gateway, "msp_id": profile.msp_id, "msp_dir": str(profile.msp_dir),
        "admin_url": world.auditor_admin.base_url, "api_key": world.agents.running["auditor"].api_key,
        "auditor_did": world.parties.auditor_dids["Auditor1MSP"],
        "recipients": [[msp, public_multibase(key.public_key())] for msp, key in world.parties.auditor_keys.items()],
        "bills": bills,
        # The runner is the auditor's controller: its agent's webhooks go to it.
        "webhook_host": spec.host, "webhook_port": spec.controller_port, "webhook_secret": spec.webhook_secret,
    }


def _issued(data_dir) -> int:
    path = data_dir / "workflow.sqlite3"
    if not path.exists():
        return 0
    with WorkflowStore(path) as store:
        return len(store.list("emissions-period", states=["issued"]))


async def test_killed_mid_batch_then_rerun_completes_without_duplicates(ledger_world_without_webhooks, tmp_path):
    world = ledger_world_without_webhooks
    data_dir = tmp_path / "auditor-process"
    data_dir.mkdir()
    job_file = data_dir / "job.json"
    job_file.write_text(json.dumps(_job(world, data_dir)))
    async with Holder(world.customer_admin).running():
        process = subprocess.Popen([sys.executable, "-m", "tests.credentials.batch_runner", str(job_file)], cwd=ROOT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while _issued(data_dir) < 4 and process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert process.poll() is None, f"the batch ended before it could be killed: {process.stderr.read()!r}"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_at = _issued(data_dir)
        assert 4 <= killed_at < 3 * BILLS

        # The rerun: the same job, in this process, through the public batch API.
        from tests.credentials.batch_runner import run
        assert await run(json.loads(job_file.read_text())) == 0
        await asyncio.sleep(0.3)  # the customer's agent stores the last credential

    assert _issued(data_dir) == 3 * BILLS
    page = await world.verifier_ledger.client.query_records(
        PGE, datetime(2023, 12, 1, tzinfo=UTC), datetime(2024, 5, 1, tzinfo=UTC), page_size=100)
    records = page["records"]
    assert len(records) == 3 * BILLS and len({r["record_id"] for r in records}) == 3 * BILLS
    wanted = {credential_id_for(r["record_id"]) for r in records}
    # The agents are shared across test packages: other credentials (some without an id) are held too.
    held = [c["cred_value"].get("id") for c in await world.customer_admin.w3c_credentials(max_results=1000)
            if c["cred_value"].get("id") in wanted]
    assert sorted(held) == sorted(wanted)  # each exactly once
    offers = [x for x in await world.auditor_admin.credential_exchanges(connection_id=world.parties.auditor_connection)
              if (x.offer or {}).get("credential", {}).get("id") in wanted]
    assert len(offers) == 3 * BILLS
