"""The conformance chaincode, Python edition; the Node edition beside it behaves identically.

The dev peer's conformance tests run both against the same scenarios, so every result and error
message here is part of the contract (see the conformance chaincode section of the brief).
All arguments and results are UTF-8 strings.
"""

from __future__ import annotations

import json
import secrets

from chaincode.runtime import Context, Contract, ContractChaincode, ContractError, query, transaction


class ConformanceContract(Contract):
    name = "conformance"  # as the Node edition names it, so GetMetadata agrees

    @transaction
    async def Put(self, ctx: Context, key: str, value: str) -> str:
        await ctx.stub.put_state(key, value)
        return ""

    @query
    async def Get(self, ctx: Context, key: str) -> str:
        value = await ctx.stub.get_state(key)
        if value is None:
            raise ContractError(f"key not found: {key}")
        return value.decode("utf-8")

    @transaction
    async def Increment(self, ctx: Context, key: str) -> str:
        current = await ctx.stub.get_state(key)
        updated = str(int(current.decode("utf-8")) + 1 if current else 1)
        await ctx.stub.put_state(key, updated)
        return updated

    @transaction
    async def PutPrivate(self, ctx: Context, collection: str, key: str) -> str:
        value = ctx.stub.transient.get("value")
        if value is None:
            raise ContractError("transient field 'value' missing")
        await ctx.stub.put_private_data(collection, key, value)
        return ""

    @query
    async def GetPrivate(self, ctx: Context, collection: str, key: str) -> str:
        value = await ctx.stub.get_private_data(collection, key)
        if value is None:
            raise ContractError(f"private key not found: {key}")
        return value.decode("utf-8")

    @query
    async def GetPrivateHash(self, ctx: Context, collection: str, key: str) -> str:
        digest = await ctx.stub.get_private_data_hash(collection, key)
        if digest is None:
            raise ContractError(f"no private data hash for {key}")
        return digest.hex()

    @query
    async def Range(self, ctx: Context, start_key: str, end_key: str) -> str:
        records = [
            {"key": kv.key, "value": kv.value.decode("utf-8")}
            async for kv in ctx.stub.get_state_by_range(start_key, end_key)
        ]
        return json.dumps(records, separators=(",", ":"), ensure_ascii=False)

    @query
    async def History(self, ctx: Context, key: str) -> str:
        changes = [
            {"txId": change.tx_id, "value": change.value.decode("utf-8"), "isDelete": change.is_delete}
            async for change in ctx.stub.get_history_for_key(key)
        ]
        return json.dumps(changes, separators=(",", ":"), ensure_ascii=False)

    @transaction
    async def Delete(self, ctx: Context, key: str) -> str:
        await ctx.stub.delete_state(key)
        return ""

    @transaction
    async def Emit(self, ctx: Context, name: str, payload: str) -> str:
        ctx.stub.set_event(name, payload.encode("utf-8"))
        return ""

    @transaction
    async def Fail(self, ctx: Context, message: str) -> str:
        raise ContractError(message)

    @query
    async def Whoami(self, ctx: Context) -> str:
        return ctx.stub.creator.msp_id

    @transaction
    async def Random(self, ctx: Context) -> str:
        """Non-deterministic on purpose: two endorsers disagree, and the gateway must refuse to submit."""
        value = secrets.token_hex(16)
        await ctx.stub.put_state("random", value)
        return value


contract = ConformanceContract()
chaincode = ContractChaincode([contract])
