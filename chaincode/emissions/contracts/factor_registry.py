"""FactorRegistry: eGRID editions on the ledger, loaded in batches by admins and then sealed; fuel
editions (Scope 1 factors: a few fuels, one transaction) loaded and sealed at once.

An edition is created with its header (name, data year, publication, US rates, provenance), filled
with subregion / state rates and utility records in batches small enough for one transaction each,
and sealed with the content digest the loader computed from the published data; sealing checks the
digest against what is on the ledger. A sealed edition never changes: every write to it fails.
Market-based factors are per utility, data year and kind, and write-once.
"""

from __future__ import annotations

from typing import Any

from chaincode.emissions.contracts import arguments, factor_store, state
from chaincode.emissions.contracts.factor_store import LEVELS, LOADING, SEALED
from chaincode.emissions.combustion import FuelEdition
from chaincode.emissions.interface import edition_digest, fuel_edition_digest
from chaincode.emissions.contracts.governance import require_governing_admin
from chaincode.emissions.errors import EmissionsError
from chaincode.emissions.factors import RegionFactor
from chaincode.emissions.market import MarketFactor
from chaincode.emissions.utilities import UtilityRecord
from chaincode.runtime import Context, Contract, ContractError, query, transaction

MAX_BATCH = 1000


def _batch(text: str, what: str) -> dict[str, Any]:
    batch = arguments.json_object(text, what)
    if not batch:
        raise ContractError(f"{what}: the batch is empty")
    if len(batch) > MAX_BATCH:
        raise ContractError(f"{what}: {len(batch)} entries exceed the limit of {MAX_BATCH} per transaction")
    return batch


class FactorRegistry(Contract):
    name = "FactorRegistry"
    title = "Factor registry: sealed eGRID editions, utility maps, market-based factors"
    version = "1.0"

    @transaction
    async def CreateEdition(self, ctx: Context, header: str) -> str:
        """Start loading an edition (JSON: edition, year, published, source, us, provenance)."""
        await require_governing_admin(ctx, "load factor editions")
        document = arguments.json_object(header, "edition header")
        arguments.check_fields(document, set(factor_store.HEADER_FIELDS), "edition header")
        name = arguments.text(document, "edition", "edition header")
        year = arguments.field(document, "year", int, "edition header")
        try:
            us = RegionFactor.from_json_dict("US", document.get("us"), f"{name}.us")
        except EmissionsError as exc:
            raise ContractError(str(exc)) from None
        provenance = document.get("provenance", {})
        if not isinstance(provenance, dict):
            raise ContractError("edition header: provenance must be an object")
        existing = await factor_store.edition_meta(ctx, name)
        self._check_writable(existing, name)
        year_key = state.key(state.EDITION_YEAR, f"{year:04d}")
        holder = await ctx.stub.get_state(year_key)
        if holder is not None and holder.decode() != name:
            raise ContractError(f"data year {year} already has edition {holder.decode()!r}")
        meta = {
            "edition": name, "year": year,
            "published": arguments.text(document, "published", "edition header"),
            "source": arguments.text(document, "source", "edition header"),
            "us": us.to_json_dict(), "provenance": provenance,
            "status": LOADING, "created_at": state.tx_time(ctx), "sealed_at": None, "digest": None,
            "counts": None,
        }
        await ctx.stub.put_state(year_key, name)
        await state.put_json(ctx, state.key(state.EDITION, name), meta)
        return state.output(meta)

    @transaction
    async def LoadRegions(self, ctx: Context, edition: str, level: str, regions: str) -> str:
        """Add a batch of subregion or state rates (JSON object: code -> {name, rates, mix})."""
        await self._loading(ctx, edition)
        if level not in LEVELS:
            raise ContractError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        batch = _batch(regions, f"{level} batch")
        for code, data in sorted(batch.items()):
            try:
                parsed = RegionFactor.from_json_dict(code, data, f"{edition} {level} {code}")
            except EmissionsError as exc:
                raise ContractError(str(exc)) from None
            await state.put_json(ctx, state.key(state.REGION, edition, level, code), parsed.to_json_dict())
        return state.output({"edition": edition, "level": level, "loaded": len(batch)})

    @transaction
    async def LoadUtilities(self, ctx: Context, edition: str, utilities: str) -> str:
        """Add a batch of utilities (JSON object: EIA number -> utilities.json record)."""
        await self._loading(ctx, edition)
        batch = _batch(utilities, "utility batch")
        for eia_id, data in sorted(batch.items()):
            if not eia_id.isdigit() or eia_id.startswith("0"):
                raise ContractError(f"utility batch: key {eia_id!r} is not an EIA utility number")
            try:
                record = UtilityRecord.from_json_dict(int(eia_id), data)
            except EmissionsError as exc:
                raise ContractError(str(exc)) from None
            await state.put_json(ctx, state.key(state.UTILITY, edition, eia_id), record.to_json_dict())
        return state.output({"edition": edition, "loaded": len(batch)})

    @transaction
    async def SealEdition(self, ctx: Context, edition: str, digest: str) -> str:
        """Freeze the edition, once its content on the ledger has the expected digest."""
        meta = await self._loading(ctx, edition)
        arguments.sha256_hex(digest, "digest")
        regions: dict[str, dict[str, Any]] = {level: {} for level in LEVELS}
        async for kv in ctx.stub.get_state_by_partial_composite_key(state.REGION, [edition]):
            _, (_, level, code) = ctx.stub.split_composite_key(kv.key)
            regions[level][code] = state.decode(kv.value, "region")
        utilities = {}
        async for kv in ctx.stub.get_state_by_partial_composite_key(state.UTILITY, [edition]):
            utilities[ctx.stub.split_composite_key(kv.key)[1][1]] = state.decode(kv.value, "utility")
        content = {
            "edition": edition, "year": meta["year"], "published": meta["published"], "source": meta["source"],
            "subregions": regions["subregion"], "states": regions["state"], "us": meta["us"],
            "provenance": meta["provenance"],
        }
        actual = edition_digest(content, utilities)
        if actual != digest:
            raise ContractError(
                f"edition {edition!r} on the ledger has digest {actual}, not {digest}: "
                f"{len(regions['subregion'])} subregions, {len(regions['state'])} states and "
                f"{len(utilities)} utilities are loaded; load the missing batches and seal again"
            )
        meta.update(status=SEALED, sealed_at=state.tx_time(ctx), digest=digest, counts={
            "subregions": len(regions["subregion"]), "states": len(regions["state"]), "utilities": len(utilities)})
        await state.put_json(ctx, state.key(state.EDITION, edition), meta)
        return state.output(meta)

    @transaction
    async def SetMarketFactor(self, ctx: Context, factor: str) -> str:
        """Register a market-based factor (JSON: utility_id, year, kind, rates, source); write-once."""
        await require_governing_admin(ctx, "register market-based factors")
        document = arguments.json_object(factor, "market factor")
        arguments.check_fields(document, {"utility_id", "year", "kind", "rates", "source"}, "market factor")
        try:
            parsed = MarketFactor.from_json_dict(document)
        except EmissionsError as exc:
            raise ContractError(str(exc)) from None
        factor_key = state.key(state.MARKET, str(parsed.utility_id), f"{parsed.year:04d}", parsed.kind)
        if await ctx.stub.get_state(factor_key) is not None:
            raise ContractError(f"a {parsed.kind} factor for utility {parsed.utility_id} in {parsed.year} "
                                f"is already registered; market factors cannot be replaced")
        stored = {**parsed.to_json_dict(), "registered_at": state.tx_time(ctx)}
        await state.put_json(ctx, factor_key, stored)
        return state.output(stored)

    @transaction
    async def LoadFuelEdition(self, ctx: Context, edition: str, digest: str) -> str:
        """Load and seal a fuel edition (JSON, FuelEdition form) whose content has `digest`; an
        edition of that name is never replaced. Returns {"edition", "digest", "sealed_at"}."""
        await require_governing_admin(ctx, "load factor editions")
        arguments.sha256_hex(digest, "digest")
        document = arguments.json_object(edition, "fuel edition")
        try:
            parsed = FuelEdition.from_json_dict(document)
        except EmissionsError as exc:
            raise ContractError(str(exc)) from None
        content = parsed.to_json_dict()
        actual = fuel_edition_digest(content)
        if actual != digest:
            raise ContractError(f"fuel edition {parsed.edition!r} has digest {actual}, not {digest}: "
                                "the document differs from the published one")
        key = state.key(state.FUEL_EDITION, parsed.edition)
        if await ctx.stub.get_state(key) is not None:
            raise ContractError(f"fuel edition {parsed.edition!r} is already sealed; it cannot be changed")
        stored = {"edition": content, "digest": digest, "status": SEALED, "sealed_at": state.tx_time(ctx)}
        await state.put_json(ctx, key, stored)
        return state.output({k: stored[k] for k in ("digest", "status", "sealed_at")} | {"edition": parsed.edition})

    @query
    async def GetFuelEdition(self, ctx: Context, edition: str) -> str:
        return state.output(await factor_store.stored_fuel_edition(ctx, edition))

    @query
    async def GetEdition(self, ctx: Context, edition: str) -> str:
        meta = await factor_store.edition_meta(ctx, edition)
        if meta is None:
            raise ContractError(f"factor edition {edition!r} is not loaded on the ledger")
        return state.output(meta)

    @query
    async def ListEditions(self, ctx: Context) -> str:
        editions = await state.values_by_partial_key(ctx, state.EDITION, [], "edition")
        return state.output([{k: e[k] for k in ("edition", "year", "status", "sealed_at", "digest")} for e in editions])

    @query
    async def GetUtility(self, ctx: Context, edition: str, utility_id: int) -> str:
        record = await factor_store.utility(ctx, edition, utility_id)
        return state.output({"eia_id": utility_id, **record.to_json_dict()})

    @query
    async def GetMarketFactors(self, ctx: Context, utility_id: int) -> str:
        return state.output([f.to_json_dict() for f in await factor_store.market_factors(ctx, utility_id)])

    @query
    async def GetFactor(self, ctx: Context, utility_id: int, year: int) -> str:
        """Location- and market-based factors for a utility's electricity in `year`, each with the
        level used and why; the edition is the sealed one for that year (else the latest earlier)."""
        meta = await factor_store.sealed_edition_for_year(ctx, year)
        location, market = await factor_store.resolve(ctx, meta, utility_id, year)
        return state.output({
            "utility_id": utility_id, "year": year, "edition": meta["edition"],
            "level": location.level, "reason": location.reason,
            "location": location.to_json_dict(), "market": market.to_json_dict(),
        })

    # -- internals ----------------------------------------------------------------------------
    @staticmethod
    def _check_writable(meta: dict[str, Any] | None, edition: str) -> None:
        if meta is not None and meta["status"] == SEALED:
            raise ContractError(f"edition {edition!r} is sealed; it cannot be changed")

    async def _loading(self, ctx: Context, edition: str) -> dict[str, Any]:
        await require_governing_admin(ctx, "load factor editions")
        meta = await factor_store.edition_meta(ctx, edition)
        if meta is None:
            raise ContractError(f"factor edition {edition!r} does not exist; CreateEdition first")
        self._check_writable(meta, edition)
        return meta
