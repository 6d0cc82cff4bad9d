"""RecordEmissions under Hyperledger Caliper 0.6.0 (fabric-gateway binding): the dev peer and a real Fabric 2.5 network.

The ledgers are set up exactly as benchmarks/record_emissions.py sets them up, by its own functions:
- devpeer: Auditor1MSP/Auditor2MSP crypto, the chaincode as CCaaS (`emissions chaincode serve`) and
  the dev peer (`emissions devpeer`) as processes (`record_emissions.run("ccaas", ...)`);
- fabric: `emissions network up` through network.fabric in a temporary folder on a free port range,
  3 etcdraft orderers, both auditor peers, the chaincode as CCaaS (`record_emissions.fabric_run`);
then `record_emissions.prepare`: governance bootstrapped, both auditors registered, the full
eGRID2023 loaded and sealed. Where record_emissions then drives its own Python clients, this script
writes Caliper's network configuration (v2.0.0, one common connection profile per org, User1 of
each org as identity) and runs `npx caliper launch manager` with benchmarks/caliper/benchmark.yaml:
a 16-transaction warm-up round, then the measured round of `--tx` RecordEmissions with 16
outstanding (fixed-load), one Caliper worker, submitted as Auditor1MSP User1. The peer gateway
chooses the endorsers itself (MAJORITY: both auditor orgs).

Printed per backend: Caliper's own figures of the measured round (Succ, Fail, Send Rate, Max/Min/Avg
Latency, Throughput), the CPU each group of processes used during that round (100% = one core;
"caliper" = its manager and worker), then the fabric/devpeer ratio. Caliper's Throughput counts
failed transactions too; committed/s = Throughput x Succ / (Succ + Fail) is printed beside it, and
so is the mean number in flight (Throughput x Avg Latency, Little's law): Caliper's fixed-load
controller sleeps whenever the backlog reaches its target, so it keeps fewer than 16 outstanding on
average (8-13 in our runs), unlike record_emissions' 16 closed-loop clients.

The Node packages come from benchmarks/caliper/package-lock.json (`npm ci`, run when node_modules
is missing or the lockfile changed); no `caliper bind` happens at run time.

Run: .venv/bin/python benchmarks/caliper_run.py [--backend devpeer|fabric|both] [--tx 400] [--fabric-bin DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import record_emissions as bench  # noqa: E402  (puts the project root on sys.path)
from _machine import describe_machine  # noqa: E402

from network.msp import generate_crypto_material, parse_crypto_config  # noqa: E402

CALIPER = HERE / "caliper"
BENCHMARK = CALIPER / "benchmark.yaml"
MEASURED = "record-emissions"  # the label of the measured round in benchmark.yaml
CLIENTS = 16  # the fixed-load transactionLoad of the measured round; record_emissions' clients
COLUMNS = ("Succ", "Fail", "Send Rate (TPS)", "Max Latency (s)", "Min Latency (s)", "Avg Latency (s)",
           "Throughput (TPS)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class BenchError(Exception):
    """A step failed; the message is the one line shown."""


class PrepareError(BenchError):
    """Setting up the ledger (record_emissions.prepare) failed."""


def say(text: str) -> None:
    print(text, flush=True)


# --- Node packages ------------------------------------------------------------------------------------

def ensure_node_modules() -> None:
    """`npm ci` from the committed lockfile when node_modules is missing or stale (as ./run's ensure_node)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise BenchError("Node.js 20 and npm are needed for Caliper (apt-get install nodejs npm)")
    lock = CALIPER / "package-lock.json"
    if not lock.exists():
        raise BenchError(f"{lock} is missing")
    stamp = CALIPER / "node_modules" / ".installed"
    want = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == want:
        return
    say("installing Caliper's Node packages (npm ci from benchmarks/caliper/package-lock.json)")
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CALIPER,
                          capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise BenchError(f"npm ci failed in {CALIPER}: {last}")
    stamp.write_text(want + "\n")


# --- Caliper's configuration ------------------------------------------------------------------------

def only_file(folder: Path, what: str) -> Path:
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    if not files:
        raise BenchError(f"no {what} in {folder}")
    return files[0]


def network_config(folder: Path, name: str, profile_of: bench.ProfileOf) -> Path:
    """Caliper network configuration v2 plus one common connection profile per auditor org."""
    organizations = []
    channel = chaincode = None
    for msp, domain in bench.ORGS.items():
        profile = profile_of(msp, "User1")
        channel, chaincode = profile.channel, profile.chaincode
        peer = f"peer0.{domain}"
        entry: dict = {"url": f"{'grpcs' if profile.tls_ca else 'grpc'}://{profile.gateway}"}
        if profile.tls_ca:
            entry["tlsCACerts"] = {"path": str(profile.tls_ca)}
        if profile.server_name_override:
            entry["grpcOptions"] = {"ssl-target-name-override": profile.server_name_override}
        ccp = {"name": f"{name}-{msp}", "version": "1.0.0", "client": {"organization": msp},
               "organizations": {msp: {"mspid": msp, "peers": [peer]}}, "peers": {peer: entry}}
        ccp_path = folder / f"{name}-{msp}-ccp.json"
        ccp_path.write_text(json.dumps(ccp, indent=2))
        organizations.append({
            "mspid": msp,
            "identities": {"certificates": [{
                "name": "User1",
                "clientSignedCert": {"path": str(only_file(profile.msp_dir / "signcerts", "certificate"))},
                "clientPrivateKey": {"path": str(only_file(profile.msp_dir / "keystore", "private key"))},
            }]},
            "connectionProfile": {"path": str(ccp_path), "discover": False},
        })
    config = {"name": f"emissions-{name}", "version": "2.0.0",
              "caliper": {"blockchain": "fabric", "sutOptions": {"mutualTls": False}},
              "channels": [{"channelName": channel, "contracts": [{"id": chaincode}]}],
              "organizations": organizations}
    path = folder / f"{name}-network.json"  # JSON is YAML: Caliper reads it as is
    path.write_text(json.dumps(config, indent=2))
    return path


def benchmark_config(folder: Path, tx: int) -> Path:
    """benchmark.yaml with the measured round's txNumber set to `tx`."""
    text, count = re.subn(r"(txNumber:\s*)\d+(\s*# measured round)", rf"\g<1>{tx}\g<2>", BENCHMARK.read_text())
    if count != 1:
        raise BenchError(f"{BENCHMARK}: expected one 'txNumber: N # measured round' line, found {count}")
    path = folder / "benchmark.yaml"
    path.write_text(text)
    return path


# --- running Caliper ----------------------------------------------------------------------------------

def group_cpu(pgid: int) -> float:
    """CPU seconds of every live process in process group `pgid` (Caliper's manager and workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += bench.cpu_seconds(int(entry.name))
    return total


def parse_table(lines: list[str], label: str) -> dict[str, str]:
    """The row of round `label` in Caliper's final '### All test results ###' table."""
    try:
        start = max(i for i, line in enumerate(lines) if "### All test results ###" in line)
    except ValueError:
        raise BenchError("Caliper printed no results table") from None
    header: list[str] | None = None
    for line in lines[start:]:
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif cells and cells[0] == label:
            return dict(zip(header, cells))
    raise BenchError(f"Caliper's results table has no row for round {label!r}")


def run_caliper(name: str, folder: Path, network: Path, benchmark: Path, pids: Mapping[str, list[int]],
                extra: list[str]) -> dict:
    log_path = folder / f"{name}-caliper.log"
    command = ["npx", "--no", "caliper", "launch", "manager",
               "--caliper-workspace", str(CALIPER),
               "--caliper-networkconfig", str(network),
               "--caliper-benchconfig", str(benchmark),
               "--caliper-flow-only-test",
               "--caliper-report-path", str(folder / f"{name}-report.html"), *extra]
    say(f"{name}: npx caliper launch manager (log {log_path.name} in the temporary folder)")
    lines: list[str] = []
    errors: list[str] = []
    cpu_start: dict[str, float] = {}
    cpu: dict[str, float] = {}
    round_wall = [0.0, 0.0]
    loadavg = float("nan")
    process = subprocess.Popen(command, cwd=CALIPER, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)  # its own process group: the workers go with it

    def snapshot() -> dict[str, float]:
        sample = {group: sum(bench.cpu_seconds(pid) for pid in members) for group, members in pids.items()}
        sample["caliper"] = group_cpu(process.pid)
        return sample

    try:
        with log_path.open("w") as log:
            assert process.stdout is not None
            for raw in process.stdout:
                log.write(raw)
                line = ANSI.sub("", raw.rstrip("\n"))
                lines.append(line)
                message = line.split("] ", 2)[-1] if "] " in line else line
                # The worker's load phase of the measured round (Round#1, zero-based): from the first
                # worker starting it to the last one finishing it (not Caliper's 5 s observer wait).
                if re.search(r"Worker#\d+ is starting Round#1\b", line) and not cpu_start:
                    cpu_start, round_wall[0] = snapshot(), time.perf_counter()
                elif re.search(r"Worker#\d+ finished Round#1\b", line) and cpu_start:
                    round_wall[1] = time.perf_counter()
                    ended = snapshot()
                    wall = round_wall[1] - round_wall[0]
                    cpu = {group: (ended[group] - cpu_start[group]) / wall for group in ended}
                    loadavg = os.getloadavg()[0]
                if re.search(r"Started round|Finished round|Failed round|Transaction Info\]", line):
                    say(f"{name}:   {message.strip()}")
                elif " error " in f" {line.lower()} " and len(errors) < 20:
                    errors.append(message.strip())
        code = process.wait()
    finally:
        if process.poll() is None:  # interrupted or failed while Caliper runs: its whole group goes
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    if code != 0:
        reason = errors[-1] if errors else (lines[-1] if lines else "no output")
        raise BenchError(f"Caliper exited with {code}: {reason[:300]}")
    row = parse_table(lines, MEASURED)
    missing = [column for column in COLUMNS if column not in row]
    if missing:
        raise BenchError(f"Caliper's results table lacks {', '.join(missing)}")
    figures: dict = {"caliper": {column: row[column] for column in COLUMNS}, "cpu": cpu, "loadavg_1m": loadavg}
    if errors:
        # Caliper echoes the whole request before the reason: keep the reason, the part worth reading.
        first = errors[0]
        figures["first_error"] = first if len(first) <= 600 else first[:200] + " ... " + first[-400:]
    return figures


# --- the backends, set up by record_emissions ------------------------------------------------------

@contextlib.contextmanager
def measured_by_caliper(name: str, folder: Path, extra: list[str]) -> Iterator[list[dict]]:
    """While active, record_emissions' `measure` step (called by its run/fabric_run once the backend is
    up) prepares the ledger with record_emissions.prepare and then runs Caliper instead of its own clients."""
    out: list[dict] = []

    def measure(profile_of: bench.ProfileOf, total: int, clients: int, pids: Mapping[str, list[int]]) -> dict:
        say(f"{name}: backend up; bootstrapping governance, registering both auditors, loading and sealing eGRID2023")
        try:
            load_seconds = asyncio.run(bench.prepare(profile_of))
        except Exception as exc:  # noqa: BLE001  e.g. a LedgerError: one line, then the next backend
            raise PrepareError(f"setting up the ledger failed: {type(exc).__name__}: {exc}") from exc
        say(f"{name}: eGRID2023 loaded and sealed in {load_seconds:.1f} s")
        figures = run_caliper(name, folder, network_config(folder, name, profile_of), benchmark_config(folder, total), pids,
                              extra)
        figures["load_factors_s"] = load_seconds
        out.append(figures)
        return figures

    saved = bench.measure
    bench.measure = measure
    try:
        yield out
    finally:
        bench.measure = saved


def devpeer(folder: Path, tx: int, extra: list[str]) -> dict:
    say("devpeer: crypto for Auditor1MSP/Auditor2MSP; starting the CCaaS chaincode and the dev peer")
    crypto = folder / "crypto"
    generate_crypto_material(crypto, parse_crypto_config({"peer_orgs": [
        {"msp_id": m, "domain": d, "peers": 1, "users": ["User1"]} for m, d in bench.ORGS.items()]}))
    with measured_by_caliper("devpeer", folder, extra):
        return bench.run("ccaas", crypto, folder, tx, CLIENTS)


def fabric(folder: Path, tx: int, fabric_bin: str | None, extra: list[str]) -> dict:
    say("fabric: `emissions network up` (fabric-ca per org, 3 etcdraft orderers, 2 auditor peers, CCaaS chaincode)")
    with measured_by_caliper("fabric", folder, extra):
        return bench.fabric_run(3, folder, tx, CLIENTS, fabric_bin)


# --- report -------------------------------------------------------------------------------------------

def committed_per_s(figures: dict) -> float:
    row = figures["caliper"]
    succ, fail = int(row["Succ"]), int(row["Fail"])
    return float(row["Throughput (TPS)"]) * succ / (succ + fail) if succ + fail else 0.0


def report(name: str, figures: dict) -> None:
    row = figures["caliper"]
    say(f"{name:8s} Caliper round {MEASURED!r}: Succ {row['Succ']}  Fail {row['Fail']}  "
        f"Send Rate {row['Send Rate (TPS)']} TPS  Latency max {row['Max Latency (s)']} s / "
        f"min {row['Min Latency (s)']} s / avg {row['Avg Latency (s)']} s  Throughput {row['Throughput (TPS)']} TPS  "
        f"(committed/s {committed_per_s(figures):.1f}; mean in flight = Throughput x Avg Latency "
        f"{float(row['Throughput (TPS)']) * float(row['Avg Latency (s)']):.1f})")
    extra = f"; network up {figures['up_s']:.1f} s" if "up_s" in figures else ""
    say(f"{'':8s} CPU during the round (100% = one core): "
        + "  ".join(f"{group} {share * 100:3.0f}%" for group, share in figures["cpu"].items())
        + f"; machine load average (1 min) at the round's end {figures['loadavg_1m']:.2f}"
        + f"; eGRID2023 load+seal {figures['load_factors_s']:.1f} s{extra}")
    if "first_error" in figures:
        say(f"{'':8s} first error Caliper logged: {figures['first_error']}")
    say(json.dumps({name: figures}))


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:400]


def attempt(backend: str, go: Callable[[Path], dict], folder: Path) -> dict | None:
    """Run one backend in its own subfolder; a failure is one line and the other backend still runs."""
    from network.fabric import FabricError

    work = folder / backend
    work.mkdir()
    try:
        return go(work)
    except (PrepareError, BenchError, FabricError) as exc:
        say(f"{backend}: failed: {one_line(exc)}")
    except SystemExit as exc:  # record_emissions' "dev peer did not start"
        if exc.code == 143:
            raise
        say(f"{backend}: failed: {exc.code}")
    except Exception as exc:  # noqa: BLE001  (one line, then the next backend)
        say(f"{backend}: failed: {type(exc).__name__}: {one_line(exc)}")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("devpeer", "fabric", "both"), default="both")
    parser.add_argument("--tx", type=int, default=400, help="transactions in the measured round (default 400)")
    parser.add_argument("--fabric-bin", metavar="DIR", help="Fabric's bin/ (default $FABRIC_BIN, else ../shared/fabric/bin)")
    parser.add_argument("--caliper-arg", action="append", default=[], metavar="ARG",
                        help="passed on to `caliper launch manager`, e.g. "
                             "--caliper-arg=--caliper-logging-targets-console-options-level=debug")
    parser.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)  # keep the temporary folder (debugging)
    args = parser.parse_args()
    if args.tx < 1:
        parser.error("--tx must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the processes and remove the folder
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C even when started with SIGINT ignored
    say(f"machine: {describe_machine()}, Node {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip() if shutil.which('node') else 'missing'}")
    results: dict[str, dict] = {}
    try:
        ensure_node_modules()
        with tempfile.TemporaryDirectory(prefix="bench-caliper-", delete=not args.keep) as name:
            folder = Path(name)
            backends: list[tuple[str, Callable[[Path], dict]]] = []
            if args.backend in ("devpeer", "both"):
                backends.append(("devpeer", lambda work: devpeer(work, args.tx, args.caliper_arg)))
            if args.backend in ("fabric", "both"):
                backends.append(("fabric", lambda work: fabric(work, args.tx, args.fabric_bin, args.caliper_arg)))
            for backend, go in backends:
                figures = attempt(backend, go, folder)
                if figures is not None:
                    results[backend] = figures
                    report(backend, figures)
            if args.keep:
                say(f"kept {folder}")
    except BenchError as exc:
        say(f"error: {one_line(exc)}")
        return 1
    except KeyboardInterrupt:
        say("interrupted: processes stopped, temporary folder removed")
        return 130
    except SystemExit as exc:
        if exc.code == 143:
            say("terminated: processes stopped, temporary folder removed")
        raise
    if "devpeer" in results and "fabric" in results:
        tps = {name: float(figures["caliper"]["Throughput (TPS)"]) for name, figures in results.items()}
        say(f"ratio fabric/devpeer (CCaaS): Throughput {tps['fabric'] / tps['devpeer']:.2f}, committed/s "
            f"{committed_per_s(results['fabric']) / committed_per_s(results['devpeer']):.2f}")
    return 0 if len(results) == (2 if args.backend == "both" else 1) else 1


if __name__ == "__main__":
    sys.exit(main())
