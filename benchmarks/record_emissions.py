"""RecordEmissions committed/s through the dev peer (chaincode in process and as CCaaS) and a real Fabric 2.5 network.

Each RecordEmissions reads the auditor, the sealed edition, utility, subregion/state rates and
market factors, computes location- and market-based CO2e, and writes a public record, an index
key, the private detail and the private customer index; under MAJORITY both auditor orgs run it.

The same workload runs against every backend (`measure`: `prepare` then `load`, given only a
function returning each org's connection profile):
- devpeer: crypto for Auditor1MSP/Auditor2MSP, the dev peer as its own process (`emissions devpeer`),
  for CCaaS also `emissions chaincode serve` as a process (`--only in-process|ccaas` picks one mode).
- fabric: `emissions network up` through the network.fabric API in a temporary data folder on a free
  range of loopback ports (fabric-ca per org, `--orderers 3` and/or `1` etcdraft orderers, both
  auditor peers, the chaincode as CCaaS, one `emissions chaincode serve` per peer org); the clients use
  the connection profiles `up` writes to <data>/profiles/; `down` and the folder removed at the end.
  Its block cutting is the network's own (BatchTimeout 100 ms, MaxMessageCount 100), the dev peer's
  16 transactions / 50 ms as before.
Setup on each: governance bootstrapped, both auditors registered, the full shipped eGRID2023 loaded
and sealed (its load time is printed too), 16 warm-up transactions. Load: `--clients` closed-loop
clients (submit, await CommitStatus, repeat), each transaction for its own customer: records of ONE
customer that touch a common month serialise on purpose (each reads and writes that month's bucket of
the customer's private index, so concurrent ones fail MVCC_READ_CONFLICT rather than both passing the
overlap check).
committed/s = VALID transactions / wall time from the first submit to the last commit; the CPU each
group of processes used meanwhile is printed (100% = one core). With both backends the ratio
fabric/devpeer is printed against each dev peer mode (CCaaS is the like-for-like one: the real
network runs the chaincode as a service too).

Run: .venv/bin/python benchmarks/record_emissions.py [--tx 400] [--clients 16] [--backend devpeer|fabric|both]
     [--only in-process|ccaas] [--orderers 3 [1]] [--fabric-bin DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
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
    dump_profile,
    load_profile,
    new_secret,
    caught_up,
    open_ledger,
)
from network.msp import generate_crypto_material, parse_crypto_config  # noqa: E402
from testkit.ports import free_port  # noqa: E402

ORGS = {"Auditor1MSP": "auditor1.example.com", "Auditor2MSP": "auditor2.example.com"}
DIDS = {"Auditor1MSP": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "Auditor2MSP": "did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG"}
COLLECTIONS = ROOT / "network" / "collections" / "emissions-collections.json"
WARM_UP = 16

# (msp_id, "Admin" | "User1") -> the connection profile of that identity on the backend under test
ProfileOf = Callable[[str, str], ConnectionProfile]


def wait_for(path: Path, process: subprocess.Popen, what: str) -> str:
    deadline = time.monotonic() + 60
    while not (path.exists() and path.read_text()):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.05)
    return path.read_text()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the workload: the same functions for every backend --------------------------------------------

async def prepare(profile_of: ProfileOf) -> float:
    """Bootstrap governance, register both auditors, load and seal the full eGRID2023; its load seconds."""
    admins = [profile_of(msp, "Admin") for msp in ORGS]
    async with open_ledger(admins[0]) as one, open_ledger(admins[1]) as two:
        first, second = one.client, two.client
        # On a real network each org's step must see the other's last one first (caught_up).
        await first.bootstrap(list(ORGS), new_secret())  # the customer index secret
        await caught_up([one, two])
        await second.bootstrap(list(ORGS))
        for msp in ORGS:
            spec = AuditorSpec(msp, msp, (DIDS[msp],), "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc")
            proposal = await first.propose_auditor(spec)
            await caught_up([one, two])
            await second.approve(proposal["proposal_id"])
        await caught_up([one, two])
        started = time.perf_counter()
        await first.load_edition(load_editions()[-1], load_utilities())
        return time.perf_counter() - started


async def load(profile_of: ProfileOf, total: int, clients: int, first: int = 0) -> dict:
    latencies: list[float] = []
    counter = iter(range(first, first + total))

    async def client(number: int) -> None:
        async with open_ledger(profile_of("Auditor1MSP", "User1")) as session:
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


def measure(profile_of: ProfileOf, total: int, clients: int, pids: Mapping[str, list[int]]) -> dict:
    """prepare, warm up, then the measured load; `pids` groups the backend's processes for the CPU split."""
    load_seconds = asyncio.run(prepare(profile_of))
    asyncio.run(load(profile_of, WARM_UP, 4))
    cpu_before = {group: sum(cpu_seconds(pid) for pid in members) for group, members in pids.items()}
    client_before, wall_before = time.process_time(), time.perf_counter()
    figures = asyncio.run(load(profile_of, total, clients, first=WARM_UP))
    wall = time.perf_counter() - wall_before
    cpu = {group: (sum(cpu_seconds(pid) for pid in members) - cpu_before[group]) / wall
           for group, members in pids.items()}
    cpu["client"] = (time.process_time() - client_before) / wall
    return {**figures, "load_factors_s": load_seconds, "cpu": cpu}


# --- backend: the dev peer --------------------------------------------------------------------------

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


def run(mode: str, crypto: Path, work: Path, total: int, clients: int) -> dict:
    """The dev peer, its chaincode `in-process` or as `ccaas`."""
    processes: list[subprocess.Popen] = []
    python = [sys.executable, "-m", "emissions.cli"]
    try:
        pids: dict[str, list[int]] = {}
        if mode == "ccaas":
            port = free_port()
            processes.append(subprocess.Popen([*python, "chaincode", "serve", "--chaincode",
                                               "chaincode.emissions.chaincode:chaincode", "--address",
                                               f"127.0.0.1:{port}", "--id", "emissions_1.0:bench"],
                                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            pids["chaincode"] = [processes[-1].pid]
            chaincode = f'[chaincodes.ccaas]\naddress = "127.0.0.1:{port}"'
        else:
            chaincode = 'python = "chaincode.emissions.chaincode:chaincode"'
        config, ready = work / f"{mode}.toml", work / f"{mode}.ready"
        config.write_text(devpeer_toml(crypto, work / f"{mode}-ledger", chaincode))
        processes.append(subprocess.Popen([*python, "devpeer", "--config", str(config), "--ready-file", str(ready)],
                                          cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        pids = {"peer": [processes[-1].pid], **pids}
        address = wait_for(ready, processes[-1], "dev peer")
        return measure(lambda msp, user: profile(crypto, address, msp, user), total, clients, pids)
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(10)


# --- backend: a real Fabric 2.5 network (network.fabric, as `emissions network up` runs it) ----------

def fabric_run(orderers: int, work: Path, total: int, clients: int, fabric_bin: str | None) -> dict:
    from network.fabric import NetworkLayout, down, locate_fabric, up
    from network.fabric.network import process_names
    from network.fabric.processes import read_pid
    from testkit.fabric import free_fabric_base_port

    dist = locate_fabric(fabric_bin)
    layout = NetworkLayout.open(work / f"fabric-{orderers}", free_fabric_base_port(), orderers)

    def write_profiles(specs) -> None:  # as `emissions network up` writes them
        layout.profiles_dir.mkdir(parents=True, exist_ok=True)
        for spec in specs:
            (layout.profiles_dir / spec.file_name).write_text(dump_profile(ConnectionProfile(
                gateway=spec.gateway, msp_id=spec.msp_id, msp_dir=spec.msp_dir, channel=spec.channel,
                chaincode=spec.chaincode, tls_ca=spec.tls_ca, endorsing_orgs=spec.endorsing_orgs)))

    def profile_of(msp: str, user: str) -> ConnectionProfile:
        return load_profile(layout.profiles_dir / f"{msp}{'-Admin' if user == 'Admin' else ''}.toml")

    try:
        summary = up(layout, dist, write_profiles=write_profiles)
        pids: dict[str, list[int]] = {"peers": [], "orderers": [], "chaincode": [], "cas": []}
        for name in process_names(layout):
            group = ("peers" if name.startswith("peer") else "orderers" if name.startswith("orderer")
                     else "chaincode" if name.startswith("chaincode.") else "cas")
            record = read_pid(layout.run_dir, name)
            if record:
                pids[group].append(record["pid"])
        figures = measure(profile_of, total, clients, pids)
        return {**figures, "up_s": summary["timings"]["total"], "base_port": layout.base_port}
    finally:
        down(layout)


def report(name: str, figures: dict, clients: int) -> None:
    extra = f"; network up {figures['up_s']:.1f} s" if "up_s" in figures else ""
    print(f"{name:20s} RecordEmissions: {figures['tps']:6.1f} committed/s  ({figures['tx']} tx in "
          f"{figures['seconds']:.1f} s, {clients} clients; latency p50 {figures['p50_ms']:.0f} ms, "
          f"p99 {figures['p99_ms']:.0f} ms); full eGRID2023 load+seal {figures['load_factors_s']:.1f} s{extra}")
    print(f"{'':20s} CPU while submitting (100% = one core): "
          + "  ".join(f"{group} {share * 100:3.0f}%" for group, share in figures["cpu"].items()), flush=True)
    print(json.dumps({name: figures}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tx", type=int, default=400)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--backend", choices=("devpeer", "fabric", "both"), default="both")
    parser.add_argument("--only", choices=("in-process", "ccaas"), help="one dev peer mode (default both)")
    parser.add_argument("--orderers", type=int, nargs="+", choices=(1, 3), default=[3],
                        help="etcdraft orderers of the real network; `--orderers 3 1` runs one network of each")
    parser.add_argument("--fabric-bin", metavar="DIR",
                        help="Fabric's bin/ (default $FABRIC_BIN, else ../shared/fabric/bin)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still `down` the network and remove the folder
    print(f"machine: {describe_machine()}", flush=True)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-record-") as folder:
        work = Path(folder)
        if args.backend in ("devpeer", "both"):
            crypto = work / "crypto"
            generate_crypto_material(crypto, parse_crypto_config({"peer_orgs": [
                {"msp_id": m, "domain": d, "peers": 1, "users": ["User1"]} for m, d in ORGS.items()]}))
            for mode in ("in-process", "ccaas"):
                if args.only and args.only != mode:
                    continue
                results[f"devpeer {mode}"] = run(mode, crypto, work, args.tx, args.clients)
                report(f"devpeer {mode}", results[f"devpeer {mode}"], args.clients)
        if args.backend in ("fabric", "both"):
            from network.fabric import FabricError

            for orderers in dict.fromkeys(args.orderers):
                name = f"fabric {orderers} orderer{'s' if orderers > 1 else ''}"
                try:
                    results[name] = fabric_run(orderers, work, args.tx, args.clients, args.fabric_bin)
                except FabricError as exc:  # e.g. no binaries; the other backends' figures still count
                    print(f"{name:20s} failed: {exc}", flush=True)
                    continue
                report(name, results[name], args.clients)
    fabrics = [n for n in results if n.startswith("fabric")]
    devpeers = [n for n in results if n.startswith("devpeer")]
    for fabric in fabrics:
        print("ratio committed/s: " + "; ".join(
            f"{fabric} / {devpeer} = {results[fabric]['tps'] / results[devpeer]['tps']:.2f}" for devpeer in devpeers))
    if fabrics:
        print("(the same Python Gateway client drives both; benchmarks/caliper_run.py runs Hyperledger Caliper "
              "against both)")


if __name__ == "__main__":
    main()
