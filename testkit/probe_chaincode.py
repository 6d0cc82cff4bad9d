"""A small chaincode exercising what the dev peer must serve; run in process by the tests."""

from __future__ import annotations

import itertools
import json

from chaincode.runtime import Context, Contract, ContractError, query, transaction

_counter = itertools.count()


class Probe(Contract):
    name = "probe"

    @transaction
    async def Put(self, ctx: Context, key: str, value: str) -> str:
        await ctx.stub.put_state(key, value)
        return value

    @query
    async def Get(self, ctx: Context, key: str) -> str:
        value = await ctx.stub.get_state(key)
        return "" if value is None else value.decode()

    @transaction
    async def Delete(self, ctx: Context, key: str) -> str:
        await ctx.stub.delete_state(key)
        return ""

    @transaction
    async def Increment(self, ctx: Context, key: str) -> str:
        current = await ctx.stub.get_state(key)
        updated = str(int(current) + 1 if current else 1)
        await ctx.stub.put_state(key, updated)
        return updated

    @transaction
    async def CountRange(self, ctx: Context, start: str, end: str) -> str:
        """Reads a range and writes a marker: a phantom inserted meanwhile must fail the commit."""
        count = 0
        async for _ in ctx.stub.get_state_by_range(start, end):
            count += 1
        await ctx.stub.put_state("range-count", str(count))
        return str(count)

    @query
    async def Keys(self, ctx: Context, start: str, end: str) -> str:
        return ",".join([kv.key async for kv in ctx.stub.get_state_by_range(start, end)])

    @query
    async def Page(self, ctx: Context, start: str, end: str, page_size: int, bookmark: str) -> str:
        page = await ctx.stub.get_state_by_range_with_pagination(start, end, page_size, bookmark)
        return json.dumps({"keys": [kv.key for kv in page.records], "bookmark": page.bookmark,
                           "count": page.fetched_records_count})

    @query
    async def CompositePage(self, ctx: Context, object_type: str, page_size: int, bookmark: str) -> str:
        page = await ctx.stub.get_state_by_partial_composite_key_with_pagination(object_type, [], page_size, bookmark)
        keys = [ctx.stub.split_composite_key(kv.key)[1] for kv in page.records]
        return json.dumps({"keys": keys, "bookmark": page.bookmark, "count": page.fetched_records_count})

    @transaction
    async def PutComposite(self, ctx: Context, object_type: str, attribute: str) -> str:
        await ctx.stub.put_state(ctx.stub.create_composite_key(object_type, [attribute]), attribute)
        return ""

    @transaction
    async def PageThenPut(self, ctx: Context, key: str) -> str:
        await ctx.stub.get_state_by_range_with_pagination("", "", 10, "")
        await ctx.stub.put_state(key, "x")
        return ""

    @transaction
    async def PutThenPage(self, ctx: Context, key: str) -> str:
        await ctx.stub.put_state(key, "x")
        await ctx.stub.get_state_by_range_with_pagination("", "", 10, "")
        return ""

    @transaction
    async def PageOnly(self, ctx: Context, page_size: int) -> str:
        page = await ctx.stub.get_state_by_range_with_pagination("", "", page_size, "")
        return ",".join(kv.key for kv in page.records)

    @query
    async def History(self, ctx: Context, key: str) -> str:
        return ",".join(
            ["<deleted>" if m.is_delete else m.value.decode() async for m in ctx.stub.get_history_for_key(key)]
        )

    @transaction
    async def Emit(self, ctx: Context, name: str, payload: str) -> str:
        await ctx.stub.put_state("event-" + name, payload)
        ctx.stub.set_event(name, payload)
        return ""

    @transaction
    async def Fail(self, ctx: Context, message: str) -> str:
        raise ContractError(message)

    @transaction
    async def Random(self, ctx: Context) -> str:
        """Non-deterministic on purpose: each execution writes a different value."""
        value = str(next(_counter))
        await ctx.stub.put_state("random", value)
        return value

    @transaction
    async def PutPrivate(self, ctx: Context, collection: str, key: str) -> str:
        await ctx.stub.put_private_data(collection, key, ctx.stub.transient["value"])
        return ""

    @query
    async def GetPrivate(self, ctx: Context, collection: str, key: str) -> str:
        value = await ctx.stub.get_private_data(collection, key)
        return "" if value is None else value.decode()

    @query
    async def GetPrivateHash(self, ctx: Context, collection: str, key: str) -> str:
        value = await ctx.stub.get_private_data_hash(collection, key)
        return "" if value is None else value.hex()

    @query
    async def RichQuery(self, ctx: Context) -> str:
        return ",".join([kv.key async for kv in ctx.stub.get_query_result('{"selector":{}}')])

    @transaction
    async def Nested(self, ctx: Context, key: str, value: str) -> str:
        response = await ctx.stub.invoke_chaincode("other", ["probe:Put", key, value])
        if response.status != 200:
            raise ContractError(f"nested call failed: {response.message}")
        return response.payload.decode()


chaincode = [Probe()]
