"""Ledger state as canonical JSON, and the key layout of every contract in one place.

Everything written goes through `canonical_json` (sorted keys, decimals as strings), so every
endorsing org writes the same bytes for the same inputs and the dev peer / a real gateway can
compare their ProposalResponsePayloads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chaincode.emissions import interface
from chaincode.emissions.canonical import canonical_json
from chaincode.runtime import Context, ContractError, create_composite_key

# Composite key object types. Public state unless marked private.
GOVERNANCE = "gov"  # [] -> {"orgs": [...], "approved": [...], "status"}
PROPOSAL = "proposal"  # [proposal_id]
AUDITOR = "auditor"  # [msp_id]
AUDITOR_DID = "auditor-did"  # [did] -> msp_id
EDITION = "edition"  # [edition]
EDITION_YEAR = "edition-year"  # [year] -> edition
REGION = "region"  # [edition, "subregion"|"state", code]
UTILITY = "utility"  # [edition, eia_id]
MARKET = "market"  # [utility_id, year, kind]
FUEL_EDITION = "fuel-edition"  # [edition] -> a sealed fuel edition (Scope 1 factors) with its digest
RECORD = "record"  # [record_id]
RECORD_BY_UTILITY = "record-utility"  # [utility_id, period_start, record_id] -> record_id
# Private (collection emissionsRecordDetails):
DETAILS_COLLECTION = interface.DETAILS_COLLECTION
DETAIL = "detail"  # [record_id] -> the private record detail (hashed for VerifyRecord)
CUSTOMER = "customer"  # [HMAC customer key of a month] -> this customer's records touching that month (customer_index)
INDEX_SECRET = "index-secret"  # [] -> the 32-byte HMAC key of the customer index (see index_secret)


def key(object_type: str, *attributes: str) -> str:
    return create_composite_key(object_type, list(attributes))


def decode(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:  # state we wrote ourselves: corrupt state is a bug, say where
        raise ContractError(f"{what} in ledger state is not JSON: {exc}") from None


async def get_json(ctx: Context, state_key: str, what: str) -> Any | None:
    raw = await ctx.stub.get_state(state_key)
    return None if raw is None else decode(raw, what)


async def history_json(ctx: Context, state_key: str, what: str) -> list[dict[str, Any]]:
    """Every committed version of a JSON state entry, newest first, each with its transaction;
    the document sits under the name `what` (None where the version is a delete)."""
    return [
        {"tx_id": m.tx_id, "timestamp": m.timestamp.isoformat(), "deleted": m.is_delete,
         what: None if m.is_delete else decode(m.value, what)}
        async for m in ctx.stub.get_history_for_key(state_key)
    ]


async def put_json(ctx: Context, state_key: str, document: Any) -> bytes:
    data = canonical_json(document)
    await ctx.stub.put_state(state_key, data)
    return data


async def get_private_json(ctx: Context, collection: str, state_key: str, what: str) -> Any | None:
    raw = await ctx.stub.get_private_data(collection, state_key)
    return None if raw is None else decode(raw, what)


async def put_private_json(ctx: Context, collection: str, state_key: str, document: Any) -> bytes:
    data = canonical_json(document)
    await ctx.stub.put_private_data(collection, state_key, data)
    return data


async def values_by_partial_key(ctx: Context, object_type: str, attributes: Sequence[str], what: str) -> list[Any]:
    return [
        decode(kv.value, what)
        async for kv in ctx.stub.get_state_by_partial_composite_key(object_type, list(attributes))
    ]


def tx_time(ctx: Context) -> str:
    """The transaction's timestamp (set by the client, identical on every endorser), RFC 3339 UTC."""
    return ctx.stub.tx_timestamp.isoformat()


def output(document: Any) -> str:
    """What a transaction function returns: canonical JSON text."""
    return canonical_json(document).decode("utf-8")
