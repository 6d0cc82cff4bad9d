"""What RecordEmissions is given: the public request and the private detail from transient data.

Public request (JSON argument): utility_id, period_start, period_end, edition, auditor_did, and
optionally supersedes (a record id), scope (2, the default: purchased electricity; or 1: gas burned
on site) and, for scope 1, fuel (a fuel of the fuel edition `edition` names, e.g. "natural_gas").
Nothing in it is about the customer.
Transient key "detail" (JSON): customer_did, account_id, service_point_id, bill_format,
bill_content_id, bill_hash, salt (32-128 lower-case hex digits: at least 128 random bits), and the
usage: for scope 2 kwh (decimal string) and optionally hourly: [{"start": RFC 3339, "kwh": decimal
string}, ...]; for scope 1 quantity (decimal string) and unit (btu, therm, dekatherm, mmbtu, scf, ccf,
mcf or m3, as the bill states it).

The bill's id and hash are private too: one bill covers several periods, so a public bill hash
would group a customer's records. The salt makes every private value the ledger hashes
unguessable (Fabric publishes SHA-256 of each private value): without it, anyone knowing a
customer's DID and account could test candidate kWh against the public hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from chaincode.emissions.combustion import GAS_UNITS
from chaincode.emissions.contracts import arguments
from chaincode.emissions.interface import TRANSIENT_DETAIL
from chaincode.emissions.rounding import exact
from chaincode.runtime import ContractError

TRANSIENT_KEY = TRANSIENT_DETAIL
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+:/-]{0,199}")
_SALT = re.compile(r"[0-9a-f]{32,128}")
# A bill format is a name ("Green Button XML", "Green Button CSV") or a media type ("espi-atom+xml").
_FORMAT = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+:/-]{0,79}")
_REQUEST_FIELDS = {"utility_id", "period_start", "period_end", "edition", "auditor_did", "supersedes", "scope", "fuel"}
_BILL_FIELDS = {"customer_did", "account_id", "service_point_id", "bill_format", "bill_content_id", "bill_hash", "salt"}
_DETAIL_FIELDS = {2: _BILL_FIELDS | {"kwh", "hourly"}, 1: _BILL_FIELDS | {"quantity", "unit"}}
_FUEL = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_PERIOD_DAYS = 400  # a billing period, not a history: bounds the private index buckets one record touches


@dataclass(frozen=True)
class PublicRequest:
    utility_id: int
    start: datetime
    end: datetime
    edition: str
    auditor_did: str
    supersedes: str
    scope: int = 2
    fuel: str = ""

    @property
    def year(self) -> int:
        """The UTC year of the period's midpoint: picks the market factor vintage (as `emissions calc`)."""
        return (self.start + (self.end - self.start) / 2).year


@dataclass(frozen=True)
class PrivateDetail:
    customer_did: str
    account_id: str
    service_point_id: str
    kwh: Decimal | None  # scope 2
    hourly: tuple[tuple[datetime, Decimal], ...]
    bill_format: str
    bill_content_id: str
    bill_hash: str
    salt: str
    quantity: Decimal | None = None  # scope 1, in `unit`
    unit: str = ""


def _token(document: Mapping[str, object], name: str, what: str) -> str:
    # Only ever for private (transient) fields: the value is never echoed.
    value = arguments.text(document, name, what)
    if not _TOKEN.fullmatch(value):
        raise ContractError(f"{what}: {name} must be 1-200 characters of letters, digits and ._+:/-")
    return value


def _bill_format(document: Mapping[str, object], what: str) -> str:
    value = arguments.text(document, "bill_format", what)
    if not _FORMAT.fullmatch(value) or value != value.strip():
        raise ContractError(f"{what}: bill_format must be 1-80 characters of letters, digits, spaces and ._+:/-")
    return value


def parse_request(text: str) -> PublicRequest:
    what = "request"
    document = arguments.json_object(text, what)
    arguments.check_fields(document, _REQUEST_FIELDS, what)
    utility_id = arguments.field(document, "utility_id", int, what)
    if utility_id <= 0:
        raise ContractError(f"{what}: utility_id must be a positive EIA utility number, got {utility_id}")
    start = arguments.timestamp(arguments.text(document, "period_start", what), "period_start")
    end = arguments.timestamp(arguments.text(document, "period_end", what), "period_end")
    if end <= start:
        raise ContractError(f"period_end {arguments.utc_text(end)} must be after period_start {arguments.utc_text(start)}")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ContractError(f"the period is {(end - start).days} days long; record each billing period "
                            f"(at most {MAX_PERIOD_DAYS} days) on its own")
    supersedes = arguments.text(document, "supersedes", what, optional=True)
    scope = document.get("scope", 2)
    if scope not in (1, 2) or isinstance(scope, bool):
        raise ContractError(f"{what}: scope must be 1 (fuel burned on site) or 2 (purchased electricity), got {scope!r}")
    fuel = arguments.text(document, "fuel", what, optional=True) or ""
    if scope == 1 and not _FUEL.fullmatch(fuel):
        raise ContractError(f"{what}: a scope 1 record names its fuel (e.g. natural_gas), got {fuel!r}")
    if scope == 2 and fuel:
        raise ContractError(f"{what}: fuel is for scope 1 records; a scope 2 record is purchased electricity")
    return PublicRequest(
        utility_id=utility_id, start=start, end=end,
        edition=arguments.text(document, "edition", what),
        auditor_did=arguments.did_key(document.get("auditor_did"), "auditor_did"),
        supersedes=arguments.sha256_hex(supersedes, "supersedes") if supersedes else "",
        scope=scope, fuel=fuel,
    )


def parse_detail(transient: Mapping[str, bytes], request: PublicRequest) -> PrivateDetail:
    raw = transient.get(TRANSIENT_KEY)
    if raw is None:
        raise ContractError(f"transient data {TRANSIENT_KEY!r} is missing: the customer DID, account, service "
                            "point and kWh travel as transient data, never as arguments")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ContractError(f"transient {TRANSIENT_KEY!r} is not UTF-8") from None
    what = f"transient {TRANSIENT_KEY!r}"
    document = arguments.json_object(text, what, echo=False)
    arguments.check_fields(document, _DETAIL_FIELDS[request.scope], what)
    customer_did = arguments.text(document, "customer_did", what)
    if not customer_did.startswith("did:"):
        raise ContractError(f"{what}: customer_did must be a DID (did:...)")
    kwh, hourly, quantity, unit = None, (), None, ""
    if request.scope == 2:
        kwh = arguments.decimal_text(document.get("kwh"), "kwh", echo=False)
        hourly = _hourly(document.get("hourly", []), request, kwh)
    else:
        quantity = arguments.decimal_text(document.get("quantity"), "quantity", echo=False)
        unit = arguments.text(document, "unit", what)
        if unit not in GAS_UNITS:
            raise ContractError(f"{what}: unit must be one of {', '.join(GAS_UNITS)}")
    salt = document.get("salt")
    if not isinstance(salt, str) or not _SALT.fullmatch(salt):
        raise ContractError(f"{what}: salt must be 32 to 128 lower-case hex digits (at least 128 random bits); "
                            "it keeps the private data hashes on the ledger unguessable")
    return PrivateDetail(
        customer_did, arguments.text(document, "account_id", what), arguments.text(document, "service_point_id", what),
        kwh, hourly,
        bill_format=_bill_format(document, what),
        bill_content_id=_token(document, "bill_content_id", what),
        bill_hash=arguments.sha256_hex(document.get("bill_hash"), "bill_hash", echo=False),
        salt=salt, quantity=quantity, unit=unit,
    )


def _hourly(entries: object, request: PublicRequest, kwh: Decimal) -> tuple[tuple[datetime, Decimal], ...]:
    if not isinstance(entries, list):
        raise ContractError("hourly must be a list of {start, kwh}")
    hours = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or set(entry) != {"start", "kwh"}:
            raise ContractError(f"hourly[{index}] must be an object with start and kwh")
        start = arguments.timestamp(entry["start"], f"hourly[{index}].start", echo=False)
        if not request.start <= start < request.end:
            raise ContractError(f"hourly[{index}] starts outside the period")
        hours.append((start, arguments.decimal_text(entry["kwh"], f"hourly[{index}].kwh", echo=False)))
    if hours:
        ctx = exact()
        total = Decimal(0)
        for _, value in hours:
            total = ctx.add(total, value)
        if total != kwh:
            raise ContractError("the hourly kWh do not add up to the period's kwh")
    return tuple(hours)
