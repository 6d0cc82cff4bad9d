"""The verifier under a burst: every answer is the truth or "busy, retry", and it stays healthy.

Before, 40 to 50 concurrent checks through the verifier's ACA-Py agent called genuine credentials
"rejected", and the agent then answered nothing for minutes (acapy#3492). Proofs are now checked
in worker processes (see controllers/verifier/proofs) behind an admission queue."""

from __future__ import annotations

import asyncio
from collections import Counter

from aiohttp.test_utils import TestClient, TestServer

from controllers.verifier import VerifierService, build_app
from controllers.workflow import WorkflowStore

from tests.credentials.holder import Holder

BURST, CONCURRENCY, AFTER = 500, 100, 20


async def test_a_burst_of_500_at_concurrency_100_then_20_in_a_row_all_correct(ledger_world):
    world = ledger_world
    async with Holder(world.customer_admin).running():
        issued = await world.issuer().issue_bill(world.bill(days=31))
    await world.proofs.start()  # warm workers: the burst measures checking, not process start
    store = WorkflowStore(world.data_dir / "verifier" / "workflow.sqlite3")
    outcomes: Counter[str] = Counter()
    try:
        async with TestClient(TestServer(build_app(VerifierService(world.verifier(), store), "secret"))) as http:
            body = {"verifiableCredential": issued[0].credential}
            todo = iter(range(BURST))

            async def caller() -> None:
                """A well-behaved client: on 503 it waits as told, then asks again."""
                for _ in todo:
                    while (answer := await http.post("/api/verify", json=body)).status == 503:
                        outcomes["busy"] += 1
                        await asyncio.sleep(int(answer.headers["Retry-After"]))
                    assert answer.status == 200, await answer.text()
                    [verdict] = (await answer.json())["verdicts"]
                    outcomes[verdict["status"]] += 1

            await asyncio.gather(*(caller() for _ in range(CONCURRENCY)))
            assert outcomes["verified"] == BURST, outcomes  # none rejected, none an error
            assert outcomes["busy"] > 0, outcomes  # the queue was full at times: 503s were given

            after = []
            for _ in range(AFTER):
                answer = await http.post("/api/verify", json=body)
                assert answer.status == 200
                after.append((await answer.json())["verdicts"][0]["status"])
            assert after == ["verified"] * AFTER
    finally:
        store.close()
