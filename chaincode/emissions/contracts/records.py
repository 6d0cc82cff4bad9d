"""EmissionsRecords: Scope 2 (purchased electricity) and Scope 1 (gas burned on site) emissions,
computed on every endorser and anchored on the channel.

RecordEmissions takes only non-personal data as arguments; the customer DID, account, service
point, kWh and the bill's id and hash arrive as transient data with a random salt (see
`record_request`). Each endorsing auditor peer looks the factors up in the factor registry and runs
the project's calculation itself, so the caller cannot supply the result and the orgs agree on it
byte for byte before it commits.

Storage:
- public `record` (channel state): what a non-member needs to check a credential and nothing from
  which a customer's usage follows: record id, transaction, utility, period, scope, factor edition,
  auditor org and DID, the detail hash, status and supersession links. No kWh, no CO2e, no factor
  a record was computed with, no bill reference: tCO2e divided by the utility's public factor gives
  the kWh back, and a bill hash shared by a bill's periods groups a customer's records;
- private `detail` (collection emissionsRecordDetails): the canonical JSON document
  {"record_id", "salt", "customer_did", "account_id", "service_point_id", "bill": {"format",
  "content_id", "sha256"}, "factor_reason", "emissions": PeriodEmissions.to_json_dict()}. The public
  record's `detail_hash` and Fabric's private data hash are both SHA-256 of exactly those bytes
  (for scope 1, "emissions" is CombustionEmissions.to_json_dict(): the gas quantity, its unit,
  mmBtu, the fuel's factors and GWP set):
  VerifyRecord compares a holder's copy with the latter. The salt (in the credential, nowhere
  public) is what makes the hash unguessable: without it candidate kWh could be tested against it;
- private `customer` index in month buckets (see `customer_index`): the customer's records, for
  the overlap and idempotency rules.

The record id is sha256("record" NUL tx_id): unique, the same on every endorser, and unrelated to
who the customer is.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from chaincode.emissions.calculation import calculate_period
from chaincode.emissions.canonical import canonical_json
from chaincode.emissions.combustion import calculate_combustion
from chaincode.emissions.contracts import arguments, customer_index, factor_store, index_secret, state
from chaincode.emissions.contracts.access import require_client_or_admin
from chaincode.emissions.contracts.auditors import require_active_auditor
from chaincode.emissions.contracts.record_request import PrivateDetail, PublicRequest, parse_detail, parse_request
from chaincode.emissions.errors import EmissionsError
from chaincode.runtime import Context, Contract, ContractError, query, transaction

COLLECTION = state.DETAILS_COLLECTION
EVENT = "EmissionsRecorded"
ACTIVE = "active"
SUPERSEDED = "superseded"
MAX_PAGE = 100
GWP_SET = "AR5"  # eGRID 2023's CO2e rates and the project's fuel editions both use IPCC AR5 100-year GWPs


def record_id_for(tx_id: str) -> str:
    return hashlib.sha256(b"record\x00" + tx_id.encode()).hexdigest()


def detail_document(record_id: str, detail: PrivateDetail, emissions: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "salt": detail.salt,
        "customer_did": detail.customer_did,
        "account_id": detail.account_id,
        "service_point_id": detail.service_point_id,
        "bill": {"format": detail.bill_format, "content_id": detail.bill_content_id, "sha256": detail.bill_hash},
        "factor_reason": reason,
        "emissions": emissions,
    }


def public_record(ctx: Context, record_id: str, request: PublicRequest, auditor_msp: str, edition: str,
                  gwp_set: str, detail_bytes: bytes) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "tx_id": ctx.stub.tx_id,
        "recorded_at": state.tx_time(ctx),
        "utility_id": request.utility_id,
        "period_start": arguments.utc_text(request.start),
        "period_end": arguments.utc_text(request.end),
        "year": request.year,
        "scope": request.scope,
        "fuel": request.fuel or None,
        "edition": edition,
        "gwp_set": gwp_set,
        "auditor_msp": auditor_msp,
        "auditor_did": request.auditor_did,
        "detail_hash": hashlib.sha256(detail_bytes).hexdigest(),
        "status": ACTIVE,
        "supersedes": request.supersedes or None,
        "superseded_by": None,
    }


def _overlaps(entry: dict[str, Any], start: datetime, end: datetime) -> bool:
    """Whether the [start, end) of an index entry or record intersects [start, end)."""
    return arguments.timestamp(entry["start"], "start") < end and start < arguments.timestamp(entry["end"], "end")


def _scope(entry: dict[str, Any]) -> int:
    return entry.get("scope", 2)  # entries written before scope 1 existed are electricity


class EmissionsRecords(Contract):
    name = "EmissionsRecords"
    title = "Emissions records: CO2e computed on the ledger, personal data in a private collection"
    version = "1.0"

    @transaction
    async def RecordEmissions(self, ctx: Context, request: str) -> str:
        """Compute and record one billing period's emissions; personal data in transient "detail".
        Returns {"record": public record, "replayed": bool}."""
        msp = require_client_or_admin(ctx, "record emissions")
        auditor = await require_active_auditor(ctx, msp)
        public = parse_request(request)
        if public.auditor_did not in auditor["dids"]:
            raise ContractError(f"auditor_did {public.auditor_did} is not a registered DID of auditor org {msp}")
        secret = await index_secret.load(ctx)
        detail = parse_detail(ctx.stub.transient, public)
        if public.scope == 2:
            meta = await factor_store.require_sealed(ctx, public.edition)
            if meta["year"] > public.year:
                raise ContractError(f"edition {public.edition!r} describes {meta['year']}, after the period's year "
                                    f"{public.year}; use an edition of that year or earlier")
        else:
            # Fuel factors are properties of the fuel, not of a year's grid: any sealed edition applies.
            fuels = await factor_store.fuel_edition(ctx, public.edition)

        buckets: customer_index.Buckets = {}
        await customer_index.load(ctx, secret, detail, customer_index.months(public.start, public.end), buckets)
        known = customer_index.entries(buckets)
        replay = self._replay(known, public, detail)
        if replay is not None:
            existing = await self._record(ctx, replay)
            return state.output({"record": existing, "replayed": True})
        superseded = self._check_overlap(known, public)

        try:
            if public.scope == 2:
                location, market = await factor_store.resolve(ctx, meta, public.utility_id, public.year)
                emissions = calculate_period(detail.kwh, location, market, start=public.start, end=public.end,
                                             hourly_kwh=detail.hourly).to_json_dict()
                edition, gwp_set, reason = meta["edition"], GWP_SET, location.reason
            else:
                burned = calculate_combustion(detail.quantity, detail.unit, public.fuel, fuels, start=public.start,
                                              end=public.end)
                emissions = burned.to_json_dict()
                edition, gwp_set = fuels.edition, fuels.gwp.name
                reason = f"{fuels.source}: {public.fuel}, per mmBtu"
        except EmissionsError as exc:
            raise ContractError(str(exc)) from None

        record_id = record_id_for(ctx.stub.tx_id)
        detail_bytes = canonical_json(detail_document(record_id, detail, emissions, reason))
        record = public_record(ctx, record_id, public, msp, edition, gwp_set, detail_bytes)
        await state.put_json(ctx, state.key(state.RECORD, record_id), record)
        await ctx.stub.put_state(
            state.key(state.RECORD_BY_UTILITY, str(public.utility_id), record["period_start"], record_id), record_id)
        await ctx.stub.put_private_data(COLLECTION, state.key(state.DETAIL, record_id), detail_bytes)
        if superseded is not None:
            await self._supersede(ctx, superseded["record_id"], record_id)
            # Its buckets outside this period too: the old record must read superseded in each.
            await customer_index.load(ctx, secret, detail, customer_index.months_of(superseded), buckets)
        entry = {"record_id": record_id, "start": record["period_start"], "end": record["period_end"],
                 "bill_hash": detail.bill_hash, "status": ACTIVE, "scope": public.scope}
        for listed in buckets.values():
            listed[:] = [{**e, "status": SUPERSEDED} if superseded and e["record_id"] == superseded["record_id"] else e
                         for e in listed]
        for month in customer_index.months(public.start, public.end):
            buckets[month].append(entry)
        await customer_index.save(ctx, secret, detail, buckets)
        ctx.stub.set_event(EVENT, state.output(record))
        return state.output({"record": record, "replayed": False})

    @query
    async def GetRecord(self, ctx: Context, record_id: str) -> str:
        return state.output(await self._record(ctx, record_id))

    @query
    async def GetRecordDetail(self, ctx: Context, record_id: str) -> str:
        """The private detail (collection members only): the exact bytes whose hash is on the ledger."""
        raw = await ctx.stub.get_private_data(COLLECTION, state.key(state.DETAIL, record_id))
        if raw is None:
            raise ContractError(f"no private detail for record {record_id}")
        return raw.decode("utf-8")

    @query
    async def VerifyRecord(self, ctx: Context, record_id: str, detail_hash: str) -> str:
        """Whether SHA-256 of a record's canonical detail equals the hash on the ledger; any
        channel member may ask. Returns {record_id, matches, status, superseded_by}."""
        arguments.sha256_hex(detail_hash, "detail_hash")
        record = await self._record(ctx, record_id)
        on_ledger = await ctx.stub.get_private_data_hash(COLLECTION, state.key(state.DETAIL, record_id))
        return state.output({
            "record_id": record_id,
            "matches": on_ledger is not None and on_ledger.hex() == detail_hash,
            "status": record["status"],
            "superseded_by": record["superseded_by"],
            "tx_id": record["tx_id"],
        })

    @query
    async def QueryRecords(self, ctx: Context, utility_id: int, period_from: str, period_to: str,
                           page_size: int, bookmark: str) -> str:
        """Public records of a utility whose period overlaps [period_from, period_to), by period
        start; at most `page_size` (1-100) per call, continue with the returned bookmark (hex of
        the next index key, "" at the end). Uses the shim's paginated range queries, which Fabric
        serves only to read-only transactions: evaluate it, never mix it with writes."""
        start = arguments.timestamp(period_from, "period_from")
        end = arguments.timestamp(period_to, "period_to")
        if end <= start:
            raise ContractError("period_to must be after period_from")
        if not 1 <= page_size <= MAX_PAGE:
            raise ContractError(f"page_size must be from 1 to {MAX_PAGE}, got {page_size}")
        prefix = state.key(state.RECORD_BY_UTILITY, str(utility_id))
        next_key = self._bookmark(bookmark, prefix)
        records: list[dict[str, Any]] = []
        # Index keys are [utility, period start, record id]: in period order. A record that began
        # before period_from may still overlap it, so the first page starts at the utility's first
        # key, not at period_from; each fetch asks for just the records still missing, so the stub's bookmark (the next key)
        # is exactly where the following call resumes.
        while len(records) < page_size:
            page = await ctx.stub.get_state_by_partial_composite_key_with_pagination(
                state.RECORD_BY_UTILITY, [str(utility_id)], page_size - len(records), next_key)
            for kv in page.records:
                _, (_, period_start, _) = ctx.stub.split_composite_key(kv.key)
                if arguments.timestamp(period_start, "period start") >= end:
                    return state.output({"records": records, "bookmark": ""})
                record = await self._record(ctx, kv.value.decode())
                if _overlaps({"start": record["period_start"], "end": record["period_end"]}, start, end):
                    records.append(record)
            next_key = page.bookmark
            if not next_key:
                break
        next_bookmark = next_key.encode().hex()
        return state.output({"records": records, "bookmark": next_bookmark})

    @query
    async def RecordHistory(self, ctx: Context, record_id: str) -> str:
        """Every committed version of the public record, newest first."""
        history = await state.history_json(ctx, state.key(state.RECORD, record_id), "record")
        if not history:
            raise ContractError(f"no record {record_id}")
        return state.output(history)

    # -- internals ----------------------------------------------------------------------------
    async def _record(self, ctx: Context, record_id: str) -> dict[str, Any]:
        record = await state.get_json(ctx, state.key(state.RECORD, record_id), "record")
        if record is None:
            raise ContractError(f"no record {record_id}")
        return record

    @staticmethod
    def _replay(known: list[dict[str, Any]], request: PublicRequest, detail: PrivateDetail) -> str | None:
        start, end = arguments.utc_text(request.start), arguments.utc_text(request.end)
        for entry in known:
            if (entry["start"], entry["end"], entry["bill_hash"], _scope(entry)) == (start, end, detail.bill_hash,
                                                                                   request.scope):
                return entry["record_id"]
        return None

    @staticmethod
    def _check_overlap(known: list[dict[str, Any]], request: PublicRequest) -> dict[str, Any] | None:
        """The index entry of the record this one supersedes (if any), after checking the
        no-overlap rule. Only a record sharing a month with this period can be superseded: a
        correction is for the same period, and the index is searched by month."""
        # A customer's electricity and gas are separate inventories: only records of one scope clash.
        active = [entry for entry in known if entry["status"] == ACTIVE and _scope(entry) == request.scope]
        superseded = None
        if request.supersedes:
            superseded = next((e for e in active if e["record_id"] == request.supersedes), None)
            if superseded is None:
                raise ContractError(f"record {request.supersedes} is not an active record of this customer "
                                    "and account in the months of this period, so it cannot be superseded")
        clashes = [e["record_id"] for e in active if _overlaps(e, request.start, request.end) and e["record_id"] != request.supersedes]
        if clashes:
            raise ContractError(f"the period overlaps record {clashes[0]} of the same customer and account; "
                                "record it as superseding that record, or correct the period")
        return superseded

    async def _supersede(self, ctx: Context, old_id: str, new_id: str) -> None:
        old = await self._record(ctx, old_id)
        old.update(status=SUPERSEDED, superseded_by=new_id)
        await state.put_json(ctx, state.key(state.RECORD, old_id), old)

    @staticmethod
    def _bookmark(bookmark: str, prefix: str) -> str:
        """The index key a bookmark names; it must lie in the queried utility's index."""
        if not bookmark:
            return ""
        try:
            key = bytes.fromhex(bookmark).decode("utf-8")
        except ValueError:
            key = ""
        if not key.startswith(prefix):
            raise ContractError(f"bookmark {bookmark!r} is not one this query returned")
        return key
