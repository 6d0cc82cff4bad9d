"""Parse speed and peak memory: our streaming parser vs greenbutton-objects, in the same run.

Generates a one-year and a ten-year hourly feed (8,760 and 87,600 readings) and runs, each in a
process of its own so that no run's memory or imports leak into another's:
- each parser on each file, parse plus total, best of --repeat runs in one process, in --rounds
  rounds that alternate the two parsers so both meet the same load (the speed: CPU time of the
  parsing process, which other work on a shared machine does not inflate; wall time beside it);
- each parser once in a fresh process, and `emissions greenbutton summarize --json` on each file
  (the peak RSS: the child's own VmHWM from /proc/self/status, read as it exits. Not ru_maxrss:
  Linux carries a process's high-water mark across exec, so a child forked from this benchmark,
  which holds the generated files, would report at least the benchmark's own size);
- our parser on a crafted feed of 16,000 MeterReadings, each IntervalBlock with its own `up`
  link (the security review's quadratic case: 176 s before link resolution was indexed);
- our Green Button CSV reader on the same readings written as CSV (greenbutton.write_csv), timed
  the same way.
Goals (issue 15): at least 5x faster than greenbutton-objects on both files; `summarize` peaks
no higher than greenbutton-objects and stays flat as the file grows; the crafted feed under 2 s.

greenbutton-objects is not a project dependency: when the interpreter cannot import it, it is
installed with `pip install --target` into a scratch directory, outside the project.

    .venv/bin/python benchmarks/greenbutton_parse.py [--repeat 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARSERS = ("ours", "greenbutton-objects")  # on the XML files; "csv" is ours on the CSV twin
GBO_TARGET = Path(tempfile.gettempdir()) / "gbo"  # where greenbutton-objects goes when missing
SPEEDUP_GOAL = 5.0
CRAFTED_GROUPS = 16_000


def total_ours(path: str) -> int:
    from greenbutton import parse_file

    doc = parse_file(path)
    return sum(int(s.total.scaleb(3)) for s in doc.series)  # Wh, to compare with the other parser


def total_greenbutton_objects(path: str) -> int:
    from greenbutton_objects import parse

    usage_points = parse.parse_feed(path)
    return sum(ir.value for up in usage_points for mr in up.meterReadings for ir in mr.intervalReadings)


def total_csv(path: str) -> int:
    from greenbutton import parse_csv_file

    doc = parse_csv_file(path, tz="UTC")
    return sum(int(s.total.scaleb(3)) for s in doc.series)


def worker(parser: str, path: str, repeat: int) -> None:
    """Runs in a fresh interpreter; prints one JSON line."""
    run = {"ours": total_ours, "greenbutton-objects": total_greenbutton_objects, "csv": total_csv}[parser]
    walls, cpus = [], []
    total = None
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        total = run(path)
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - began_cpu)
    print(json.dumps({"ms": min(cpus) * 1000, "wall_ms": min(walls) * 1000, "total_wh": total, "hwm_mb": vm_hwm_mb()}))


def vm_hwm_mb() -> float:
    """This process's peak resident set since its exec (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return kb / 1024


# Runs the command line in this process and prints VmHWM to stderr as it exits.
_WITH_HWM = ("import atexit, sys; sys.path.insert(0, sys.argv.pop(1)); from greenbutton_parse import vm_hwm_mb; "
             "atexit.register(lambda: print(f'VmHWM {vm_hwm_mb():.1f}', file=sys.stderr)); "
             "from emissions.cli.main import main; sys.exit(main(sys.argv[1:]))")


def child(argv: list[str], env: dict[str, str]) -> tuple[str, str, float]:
    """(stdout, stderr, wall seconds) of one child process."""
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - began
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[:4])}... failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return done.stdout.decode(), done.stderr.decode(), wall


def environment(parser: str) -> dict[str, str]:
    paths = [str(ROOT)]
    if parser == "greenbutton-objects" and GBO_TARGET.is_dir():
        paths.append(str(GBO_TARGET))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def ensure_greenbutton_objects() -> None:
    probe = [sys.executable, "-c", "import greenbutton_objects.parse"]
    if subprocess.run(probe, env=environment("greenbutton-objects"), capture_output=True).returncode == 0:
        return
    print(f"installing greenbutton-objects into {GBO_TARGET} (not a project dependency)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(GBO_TARGET),
                    "greenbutton-objects"], check=True)


def parse_run(parser: str, path: Path, repeat: int) -> tuple[dict, float]:
    out, _, _ = child([sys.executable, __file__, "--worker", parser, str(path), "--repeat", str(repeat)],
                      environment(parser))
    result = json.loads(out.strip().splitlines()[-1])
    return result, result["hwm_mb"]


def speeds(path: Path, repeat: int, rounds: int) -> dict[str, dict]:
    """Best CPU and wall ms of each parser over `rounds` alternating child processes."""
    best: dict[str, dict] = {}
    for _ in range(rounds):
        for which in PARSERS:
            result, _ = parse_run(which, path, repeat)
            if which in best:
                result["ms"] = min(result["ms"], best[which]["ms"])
                result["wall_ms"] = min(result["wall_ms"], best[which]["wall_ms"])
            best[which] = result
    return best


def summarize_run(path: Path, repeat: int) -> tuple[float, float]:
    """(best wall ms, peak RSS MB) of the whole `emissions greenbutton summarize --json` process."""
    runs = []
    for _ in range(repeat):
        _, err, wall = child([sys.executable, "-c", _WITH_HWM, str(Path(__file__).resolve().parent), "greenbutton",
                              "summarize", str(path), "--json"], environment("ours"))
        runs.append((wall, float(err.rsplit("VmHWM ", 1)[1].split()[0])))
    return min(w for w, _ in runs) * 1000, max(r for _, r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="parses per child process")
    parser.add_argument("--rounds", type=int, default=3, help="child processes per parser and file")
    parser.add_argument("--worker", nargs=2, metavar=("PARSER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.repeat)
        return

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import describe_machine
    from lxml import etree

    from greenbutton import write_csv, write_feed
    from testkit.hostile_feeds import many_linked_groups

    ensure_greenbutton_objects()
    print(f"machine: {describe_machine()}, "
          f"lxml {'.'.join(map(str, etree.LXML_VERSION[:3]))}, libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}")
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, days in (("1 year hourly", 365), ("10 years hourly", 3650)):
            path = Path(tmp) / f"{days}.xml"
            write_feed(path, seed=2024, start=date(2015, 1, 1), days=days, interval_seconds=3600, tz="UTC")
            write_csv(path.with_suffix(".csv"), seed=2024, start=date(2015, 1, 1), days=days)
            files[name] = (path, days * 24)

        print(f"\n{'file':<16} {'readings':>8} {'MB':>5}  {'what':<34} {'CPU ms':>9} {'wall ms':>9} "
              f"{'peak RSS MB':>12}")
        summary_rss = []
        for name, (path, readings) in files.items():
            size_mb = path.stat().st_size / 1e6
            speed = speeds(path, args.repeat, args.rounds)
            rss = {}
            for which in PARSERS:
                _, rss[which] = parse_run(which, path, 1)  # one parse in a fresh process: its peak
                print(f"{name:<16} {readings:>8} {size_mb:>5.1f}  {which + ' (parse + total)':<34} "
                      f"{speed[which]['ms']:>9.1f} {speed[which]['wall_ms']:>9.1f} {rss[which]:>12.1f}")
            cli_ms, cli_rss = summarize_run(path, min(args.repeat, 3))
            summary_rss.append(cli_rss)
            print(f"{name:<16} {readings:>8} {size_mb:>5.1f}  {'emissions greenbutton summarize':<34} "
                  f"{'':>9} {cli_ms:>9.1f} {cli_rss:>12.1f}")
            ours, theirs = speed["ours"], speed["greenbutton-objects"]
            ratio = theirs["ms"] / ours["ms"]
            agree = "totals agree" if ours["total_wh"] == theirs["total_wh"] else "TOTALS DIFFER"
            wall_ratio = theirs["wall_ms"] / ours["wall_ms"]
            print(f"{'':<16} ours is {ratio:.1f}x faster in CPU time, {wall_ratio:.1f}x in wall time "
                  f"({'meets' if ratio >= SPEEDUP_GOAL else 'MISSES'} the "
                  f"{SPEEDUP_GOAL:.0f}x goal; {agree}: {ours['total_wh']} Wh); summarize peaks at {cli_rss:.1f} MB "
                  f"against greenbutton-objects' {rss['greenbutton-objects']:.1f} MB "
                  f"({'meets' if cli_rss <= rss['greenbutton-objects'] else 'MISSES'} the goal)")
        for name, (path, readings) in files.items():
            twin = path.with_suffix(".csv")
            csv_speed = {"ms": float("inf"), "wall_ms": float("inf")}
            for _ in range(args.rounds):
                result, csv_rss = parse_run("csv", twin, args.repeat)
                csv_speed = {k: min(csv_speed[k], result[k]) for k in ("ms", "wall_ms")}
            print(f"{name:<16} {readings:>8} {twin.stat().st_size / 1e6:>5.1f}  {'ours, Green Button CSV':<34} "
                  f"{csv_speed['ms']:>9.1f} {csv_speed['wall_ms']:>9.1f} {csv_rss:>12.1f}")
        print(f"\nsummarize peak RSS, 1 -> 10 years of hourly data (10x the bytes): "
              f"{summary_rss[0]:.1f} -> {summary_rss[1]:.1f} MB")

        crafted = Path(tmp) / "crafted.xml"
        crafted.write_bytes(many_linked_groups(CRAFTED_GROUPS))
        result, rss = parse_run("ours", crafted, min(args.repeat, 3))
        print(f"crafted feed, {CRAFTED_GROUPS} MeterReadings each with its own IntervalBlock `up` link "
              f"({crafted.stat().st_size / 1e6:.1f} MB): ours {result['ms']:.0f} ms CPU, {result['wall_ms']:.0f} ms "
              f"wall, peak RSS {rss:.1f} MB (goal: under 2,000 ms)")


if __name__ == "__main__":
    main()
