"""Bill custody speed and sizes: encrypt + store, retrieve + decrypt, for one-year feeds.

Generates a one-year hourly and a one-year 15-minute Green Button feed, then for each: encrypts it
to three recipients (customer + two auditor orgs, as in the demo) as a JWE with DEFLATE, stores it
in a LocalContentStore (CID computed as Kubo's `ipfs add` would), and retrieves + decrypts +
hash-checks it as the customer. Prints the best of --repeat runs in milliseconds, and sizes.

    .venv/bin/python benchmarks/bill_custody.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe_machine  # noqa: E402

from custody import (  # noqa: E402
    BillCustody,
    LocalContentStore,
    Recipient,
    decrypt,
    encrypt,
    generate_private_key,
    public_jwk,
    public_multibase,
    unixfs_cid,
)
from greenbutton import generate_feed  # noqa: E402

FEEDS = (("1 year hourly", 3600), ("1 year 15-minute", 900))




def best_ms(samples: list[float]) -> float:
    return min(samples) * 1000


async def measure(feed: bytes, repeat: int, root: Path) -> dict[str, float]:
    customer = generate_private_key()
    recipients = [Recipient.of("did:key:z6LSbench#key-agreement", public_multibase(customer.public_key()))] + [
        Recipient.of(msp, public_jwk(generate_private_key().public_key())) for msp in ("Auditor1MSP", "Auditor2MSP")
    ]
    custody = BillCustody(LocalContentStore(root))
    timings: dict[str, list[float]] = {name: [] for name in ("encrypt", "cid", "deposit", "retrieve", "decrypt")}
    for _ in range(repeat):
        began = time.perf_counter()
        token = encrypt(feed, recipients)
        timings["encrypt"].append(time.perf_counter() - began)
        began = time.perf_counter()
        unixfs_cid(token)
        timings["cid"].append(time.perf_counter() - began)
        began = time.perf_counter()
        decrypt(token, customer)
        timings["decrypt"].append(time.perf_counter() - began)
        began = time.perf_counter()
        receipt = await custody.deposit(feed, recipients)
        timings["deposit"].append(time.perf_counter() - began)
        began = time.perf_counter()
        await custody.retrieve(receipt.cid, customer, receipt.plaintext_sha256)
        timings["retrieve"].append(time.perf_counter() - began)
    uncompressed = encrypt(feed, recipients, compress=False)
    return {name: best_ms(values) for name, values in timings.items()} | {
        "plain": len(feed),
        "jwe_deflate": receipt.ciphertext_size,
        "jwe_plain": len(uncompressed),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"machine: {describe_machine()}, "
        f"jwcrypto {version('jwcrypto')}, cryptography {version('cryptography')}"
    )
    print(f"3 recipients (X25519, ECDH-ES+A256KW), A256GCM, zip=DEF; best of {args.repeat}; local store in {tempfile.gettempdir()}")
    header = (
        f"{'feed':<18}{'plain':>11}{'JWE+DEF':>10}{'JWE raw':>11}{'ratio':>7}"
        f"{'encrypt':>9}{'CID':>7}{'decrypt':>9}{'deposit':>9}{'retrieve':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, interval in FEEDS:
        feed = generate_feed(seed=1, start=date(2024, 1, 1), days=366, interval_seconds=interval)
        with tempfile.TemporaryDirectory() as root:
            r = await measure(feed, args.repeat, Path(root))
        print(
            f"{label:<18}{r['plain'] / 1e6:>9.2f}MB{r['jwe_deflate'] / 1e3:>8.0f}kB{r['jwe_plain'] / 1e6:>9.2f}MB"
            f"{r['plain'] / r['jwe_deflate']:>6.1f}x{r['encrypt']:>7.1f}ms{r['cid']:>5.1f}ms{r['decrypt']:>7.1f}ms"
            f"{r['deposit']:>7.1f}ms{r['retrieve']:>8.1f}ms"
        )
    print("deposit = hash + encrypt + CID + atomic write (fsync); retrieve = read + verify CID + decrypt + hash check")


if __name__ == "__main__":
    asyncio.run(main())
