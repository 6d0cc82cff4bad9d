"""EmissionsRecords: Scope 2 emissions computed on every endorser and anchored on the channel.

RecordEmissions takes only non-personal data as arguments; the customer DID, account, service
point and kWh arrive as transient data (see `record_request`). Each endorsing auditor peer looks the
factors up in the factor registry and runs the project's calculation itself, so the caller cannot
supply the result and the orgs agree on it byte for byte before it commits.

Storage:
- public `record` (channel state): ids, utility, period, tCO2e location- and market-based with the
  factor level and source, auditor org and DID, bill content id and hash, status, supersession links;
- private `detail` (collection emissionsRecordDetails): the canonical JSON document
  {"record_id", "customer_did", "account_id", "service_point_id", "emissions": PeriodEmissions
  .to_json_dict()}. The ledger holds SHA-256 of exactly those bytes, which is what VerifyRecord
  compares: a verifier holding the credential's record detail re-serialises it with canonical_json
  (sorted keys, no whitespace, UTF-8, decimals as strings) and hashes it;
- private `customer` index keyed by HMAC-SHA256(index secret; DID, account, service point): the
  customer's records, for the overlap and idempotency rules. The secret lives only in the
  collection (see `index_secret`), so the SHA-256 of this key that the public read-write set
  carries cannot be recomputed from a guessed DID and account.

The record id is sha256("record" NUL tx_id): unique, the same on every endorser, and unrelated to
who the customer is.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from chaincode.emissions.calculation import PeriodEmissions, calculate_period
from chaincode.emissions.canonical import decimal_str
from chaincode.emissions.contracts import arguments, factor_store, index_secret, state
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


def record_id_for(tx_id: str) -> str:
    return hashlib.sha256(b"record\x00" + tx_id.encode()).hexdigest()


def detail_document(record_id: str, detail: PrivateDetail, emissions: PeriodEmissions) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "customer_did": detail.customer_did,
        "account_id": detail.account_id,
        "service_point_id": detail.service_point_id,
        "emissions": emissions.to_json_dict(),
    }


def public_record(ctx: Context, record_id: str, request: PublicRequest, auditor_msp: str,
                  emissions: PeriodEmissions, edition: str, reason: str) -> dict[str, Any]:
    def basis(figures: Any, extra: dict[str, Any]) -> dict[str, Any]:
        return {"method": figures.method, "source": figures.source, "fallback": figures.fallback,
                "co2e_lb_per_mwh": decimal_str(figures.co2e_lb_per_mwh),
                "co2e_t": decimal_str(figures.masses.co2e_t), **extra}

    return {
        "record_id": record_id,
        "tx_id": ctx.stub.tx_id,
        "recorded_at": state.tx_time(ctx),
        "utility_id": request.utility_id,
        "period_start": arguments.utc_text(request.start),
        "period_end": arguments.utc_text(request.end),
        "year": request.year,
        "edition": edition,
        "location": basis(emissions.location, {"reason": reason}),
        "market": basis(emissions.market, {}),
        "auditor_msp": auditor_msp,
        "auditor_did": request.auditor_did,
        "bill_format": request.bill_format,
        "bill_content_id": request.bill_content_id,
        "bill_hash": request.bill_hash,
        "status": ACTIVE,
        "supersedes": request.supersedes or None,
        "superseded_by": None,
    }


def _overlaps(entry: dict[str, Any], start: datetime, end: datetime) -> bool:
    """Whether the [start, end) of an index entry or record intersects [start, end)."""
    return arguments.timestamp(entry["start"], "start") < end and start < arguments.timestamp(entry["end"], "end")


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
        meta = await factor_store.require_sealed(ctx, public.edition)
        if meta["year"] > public.year:
            raise ContractError(f"edition {public.edition!r} describes {meta['year']}, after the period's year "
                                f"{public.year}; use an edition of that year or earlier")

        index_key = state.key(state.CUSTOMER, index_secret.customer_key(
            secret, detail.customer_did, detail.account_id, detail.service_point_id))
        index = await state.get_private_json(ctx, COLLECTION, index_key, "customer index") or {"records": []}
        replay = self._replay(index, public)
        if replay is not None:
            existing = await self._record(ctx, replay)
            return state.output({"record": existing, "replayed": True})
        superseded = self._check_overlap(index, public)

        location, market = await factor_store.resolve(ctx, meta, public.utility_id, public.year)
        try:
            emissions = calculate_period(detail.kwh, location, market, start=public.start, end=public.end,
                                         hourly_kwh=detail.hourly)
        except EmissionsError as exc:
            raise ContractError(str(exc)) from None

        record_id = record_id_for(ctx.stub.tx_id)
        record = public_record(ctx, record_id, public, msp, emissions, meta["edition"], location.reason)
        await state.put_json(ctx, state.key(state.RECORD, record_id), record)
        await ctx.stub.put_state(
            state.key(state.RECORD_BY_UTILITY, str(public.utility_id), record["period_start"], record_id), record_id)
        await state.put_private_json(ctx, COLLECTION, state.key(state.DETAIL, record_id),
                                     detail_document(record_id, detail, emissions))
        if superseded is not None:
            await self._supersede(ctx, superseded, record_id)
        index["records"] = [
            {**entry, "status": SUPERSEDED} if entry["record_id"] == superseded else entry
            for entry in index["records"]
        ] + [{"record_id": record_id, "start": record["period_start"], "end": record["period_end"],
              "bill_hash": public.bill_hash, "status": ACTIVE}]
        await state.put_private_json(ctx, COLLECTION, index_key, index)
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
    def _replay(index: dict[str, Any], request: PublicRequest) -> str | None:
        start, end = arguments.utc_text(request.start), arguments.utc_text(request.end)
        for entry in index["records"]:
            if (entry["start"], entry["end"], entry["bill_hash"]) == (start, end, request.bill_hash):
                return entry["record_id"]
        return None

    @staticmethod
    def _check_overlap(index: dict[str, Any], request: PublicRequest) -> str | None:
        """The record this one supersedes (if any), after checking the no-overlap rule."""
        active = [entry for entry in index["records"] if entry["status"] == ACTIVE]
        if request.supersedes:
            if not any(entry["record_id"] == request.supersedes for entry in active):
                raise ContractError(f"record {request.supersedes} is not an active record of this customer "
                                    "and account, so it cannot be superseded")
        clashes = [e["record_id"] for e in active if _overlaps(e, request.start, request.end) and e["record_id"] != request.supersedes]
        if clashes:
            raise ContractError(f"the period overlaps record {clashes[0]} of the same customer and account; "
                                "record it as superseding that record, or correct the period")
        return request.supersedes or None

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
