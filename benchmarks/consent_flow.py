"""Consent-to-feed latency and throughput with N customers in parallel, and each agent's RSS.

Starts the four real agents and the three controllers (testkit/consent_stack.py), onboards N
accounts (all held by the one customer wallet), then runs N audits at once: proposal -> approval
-> consent issued -> VP to the utility -> token -> Batch feed downloaded and aggregated.
Latency is from the approval to the aggregated feed. Run: .venv/bin/python benchmarks/consent_flow.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

from testkit.agents import start_agents, stop_agents  # noqa: E402
from testkit.consent_stack import Stack  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one(stack: Stack) -> float:
    audit_id = await stack.start_audit()
    cred_ex_id = await stack.pending_consent(audit_id)
    t0 = time.perf_counter()
    await stack.customer.approve(cred_ex_id)
    audit = await stack.audit_state(audit_id, "fetched", "refused", "failed", timeout=120)
    assert audit.state == "fetched", audit.reason
    return time.perf_counter() - t0


async def run(network, data: Path) -> None:
    stack = await Stack.start(network, data / "controllers")
    try:
        for i in range(20):
            await stack.onboard(f"BENCH-{i:04d}")
        for n in (1, 5, 20):
            t0 = time.perf_counter()
            latencies = await asyncio.gather(*(one(stack) for _ in range(n)))
            wall = time.perf_counter() - t0
            print(
                f"N={n:>2}: consent-to-feed latency median {statistics.median(latencies):.2f} s, "
                f"max {max(latencies):.2f} s; {n / wall:.2f} audits/s end to end (wall {wall:.1f} s)"
            )
        for role, agent in network.running.items():
            print(f"  {role:<8} agent RSS {rss_mb(agent.pid):6.1f} MB")
        print(f"  controllers (this process) RSS {rss_mb(os.getpid()):6.1f} MB")
    finally:
        await stack.stop()


def main() -> None:
    print(f"machine: {describe_machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        network = start_agents(Path(tmp) / "agents")
        try:
            asyncio.run(run(network, Path(tmp)))
        finally:
            stop_agents(network)


if __name__ == "__main__":
    main()
