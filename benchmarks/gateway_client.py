"""Client-side cost of the Gateway protocol: building + signing a proposal, signing an envelope.

Run: .venv/bin/python benchmarks/gateway_client.py [--iterations N]
Prints microseconds per operation and the machine it ran on. Network time is not included
(end-to-end transactions per second against the dev peer is a separate benchmark).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

import cryptography  # noqa: E402
from fabric_protos.common import common_pb2  # noqa: E402

from network.gateway import protocol  # noqa: E402
from network.msp import default_crypto_config, generate_crypto_material, load_msp  # noqa: E402


def _measure(fn, iterations: int, rounds: int = 5) -> tuple[float, float]:
    """Median and best of `rounds` runs, in microseconds per call."""
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(iterations):
            fn()
        per_call.append((time.perf_counter() - start) / iterations * 1e6)
    return statistics.median(per_call), min(per_call)




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        layout = generate_crypto_material(Path(tmp), default_crypto_config())
        member = load_msp(layout.org("Auditor1MSP").user("User1").msp_dir, "Auditor1MSP")
    creator = member.identity.serialize()
    record_args = ["rec-2024-0001", "EIA-14328", "2024-01-01", "2024-01-31", "sha256:" + "ab" * 32]
    transient = {"customer": b"did:key:z6Mk" + b"x" * 40, "account": b"1234567890", "kwh": b"1234.5"}

    def build() -> protocol.ProposalParts:
        return protocol.build_proposal(creator, "utilityemissions", "emissions", "Records:RecordEmissions", record_args, transient=transient)

    def build_and_sign() -> bytes:
        return member.signer.sign(build().proposal_bytes)

    # An envelope payload about the size of an endorsed RecordEmissions transaction with two endorsements.
    payload = common_pb2.Payload(data=os.urandom(4096)).SerializeToString()

    def sign_envelope() -> common_pb2.Envelope:
        return common_pb2.Envelope(payload=payload, signature=member.signer.sign(payload))

    print(f"machine: {describe_machine()}, cryptography {cryptography.__version__}")
    print(f"iterations per round: {args.iterations}, 5 rounds (median / best)")
    for name, fn in (("proposal build", build), ("proposal build + sign", build_and_sign), ("envelope sign (4 KiB)", sign_envelope)):
        median, best = _measure(fn, args.iterations)
        print(f"{name:<24} {median:8.1f} us  (best {best:.1f} us, {1e6 / median:,.0f}/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
