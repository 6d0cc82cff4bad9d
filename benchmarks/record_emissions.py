"""RecordEmissions committed/s through the dev peer, with the chaincode in process and as CCaaS.

Each RecordEmissions reads the auditor, the sealed edition, utility, subregion/state rates and
market factors, computes location- and market-based CO2e, and writes a public record, an index
key, the private detail and the private customer index; under MAJORITY both auditor orgs run it.

Setup: crypto for Auditor1MSP/Auditor2MSP, the dev peer as its own process (`emissions devpeer`),
for CCaaS also `emissions chaincode serve` as a process; governance bootstrapped, both auditors
registered, the full shipped eGRID2023 loaded and sealed (its load time is printed too). Load:
`--clients` closed-loop clients (submit, await CommitStatus, repeat), each transaction for its
own customer: records of ONE customer that touch a common month serialise on purpose (each reads and
writes that month's bucket of the customer's private index, so concurrent ones fail MVCC_READ_CONFLICT
rather than both passing the overlap check).
committed/s = VALID transactions / wall time from the first submit to the last commit.

Run: .venv/bin/python benchmarks/record_emissions.py [--tx 400] [--clients 16] [--only in-process|ccaas]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

from chaincode.emissions.shipped import load_editions, load_utilities  # noqa: E402
from controllers.ledger import (  # noqa: E402
    AuditorSpec,
    ConnectionProfile,
    BillReference,
    CustomerDetail,
    RecordRequest,
    new_secret,
    open_ledger,
)
from network.msp import generate_crypto_material, parse_crypto_config  # noqa: E402

ORGS = {"Auditor1MSP": "auditor1.example.com", "Auditor2MSP": "auditor2.example.com"}
DIDS = {"Auditor1MSP": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "Auditor2MSP": "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"}
COLLECTIONS = ROOT / "network" / "collections" / "emissions-collections.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(path: Path, process: subprocess.Popen, what: str) -> str:
    deadline = time.monotonic() + 60
    while not (path.exists() and path.read_text()):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.05)
    return path.read_text()


def devpeer_toml(crypto: Path, data: Path, chaincode: str) -> str:
    orgs = "".join(
        f'[[orgs]]\nmsp_id = "{msp}"\nmsp_dir = "{crypto}/peerOrganizations/{d}/msp"\n'
        f'peer_msp_dir = "{crypto}/peerOrganizations/{d}/peers/peer0.{d}/msp"\n'
        for msp, d in ORGS.items()
    )
    return (f'channel = "utilityemissions"\ndata_dir = "{data}"\nlisten = {{ address = "127.0.0.1:0" }}\n'
            'block_cutting = { max_message_count = 16, batch_timeout = "50ms" }\n' + orgs +
            f'[[chaincodes]]\nname = "emissions"\nversion = "1.0"\nendorsement_policy = "MAJORITY"\n'
            f'collections_config = "{COLLECTIONS}"\n{chaincode}\n')


def profile(crypto: Path, address: str, msp: str, user: str) -> ConnectionProfile:
    d = ORGS[msp]
    return ConnectionProfile(gateway=address, msp_id=msp,
                             msp_dir=crypto / "peerOrganizations" / d / "users" / f"{user}@{d}" / "msp")


async def prepare(crypto: Path, address: str) -> float:
    admins = [profile(crypto, address, msp, "Admin") for msp in ORGS]
    async with open_ledger(admins[0]) as one, open_ledger(admins[1]) as two:
        first, second = one.client, two.client
        await first.bootstrap(list(ORGS), new_secret())  # the customer index secret
        await second.bootstrap(list(ORGS))
        for msp in ORGS:
            spec = AuditorSpec(msp, msp, (DIDS[msp],), "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc")
            await second.approve((await first.propose_auditor(spec))["proposal_id"])
        started = time.perf_counter()
        await first.load_edition(load_editions()[-1], load_utilities())
        return time.perf_counter() - started


async def load(crypto: Path, address: str, total: int, clients: int, first: int = 0) -> dict:
    latencies: list[float] = []
    counter = iter(range(first, first + total))

    async def client(number: int) -> None:
        async with open_ledger(profile(crypto, address, "Auditor1MSP", "User1")) as session:
            ledger = session.client
            for index in counter:
                month, customer = index % 12 + 1, index  # one customer per tx: see the docstring
                start = datetime(2024, month, 1, tzinfo=UTC)
                end = datetime(2024 + month // 12, month % 12 + 1, 1, tzinfo=UTC)
                request = RecordRequest(14328, start, end, "eGRID2023", DIDS["Auditor1MSP"])
                detail = CustomerDetail(f"did:key:z6Mkbench{customer}", f"ACCT-{customer}", "SP-1",
                                        Decimal(400 + index % 97) + Decimal("0.125"),
                                        BillReference("espi-atom+xml", f"sha256:{index:064x}", f"{index:064x}"))
                began = time.perf_counter()
                outcome = await ledger.record_emissions(request, detail)
                assert not outcome.replayed
                latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"tx": len(latencies), "seconds": elapsed, "tps": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000}


def run(mode: str, crypto: Path, work: Path, total: int, clients: int) -> dict:
    processes: list[subprocess.Popen] = []
    python = [sys.executable, "-m", "emissions.cli"]
    try:
        if mode == "ccaas":
            port = free_port()
            processes.append(subprocess.Popen([*python, "chaincode", "serve", "--chaincode",
                                               "chaincode.emissions.chaincode:chaincode", "--address",
                                               f"127.0.0.1:{port}", "--id", "emissions_1.0:bench"],
                                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            chaincode = f'[chaincodes.ccaas]\naddress = "127.0.0.1:{port}"'
        else:
            chaincode = 'python = "chaincode.emissions.chaincode:chaincode"'
        config, ready = work / f"{mode}.toml", work / f"{mode}.ready"
        config.write_text(devpeer_toml(crypto, work / f"{mode}-ledger", chaincode))
        processes.append(subprocess.Popen([*python, "devpeer", "--config", str(config), "--ready-file", str(ready)],
                                          cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = wait_for(ready, processes[-1], "dev peer")
        load_seconds = asyncio.run(prepare(crypto, address))
        asyncio.run(load(crypto, address, 16, 4))  # warm-up
        return {**asyncio.run(load(crypto, address, total, clients, first=16)), "load_factors_s": load_seconds}
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tx", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--only", choices=("in-process", "ccaas"))
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        crypto = work / "crypto"
        generate_crypto_material(crypto, parse_crypto_config({"peer_orgs": [
            {"msp_id": m, "domain": d, "peers": 1, "users": ["User1"]} for m, d in ORGS.items()]}))
        for mode in ("in-process", "ccaas"):
            if args.only and args.only != mode:
                continue
            figures = run(mode, crypto, work, args.tx, args.clients)
            print(f"{mode:10s} RecordEmissions: {figures['tps']:6.1f} committed/s  ({figures['tx']} tx in "
                  f"{figures['seconds']:.1f} s, {args.clients} clients; latency p50 {figures['p50_ms']:.0f} ms, "
                  f"p99 {figures['p99_ms']:.0f} ms); full eGRID2023 load+seal {figures['load_factors_s']:.1f} s")
            print(json.dumps({mode: figures}))


if __name__ == "__main__":
    main()
