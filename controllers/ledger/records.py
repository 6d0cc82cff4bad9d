"""The client-side shapes of registry and record calls, and the record detail hash.

`detail_hash(document)` is what VerifyRecord compares: SHA-256 over canonical_json(document)
(sorted keys, no whitespace, UTF-8, decimals as strings) of the private record detail as the ledger
stored it ({"record_id", "salt", "customer_did", "account_id", "service_point_id", "bill",
"factor_reason", "emissions"}; see the chaincode's `records` module).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
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


SALT_BYTES = 16  # 128 bits, the least the chaincode takes


def new_salt() -> str:
    return secrets.token_hex(SALT_BYTES)


@dataclass(frozen=True)
class RecordRequest:
    """The public arguments of RecordEmissions: nothing here may identify the customer or its bill."""

    utility_id: int
    period_start: datetime
    period_end: datetime
    edition: str  # an eGRID edition for scope 2, a fuel edition for scope 1
    auditor_did: str
    supersedes: str = ""
    scope: int = 2  # 2: purchased electricity; 1: fuel burned on site (gas)
    fuel: str = ""  # scope 1: the edition's fuel, e.g. "natural_gas"

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "utility_id": self.utility_id, "period_start": utc_text(self.period_start),
            "period_end": utc_text(self.period_end), "edition": self.edition,
            "auditor_did": self.auditor_did, "supersedes": self.supersedes, "scope": self.scope,
        }
        if self.fuel:
            document["fuel"] = self.fuel
        return json.dumps(document)


@dataclass(frozen=True)
class BillReference:
    """Which bill a record was computed from: its format, content id in custody and SHA-256."""

    format: str
    content_id: str
    sha256: str


@dataclass(frozen=True)
class GasUsage:
    """A period's gas as the bill states it: the quantity and its unit (therm, ccf, m3, ...)."""

    quantity: Decimal
    unit: str


# Green Button's gas units as the ledger's fuel factors name them (ft3 is a standard cubic foot).
_FUEL_UNITS = {"therm": "therm", "dekatherm": "dekatherm", "ft3": "scf", "ccf": "ccf", "mcf": "mcf", "m3": "m3",
               "BTU": "btu"}


def fuel_unit(green_button_unit: str) -> str:
    """The fuel factors' name for a Green Button gas unit; ValueError for one they have no factor for."""
    try:
        return _FUEL_UNITS[green_button_unit]
    except KeyError:
        raise ValueError(f"gas metered in {green_button_unit} has no factor on the ledger (use therm, ft3, ccf, mcf, "
                         "m3 or BTU)") from None


@dataclass(frozen=True)
class CustomerDetail:
    """The transient (private) part: who, which account and service point, how much, from which bill,
    and the random salt that keeps the ledger's hash of it unguessable. A fresh salt per call is
    right: an identical repeat returns the record already written, with the salt it was written with."""

    customer_did: str
    account_id: str
    service_point_id: str
    kwh: Decimal | None  # scope 2; None for a gas record
    bill: BillReference
    hourly: Sequence[tuple[datetime, Decimal]] = ()
    salt: str = field(default_factory=new_salt, repr=False)
    gas: GasUsage | None = None  # scope 1

    def __post_init__(self) -> None:
        if (self.kwh is None) == (self.gas is None):
            raise ValueError("a record detail has either kWh (electricity) or gas usage, not both or neither")

    def to_transient(self) -> bytes:
        document: dict[str, Any] = {
            "customer_did": self.customer_did, "account_id": self.account_id,
            "service_point_id": self.service_point_id,
            "bill_format": self.bill.format, "bill_content_id": self.bill.content_id, "bill_hash": self.bill.sha256,
            "salt": self.salt,
        }
        if self.gas is not None:
            document.update(quantity=decimal_str(self.gas.quantity), unit=self.gas.unit)
        else:
            document["kwh"] = decimal_str(self.kwh)
        if self.hourly:
            document["hourly"] = [{"start": utc_text(start), "kwh": decimal_str(kwh)} for start, kwh in self.hourly]
        return canonical_json(document)


def detail_hash(document: Any) -> str:
    """SHA-256 hex of a record detail as canonical JSON (a dict, or its JSON bytes/text)."""
    if isinstance(document, (bytes, str)):
        document = json.loads(document)
    return hashlib.sha256(canonical_json(document)).hexdigest()
