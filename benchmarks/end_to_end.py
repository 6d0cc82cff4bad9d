"""End to end: N customers x 12 monthly bills through the whole embedded stack.

Per customer: onboarding + consent (DIDComm), bill download (ESPI under a VC-authorised token),
parse, per-period kWh, encrypt + store (JWE, CID), anchor (RecordEmissions, computed on both
auditor peers, committed), issue (DIDComm ld_proof), verify (DIDComm DIF presentation + proofs +
ledger checks). Prints verified credentials per second (end to end, and in the verify phase
alone), wall time per phase, and time per stage per credential (stages overlap across customers,
so summed stage time exceeds wall time), the CPU seconds each process of the stack used (where the
time goes), and the peak memory of the whole stack: summed RSS of this process (the controllers),
the dev peer and the four agents, sampled every 100 ms. Every customer has a wallet of its own (a
sub-wallet of the customer agent) and signs up for it first.

Run: .venv/bin/python benchmarks/end_to_end.py [--customers 20] [--concurrency 4] [--base-port 38020]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

from emissions.stack import EmbeddedStack, StackConfig, run_demo  # noqa: E402

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


def rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0.0


class PeakMemory(threading.Thread):
    """Peak summed RSS of the stack's processes, and the CPU each used while it watched."""

    def __init__(self, pids) -> None:
        super().__init__(daemon=True)
        self.pids = pids  # a callable: the pids to sum now
        self.peak = 0
        self.by_process: dict[int, int] = {}
        self.cpu_start = {pid: cpu_seconds(pid) for pid in pids()}
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            self.cpu.update({pid: cpu_seconds(pid) - self.cpu_start.get(pid, 0.0) for pid in self.pids()})
            sizes = {pid: rss(pid) for pid in self.pids()}
            total = sum(sizes.values())
            if total > self.peak:
                self.peak, self.by_process = total, sizes
            self._stop.wait(0.1)

    def stop(self) -> None:
        self._stop.set()
        self.join()


async def bench(customers: int, base_port: int, data_dir: Path, concurrency: int) -> dict:
    stack = EmbeddedStack(StackConfig(data_dir, base_port=base_port, auto_share_emissions=True,
                                      signups_per_minute=max(30, customers),
                                      say=lambda m: print(f"[bench] {m}", file=sys.stderr)))
    began = time.perf_counter()
    await stack.start()
    started = time.perf_counter() - began
    names = {os.getpid(): "controllers and the demo's clients", stack.devpeer.pid: "dev peer",
             **{a.pid: f"{role} agent" for role, a in stack.agents.items()}}
    memory = PeakMemory(lambda: list(names))
    memory.start()
    began = time.perf_counter()
    try:
        async with aiohttp.ClientSession() as http:
            report = await run_demo(stack.client(http), customers, concurrency=concurrency)
    finally:
        measured = time.perf_counter() - began
        memory.stop()
        await stack.stop()
    return {
        "machine": describe_machine(),
        "customers": customers, "concurrency": concurrency, "credentials": len(report.rows), "verified": sum(r.verified for r in report.rows),
        "failed": report.failed, "stack_start_seconds": round(started, 2), "wall_seconds": round(report.seconds, 2),
        "verified_per_second_end_to_end": round(report.verified_per_second, 2),
        "phase_wall_seconds": {k: round(v, 2) for k, v in report.phases.items()},
        "verified_per_second_in_verify_phase": round(sum(r.verified for r in report.rows) / report.phases["verify"], 2)
        if report.phases.get("verify") else None,
        # The auditor's stages: fetch, parse, calculate, encrypt+store once per customer (a year's
        # bill); anchor and issue (the offer) once per credential (a month).
        "seconds_each_by_stage": {k: round(v["seconds"] / max(v["count"], 1), 4) for k, v in report.stages.items()},
        "stage_seconds_summed": {k: v["seconds"] for k, v in report.stages.items()},
        "stage_counts": {k: v["count"] for k, v in report.stages.items()},
        "not_verified_reasons": dict(Counter(reason for r in report.rows if not r.verified for reason in r.reasons)),
        # Where the time goes: CPU seconds each process used during the run (2 cores give at most
        # 2 x wall seconds), and how busy that kept the machine.
        "cpu_seconds_by_process": {names.get(pid, str(pid)): round(sec, 1) for pid, sec in memory.cpu.items()},
        "cpu_busy_fraction": round(sum(memory.cpu.values()) / ((os.cpu_count() or 1) * measured), 2),
        "peak_stack_rss_mb": round(memory.peak / 2**20, 1),
        "peak_rss_mb_by_pid": {str(pid): round(size / 2**20, 1) for pid, size in memory.by_process.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--base-port", type=int, default=38020)
    parser.add_argument("--concurrency", type=int, default=4, help="customers taken through the mission at once")
    parser.add_argument("--data-dir", type=Path, help="keep the stack's data (and agent logs) here; default: a temporary dir")
    args = parser.parse_args()
    if args.data_dir:
        print(json.dumps(asyncio.run(bench(args.customers, args.base_port, args.data_dir, args.concurrency)), indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="e2e-bench-") as tmp:
        print(json.dumps(asyncio.run(bench(args.customers, args.base_port, Path(tmp), args.concurrency)), indent=2))


if __name__ == "__main__":
    main()
