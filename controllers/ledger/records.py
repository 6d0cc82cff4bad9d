"""The client-side shapes of registry and record calls, and the record detail hash.

`detail_hash(document)` is what VerifyRecord compares: SHA-256 over canonical_json(document)
(sorted keys, no whitespace, UTF-8, decimals as strings) of the private record detail
{"record_id", "customer_did", "account_id", "service_point_id", "emissions"} as the ledger stored it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from chaincode.emissions.canonical import canonical_json, decimal_str


def utc_text(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"{value!r} must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class AuditorSpec:
    msp_id: str
    name: str
    dids: tuple[str, ...]
    key_agreement_key: str  # multibase (z...) public key customers encrypt bills to

    def to_json(self) -> str:
        return json.dumps({"msp_id": self.msp_id, "name": self.name, "dids": list(self.dids),
                           "key_agreement_key": self.key_agreement_key})


@dataclass(frozen=True)
class RecordRequest:
    """The public arguments of RecordEmissions: nothing here may identify the customer."""

    utility_id: int
    period_start: datetime
    period_end: datetime
    bill_format: str
    bill_content_id: str
    bill_hash: str
    edition: str
    auditor_did: str
    supersedes: str = ""

    def to_json(self) -> str:
        return json.dumps({
            "utility_id": self.utility_id, "period_start": utc_text(self.period_start),
            "period_end": utc_text(self.period_end), "bill_format": self.bill_format,
            "bill_content_id": self.bill_content_id, "bill_hash": self.bill_hash, "edition": self.edition,
            "auditor_did": self.auditor_did, "supersedes": self.supersedes,
        })


@dataclass(frozen=True)
class CustomerDetail:
    """The transient (personal) part: who, which account and service point, how much."""

    customer_did: str
    account_id: str
    service_point_id: str
    kwh: Decimal
    hourly: Sequence[tuple[datetime, Decimal]] = ()

    def to_transient(self) -> bytes:
        document: dict[str, Any] = {
            "customer_did": self.customer_did, "account_id": self.account_id,
            "service_point_id": self.service_point_id, "kwh": decimal_str(self.kwh),
        }
        if self.hourly:
            document["hourly"] = [{"start": utc_text(start), "kwh": decimal_str(kwh)} for start, kwh in self.hourly]
        return canonical_json(document)


def detail_hash(document: Any) -> str:
    """SHA-256 hex of a record detail as canonical JSON (a dict, or its JSON bytes/text)."""
    if isinstance(document, (bytes, str)):
        document = json.loads(document)
    return hashlib.sha256(canonical_json(document)).hexdigest()
