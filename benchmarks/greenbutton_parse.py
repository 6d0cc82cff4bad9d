"""Parse-and-total speed and memory: our streaming parser vs greenbutton-objects.

Generates a one-year hourly and a one-year 15-minute feed (8,760 and 35,040 readings), then
runs each parser on each file in its own subprocess, so peak RSS and allocations of one run do
not leak into another. Prints milliseconds (best of --repeat), tracemalloc peak, RSS growth over
the process after imports, and how many times faster and leaner ours is.

    .venv/bin/python benchmarks/greenbutton_parse.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARSERS = ("ours", "greenbutton-objects")


def total_ours(path: str) -> int:
    from greenbutton import parse_file

    doc = parse_file(path)
    (series,) = doc.series
    return int(series.total * 1000)  # Wh, to compare with the other parser


def total_greenbutton_objects(path: str) -> int:
    from greenbutton_objects import parse

    usage_points = parse.parse_feed(path)
    return sum(ir.value for up in usage_points for mr in up.meterReadings for ir in mr.intervalReadings)


def worker(parser: str, path: str, repeat: int) -> None:
    """Runs in a fresh interpreter; prints one JSON line."""
    run = total_ours if parser == "ours" else total_greenbutton_objects
    if parser == "ours":
        import greenbutton  # noqa: F401 - imports are not what we measure
    else:
        import greenbutton_objects.parse  # noqa: F401
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings = []
    total = None
    for _ in range(repeat):
        began = time.perf_counter()
        total = run(path)
        timings.append(time.perf_counter() - began)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    run(path)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "ms": min(timings) * 1000,
                "total_wh": total,
                "rss_growth_kb": rss_after - rss_before,  # ru_maxrss is in KiB on Linux
                "traced_peak_kb": traced_peak / 1024,
            }
        )
    )


def measure(parser: str, path: Path, repeat: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--worker", parser, str(path), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--worker", nargs=2, metavar=("PARSER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.repeat)
        return

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _machine import describe_machine
    from lxml import etree

    from greenbutton import write_feed

    print(f"machine: {describe_machine()}, "
          f"lxml {'.'.join(map(str, etree.LXML_VERSION[:3]))}, libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}")
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, interval in (("1 year hourly", 3600), ("1 year 15-minute", 900)):
            path = Path(tmp) / f"{interval}.xml"
            write_feed(path, seed=2024, start=date(2023, 1, 1), days=365, interval_seconds=interval)
            files[name] = (path, 365 * 86400 // interval)

        results: dict[tuple[str, str], dict] = {}
        print(f"\n{'file':<18} {'readings':>8} {'MB':>6}  {'parser':<20} {'ms':>9} {'traced peak MB':>15} {'RSS growth MB':>14}")
        for name, (path, readings) in files.items():
            size_mb = path.stat().st_size / 1e6
            for which in PARSERS:
                r = results[(name, which)] = measure(which, path, args.repeat)
                print(f"{name:<18} {readings:>8} {size_mb:>6.1f}  {which:<20} {r['ms']:>9.1f} "
                      f"{r['traced_peak_kb'] / 1024:>15.2f} {r['rss_growth_kb'] / 1024:>14.1f}")
            ours, theirs = results[(name, "ours")], results[(name, "greenbutton-objects")]
            agree = "totals agree" if ours["total_wh"] == theirs["total_wh"] else "TOTALS DIFFER"
            print(f"{'':<18} ours is {theirs['ms'] / ours['ms']:.1f}x faster, "
                  f"{theirs['traced_peak_kb'] / ours['traced_peak_kb']:.0f}x less traced memory ({agree}: "
                  f"{ours['total_wh']} Wh)")

        small, large = (results[(n, "ours")] for n in files)
        (small_path, small_n), (large_path, large_n) = files.values()
        print(f"\nours, 15-minute vs hourly file: {large_path.stat().st_size / small_path.stat().st_size:.1f}x the bytes, "
              f"{large_n / small_n:.0f}x the readings; RSS growth {small['rss_growth_kb'] / 1024:.1f} -> "
              f"{large['rss_growth_kb'] / 1024:.1f} MB, traced peak {small['traced_peak_kb'] / 1024:.2f} -> "
              f"{large['traced_peak_kb'] / 1024:.2f} MB (the kept columns: 32 bytes a reading)")


if __name__ == "__main__":
    main()
