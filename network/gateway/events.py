"""Chaincode events as an async iterator over the Gateway's ChaincodeEvents stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import grpc
from fabric_protos.gateway import gateway_pb2

from network.gateway.errors import ChaincodeEventsError, from_rpc_error

__all__ = ["ChaincodeEvent", "ChaincodeEvents"]


@dataclass(frozen=True)
class ChaincodeEvent:
    block_number: int
    transaction_id: str
    chaincode_name: str
    event_name: str
    payload: bytes

    def json(self) -> Any:
        return json.loads(self.payload)


class ChaincodeEvents:
    """Events from committed VALID transactions, in ledger order. Close it (or use `async with`)
    to cancel the server stream; breaking out of `async for` alone leaves the call open."""

    def __init__(self, call: grpc.aio.UnaryStreamCall) -> None:
        self._call = call
        self._iterator: AsyncIterator[ChaincodeEvent] | None = None

    def __aiter__(self) -> AsyncIterator[ChaincodeEvent]:
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    async def __anext__(self) -> ChaincodeEvent:
        return await self.__aiter__().__anext__()

    async def _events(self) -> AsyncIterator[ChaincodeEvent]:
        try:
            async for response in self._call:
                assert isinstance(response, gateway_pb2.ChaincodeEventsResponse)
                for event in response.events:
                    yield ChaincodeEvent(
                        block_number=response.block_number,
                        transaction_id=event.tx_id,
                        chaincode_name=event.chaincode_id,
                        event_name=event.event_name,
                        payload=event.payload,
                    )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.CANCELLED and self._call.cancelled():
                return
            raise from_rpc_error(ChaincodeEventsError, error, None) from error

    def close(self) -> None:
        self._call.cancel()

    async def __aenter__(self) -> ChaincodeEvents:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
