"""Credential proof checks: the verifier agent's /vc/credentials/verify against ProofChecker.

Starts the auditor's and the verifier's real agents, has the auditor sign a few
UtilityEmissionsCredentials (Ed25519Signature2020), then checks N of them, in the same run:
1. through the verifier agent's /vc/credentials/verify, one at a time;
2. the same, 8 at a time;
3. through ProofChecker(workers=2), 8 at a time (warm-up timed apart).
For each: checks/s, median and max latency, and while it runs the worst wait of this process's
event loop and of the agent's GET /status (what every other admin call of the agent waits behind).
Run: .venv/bin/python benchmarks/proof_check.py [N]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

from controllers.acapy import AcaPyAdmin  # noqa: E402
from controllers.verifier.proofs import ProofChecker  # noqa: E402
from credentials.vocabulary import CREDENTIALS_V1, ED25519_2020_CONTEXT, EMISSIONS_TYPE, PROJECT_CONTEXT  # noqa: E402
from testkit.agents import start_agents, stop_agents  # noqa: E402

CONCURRENCY = 8
DISTINCT = 16  # distinct signed credentials, cycled through


def unsigned(issuer: str, n: int) -> dict[str, Any]:
    record_id = f"{n:064x}"
    return {
        "@context": [CREDENTIALS_V1, ED25519_2020_CONTEXT, PROJECT_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", EMISSIONS_TYPE],
        "issuer": issuer,
        "issuanceDate": "2025-03-01T10:00:00Z",
        "credentialSubject": {
            "id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "utilityEiaId": "14328",
            "accountId": f"ACCT-{n:04d}", "servicePointId": "SP-1", "periodStart": "2024-01-01", "periodEnd": "2024-02-01",
            "electricityKwh": f"{600 + n}.5", "locationBasedTco2e": "0.117123", "marketBasedTco2e": "0.117123",
            "emissionFactor": {"factorLevel": "subregion", "factorEdition": "eGRID2023", "factorSource": "eGRID2023 CAMX",
                               "locationFactorKgPerKwh": "0.19504", "marketFactorKgPerKwh": "0.19504"},
            "billContentId": "bafkreibench", "billSha256": "c" * 64,
            "ledgerAnchor": {"channel": "utilityemissions", "chaincode": "emissions", "recordId": record_id,
                             "transactionId": "f" * 64, "blockNumber": "7"},
            "recordDetail": {"record_id": record_id, "emissions": {"kwh": f"{600 + n}.5"}},
        },
    }


class Probe:
    """While a phase runs: the worst lag of this event loop, and the worst GET /status of the agent."""

    def __init__(self, agent: AcaPyAdmin) -> None:
        self.agent = agent
        self.loop_lag = 0.0
        self.status = 0.0

    async def _loop(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            self.loop_lag = max(self.loop_lag, time.perf_counter() - before - 0.01)

    async def _status(self) -> None:
        while True:
            before = time.perf_counter()
            await self.agent.request("GET", "/status")
            self.status = max(self.status, time.perf_counter() - before)
            await asyncio.sleep(0.1)

    async def during(self, work: Awaitable[Any]) -> Any:
        probes = [asyncio.create_task(self._loop()), asyncio.create_task(self._status())]
        try:
            return await work
        finally:
            for probe in probes:
                probe.cancel()
            await asyncio.gather(*probes, return_exceptions=True)


async def phase(name: str, n: int, concurrency: int, check: Callable[[dict[str, Any]], Awaitable[bool]],
                credentials: list[dict[str, Any]], agent: AcaPyAdmin) -> None:
    latencies: list[float] = []
    verified = 0
    pending = iter(range(n))

    async def lane() -> None:
        nonlocal verified
        for i in pending:
            before = time.perf_counter()
            ok = await check(credentials[i % len(credentials)])  # awaited first: `+= await` loses updates
            latencies.append(time.perf_counter() - before)
            verified += ok

    probe = Probe(agent)
    started = time.perf_counter()
    await probe.during(asyncio.gather(*(lane() for _ in range(concurrency))))
    wall = time.perf_counter() - started
    print(f"{name:<44} {n / wall:7.1f} checks/s  median {statistics.median(latencies) * 1000:6.0f} ms  "
          f"max {max(latencies) * 1000:6.0f} ms  verified {verified}/{n}  "
          f"worst loop lag {probe.loop_lag * 1000:5.0f} ms  worst agent /status {probe.status * 1000:5.0f} ms")


async def run(network: Any, n: int) -> None:
    async with network.admin("auditor", timeout=60) as auditor, network.admin("verifier", timeout=120) as verifier:
        issuer = (await auditor.create_did_key()).did
        credentials = [await auditor.vc_issue(unsigned(issuer, i)) for i in range(DISTINCT)]

        async def by_agent(credential: dict[str, Any]) -> bool:
            return bool((await verifier.vc_verify(credential))["verified"])

        await by_agent(credentials[0])  # the agent's contexts and caches warm, as for the checker below
        print(f"N={n} genuine credential proofs (Ed25519Signature2020, {DISTINCT} distinct, cycled)")
        await phase("agent /vc/credentials/verify, sequential", n, 1, by_agent, credentials, verifier)
        await phase(f"agent /vc/credentials/verify, concurrency {CONCURRENCY}", n, CONCURRENCY, by_agent, credentials,
                    verifier)
        async with ProofChecker(workers=2) as checker:
            before = time.perf_counter()
            await checker.start()
            print(f"ProofChecker(workers=2) warm-up: {time.perf_counter() - before:.1f} s")

            async def by_checker(credential: dict[str, Any]) -> bool:
                return (await checker.credential(credential)).ok

            await phase(f"ProofChecker(workers=2), concurrency {CONCURRENCY}", n, CONCURRENCY, by_checker, credentials,
                        verifier)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    print(f"machine: {describe_machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        network = start_agents(Path(tmp) / "agents", roles=("auditor", "verifier"))
        try:
            asyncio.run(run(network, n))
        finally:
            stop_agents(network)


if __name__ == "__main__":
    main()
