"""The factor registry's data as the contracts read it back: editions, utilities, market factors.

Also defines the edition content digest that `SealEdition` checks: SHA-256 of
canonical_json({"edition": FactorEdition.to_json_dict(), "utilities": {eia_id: UtilityRecord
.to_json_dict()}}), so anyone holding the published data can confirm what the ledger sealed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaincode.emissions.combustion import FuelEdition
from chaincode.emissions.contracts import state
from chaincode.emissions.errors import EmissionsError
from chaincode.emissions.factors import FactorEdition, RegionFactor
from chaincode.emissions.lookup import MarketResolution, ResolvedFactor, resolve_location_factor, resolve_market_factor
from chaincode.emissions.market import MarketFactor
from chaincode.emissions.utilities import UtilityRecord
from chaincode.runtime import Context, ContractError

LOADING = "loading"
SEALED = "sealed"
SUBREGION = "subregion"
STATE = "state"
LEVELS = (SUBREGION, STATE)
HEADER_FIELDS = ("edition", "year", "published", "source", "us", "provenance")


async def edition_meta(ctx: Context, edition: str) -> dict[str, Any] | None:
    return await state.get_json(ctx, state.key(state.EDITION, edition), "edition")


async def require_sealed(ctx: Context, edition: str) -> dict[str, Any]:
    meta = await edition_meta(ctx, edition)
    if meta is None:
        raise ContractError(f"factor edition {edition!r} is not loaded on the ledger")
    if meta["status"] != SEALED:
        raise ContractError(f"factor edition {edition!r} is still loading; it must be sealed before use")
    return meta


async def sealed_edition_for_year(ctx: Context, year: int) -> dict[str, Any]:
    """The sealed edition for `year`'s data, else the latest earlier one (as lookup.select_edition)."""
    candidates = []
    async for kv in ctx.stub.get_state_by_partial_composite_key(state.EDITION_YEAR, []):
        _, (edition_year,) = ctx.stub.split_composite_key(kv.key)
        if int(edition_year) <= year:
            candidates.append((int(edition_year), kv.value.decode()))
    for _, name in sorted(candidates, reverse=True):
        meta = await edition_meta(ctx, name)
        if meta is not None and meta["status"] == SEALED:
            return meta
    raise ContractError(f"no sealed eGRID edition applies to {year}")


async def region(ctx: Context, edition: str, level: str, code: str) -> RegionFactor | None:
    found = await state.get_json(ctx, state.key(state.REGION, edition, level, code), "region")
    return None if found is None else RegionFactor.from_json_dict(code, found, f"{edition} {level} {code}")


async def utility(ctx: Context, edition: str, utility_id: int) -> UtilityRecord:
    found = await state.get_json(ctx, state.key(state.UTILITY, edition, str(utility_id)), "utility")
    if found is None:
        raise ContractError(f"utility {utility_id} is not known in factor edition {edition!r}")
    return UtilityRecord.from_json_dict(utility_id, found)


async def market_factors(ctx: Context, utility_id: int) -> list[MarketFactor]:
    documents = await state.values_by_partial_key(ctx, state.MARKET, [str(utility_id)], "market factor")
    return [MarketFactor.from_json_dict(document) for document in documents]


async def partial_edition(ctx: Context, meta: Mapping[str, Any], record: UtilityRecord) -> FactorEdition:
    """The edition restricted to the regions `record` can resolve to: the same answer as the full
    edition (lookup only asks whether its subregion / states have rates) for a few reads."""
    name = meta["edition"]
    subregions = {}
    if record.subregion is not None:
        found = await region(ctx, name, SUBREGION, record.subregion.chosen)
        if found is not None:
            subregions[found.code] = found
    states = {}
    for code in record.states:
        found = await region(ctx, name, STATE, code)
        if found is not None:
            states[code] = found
    return FactorEdition(
        edition=name, year=meta["year"], published=meta["published"], source=meta["source"],
        subregions=subregions, states=states,
        us=RegionFactor.from_json_dict("US", meta["us"], f"{name} us"), provenance=meta["provenance"],
    )


async def resolve(ctx: Context, meta: Mapping[str, Any], utility_id: int, year: int
                  ) -> tuple[ResolvedFactor, MarketResolution]:
    """Location- and market-based factors for `utility_id`'s electricity in `year`."""
    record = await utility(ctx, meta["edition"], utility_id)
    try:
        location = resolve_location_factor(await partial_edition(ctx, meta, record), record)
        market = resolve_market_factor(location, utility_id, year, await market_factors(ctx, utility_id))
    except EmissionsError as exc:
        raise ContractError(str(exc)) from None
    return location, market


async def stored_fuel_edition(ctx: Context, edition: str) -> dict[str, Any]:
    """{"edition": the FuelEdition document, "digest", "status", "sealed_at"}; fuel editions are sealed
    as they load, in one transaction."""
    found = await state.get_json(ctx, state.key(state.FUEL_EDITION, edition), "fuel edition")
    if found is None:
        raise ContractError(f"fuel factor edition {edition!r} is not loaded on the ledger")
    return found


async def fuel_edition(ctx: Context, edition: str) -> FuelEdition:
    return FuelEdition.from_json_dict((await stored_fuel_edition(ctx, edition))["edition"])
