"""Dev peer throughput: committed tx/s, submit latency p50/p99 and evaluate/s.

Load: 1 KB writes under MAJORITY of 2 orgs (two endorsements, two chaincode executions per tx),
16 concurrent closed-loop clients (each submits, awaits CommitStatus, then submits again) spread
over 4 gRPC channels, >= 2,000 transactions after 20 warm-up ones; then evaluations. Run for the
in-process chaincode and for CCaaS (`emissions chaincode serve` subprocess).

How it is measured, and what shares the machine's 2 cores:
- the dev peer runs in its OWN process (`emissions devpeer`, as in use); the CCaaS chaincode server
  in another; the clients (signing proposals, envelopes and status requests) in this process. The
  CPU each process used during the submit phase is printed (100% = one core) so it is visible which
  one limits the figure; `--profile DIR` runs the peer under cProfile.
- committed tx/s = VALID transactions / wall time from the first submit to the last CommitStatus.
- block cutting: max_message_count defaults to the number of clients, batch_timeout 50 ms. With
  closed-loop clients a block can never hold more than `clients` transactions, so a larger count
  makes every block wait out the batch timeout and the figure measures that timer (16 / ~65 ms ~=
  245 tx/s whatever the peer costs), not the peer. `--max-message-count 100` reproduces that.

Run: .venv/bin/python benchmarks/devpeer_throughput.py [--tx 2000] [--only in-process|ccaas]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

from network.gateway import connect, create_channel  # noqa: E402
from network.msp import generate_crypto_material, load_msp  # noqa: E402
from testkit.devpeer import CHANNEL, PROBE, config_mapping  # noqa: E402
from testkit.devpeer import config_toml  # noqa: E402
from testkit.ports import free_port  # noqa: E402


def _cpu_seconds(pid: int) -> float:
    """utime + stime of another process (Linux /proc), for the CPU split the report prints."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start(config: Path, ready: Path, profile: Path | None) -> tuple[subprocess.Popen, str]:
    ready.unlink(missing_ok=True)
    prefix = ["-m", "cProfile", "-o", str(profile)] if profile else []
    process = subprocess.Popen(
        [sys.executable, *prefix, "-m", "emissions.cli.main", "devpeer", "--config", str(config), "--ready-file", str(ready)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not ready.exists() or not ready.read_text():
        if process.poll() is not None:
            raise RuntimeError(f"devpeer exited: {process.stderr.read().decode()}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("devpeer did not become ready")
        time.sleep(0.05)
    return process, ready.read_text()


async def run_load(address: str, member, total: int, clients: int, processes: dict[str, int]) -> dict[str, float]:
    channels = [create_channel(address) for _ in range(4)]
    contracts = [connect(c, member.identity, member.signer).network(CHANNEL).contract("probe") for c in channels]
    value = "x" * 1024
    latencies: list[float] = []
    counter = iter(range(total))
    failures = 0

    async def worker(n: int) -> None:
        nonlocal failures
        contract = contracts[n % len(contracts)]
        for i in counter:
            started = time.perf_counter()
            submitted = await contract.submit_async("Put", f"bench{n}-{i}", value)
            status = await submitted.status()
            latencies.append(time.perf_counter() - started)
            failures += not status.successful

    for i in range(20):  # connections, caches and chaincode streams warm
        await contracts[i % len(contracts)].submit("Put", "warmup", value)
    cpu_before = {name: _cpu_seconds(pid) for name, pid in processes.items()}
    client_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    cpu = {name: (_cpu_seconds(pid) - cpu_before[name]) / elapsed for name, pid in processes.items()}
    cpu["client"] = (time.process_time() - client_before) / elapsed

    evaluations = max(total // 2, 500)
    eval_counter = iter(range(evaluations))

    async def reader(n: int) -> None:
        contract = contracts[n % len(contracts)]
        for _ in eval_counter:
            await contract.evaluate("Get", "warmup")

    eval_started = time.perf_counter()
    await asyncio.gather(*(reader(n) for n in range(clients)))
    eval_elapsed = time.perf_counter() - eval_started
    for channel in channels:
        await channel.close()
    latencies.sort()
    return {
        "committed_tps": (total - failures) / elapsed,
        "invalid": failures,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "evaluate_per_s": evaluations / eval_elapsed,
        "cpu": cpu,
    }


async def scenario(
    name: str, crypto: Path, work: Path, total: int, clients: int, ccaas: bool, profile: Path | None, cutting: dict
) -> None:
    mapping = config_mapping(crypto, work / name / "data", **cutting)
    server = None
    processes: dict[str, int] = {}
    if ccaas:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "emissions.cli.main", "chaincode", "serve", "--chaincode", PROBE,
             "--address", f"127.0.0.1:{port}", "--id", "probe:bench"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        processes["chaincode"] = server.pid
        mapping["chaincodes"] = [
            {"name": "probe", "version": "1.0", "endorsement_policy": "MAJORITY",
             "ccaas": {"address": f"127.0.0.1:{port}", "dial_timeout": "10s", "tls_required": False}}
        ]
        time.sleep(1.5)
    config = work / name / "devpeer.toml"
    config.write_text(_toml_with_ccaas(mapping))
    profile_file = profile / f"devpeer-{name}.prof" if profile else None
    peer, address = _start(config, work / name / "ready", profile_file)
    processes["peer"] = peer.pid
    try:
        member = load_msp(crypto / "peerOrganizations/auditor1.example.com/users/User1@auditor1.example.com/msp", "Auditor1MSP")
        figures = await run_load(address, member, total, clients, processes)
    finally:
        peer.terminate()
        peer.wait(30)
        if server is not None:
            server.terminate()
            server.wait(10)
    cpu = "  ".join(f"{k} {v * 100:3.0f}%" for k, v in figures["cpu"].items())
    cpu += f"  (peer {figures['cpu']['peer'] * 1000 / figures['committed_tps']:.2f} ms CPU per committed tx)"
    print(
        f"{name:10s} committed {figures['committed_tps']:7.1f} tx/s  submit p50 {figures['p50_ms']:6.1f} ms  "
        f"p99 {figures['p99_ms']:6.1f} ms  evaluate {figures['evaluate_per_s']:7.1f}/s  invalid {figures['invalid']}\n"
        f"{'':10s} CPU while submitting (100% = one core): {cpu}"
    )
    if profile_file:
        print(f"{'':10s} peer profile: {profile_file}")


def _toml_with_ccaas(mapping: dict) -> str:
    import json

    ccaas = {cc["name"]: cc.pop("ccaas") for cc in mapping["chaincodes"] if "ccaas" in cc}
    text = config_toml(mapping)
    for name, table in ccaas.items():
        text += "[chaincodes.ccaas]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tx", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--profile", type=Path, help="run the peer under cProfile, writing devpeer-<mode>.prof here")
    parser.add_argument("--max-message-count", type=int, help="block cutting count (default: --clients)")
    parser.add_argument("--batch-timeout", default="50ms", help="block cutting timeout (default 50ms)")
    parser.add_argument("--only", choices=["in-process", "ccaas"], help="run one mode only")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    cutting = {"max_message_count": args.max_message_count or args.clients, "batch_timeout": args.batch_timeout}
    print(f"{args.tx} transactions of 1 KB, MAJORITY of 2 orgs, {args.clients} concurrent clients, "
          f"blocks of <= {cutting['max_message_count']} tx or {cutting['batch_timeout']}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generate_crypto_material(work / "crypto")
        for mode in ("in-process", "ccaas"):
            if args.only in (None, mode):
                asyncio.run(scenario(mode, work / "crypto", work, args.tx, args.clients, mode == "ccaas", args.profile, cutting))


if __name__ == "__main__":
    main()
