"""The low-level chaincode interface, like fabric-shim's ChaincodeInterface."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from chaincode.runtime.response import Response
from chaincode.runtime.stub import ChaincodeStub


@runtime_checkable
class Chaincode(Protocol):
    async def init(self, stub: ChaincodeStub) -> Response:
        """Called for INIT messages (only chaincodes deployed with --init-required get them)."""
        ...

    async def invoke(self, stub: ChaincodeStub) -> Response:
        """Called for every TRANSACTION message."""
        ...
