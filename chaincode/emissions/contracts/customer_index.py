"""The private index of a customer's records (overlap and replay rules), in month buckets.

Fabric publishes SHA-256 of every private key a transaction reads or writes. With one index key per
customer, every one of that customer's transactions would carry the same key hash, and anyone
reading the blocks could group them. So the index is split by calendar month (UTC): the key is
HMAC(index secret; DID, account, service point, "YYYY-MM") (see `index_secret`), and a record is
listed in the bucket of every month its period touches. Records of one customer whose periods
touch no common month share no key. Records that do share one (a correction; two bills in a month;
and consecutive billing cycles that do not break at 00:00 UTC on the 1st, which is most real ones:
Jan 15-Feb 14 and Feb 14-Mar 15 both touch February) share a bucket and so a key hash, and stay
linkable to each other: an overlap check on the ledger must read what a possible neighbour wrote.

Each bucket is written with the writing transaction's salt, so its value hash, public as well,
cannot be confirmed from guessed contents.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chaincode.emissions.contracts import arguments, index_secret, state
from chaincode.emissions.contracts.record_request import PrivateDetail
from chaincode.runtime import Context

Buckets = dict[str, list[dict[str, Any]]]  # month ("YYYY-MM") -> the entries listed in it


def months(start: datetime, end: datetime) -> list[str]:
    """The UTC calendar months [start, end) touches, in order."""
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    found = []
    while first < end:
        found.append(f"{first.year:04d}-{first.month:02d}")
        first = first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)
    return found


def months_of(entry: dict[str, Any]) -> list[str]:
    return months(arguments.timestamp(entry["start"], "start"), arguments.timestamp(entry["end"], "end"))


def _key(secret: bytes, detail: PrivateDetail, month: str) -> str:
    return state.key(state.CUSTOMER, index_secret.customer_key(
        secret, detail.customer_did, detail.account_id, detail.service_point_id, month))


async def load(ctx: Context, secret: bytes, detail: PrivateDetail, wanted: list[str], buckets: Buckets) -> None:
    """Read the buckets of `wanted` months that `buckets` does not hold yet into it."""
    for month in wanted:
        if month not in buckets:
            found = await state.get_private_json(ctx, state.DETAILS_COLLECTION, _key(secret, detail, month),
                                                 "customer index")
            buckets[month] = found["records"] if found else []


def entries(buckets: Buckets) -> list[dict[str, Any]]:
    """Every record listed in the buckets, once."""
    seen: dict[str, dict[str, Any]] = {}
    for listed in buckets.values():
        for entry in listed:
            seen.setdefault(entry["record_id"], entry)
    return list(seen.values())


async def save(ctx: Context, secret: bytes, detail: PrivateDetail, buckets: Buckets) -> None:
    for month in sorted(buckets):
        await state.put_private_json(ctx, state.DETAILS_COLLECTION, _key(secret, detail, month),
                                     {"records": buckets[month], "salt": detail.salt})
