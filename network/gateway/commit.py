"""Step 3: an ordered transaction and its commit status."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import transaction_pb2

from network.gateway import protocol
from network.gateway.context import CallContext, deadline
from network.gateway.errors import CommitError, CommitStatusError, from_rpc_error, validation_code_name
from network.gateway.result import Result


@dataclass(frozen=True)
class Status:
    """Commit status of a transaction (gateway.CommitStatusResponse)."""

    transaction_id: str
    block_number: int
    code: int  # peer.TxValidationCode

    @property
    def successful(self) -> bool:
        return self.code == transaction_pb2.VALID

    @property
    def code_name(self) -> str:
        return validation_code_name(self.code)


@dataclass
class SubmittedTransaction:
    """Ordered, perhaps not yet committed: the result is known, the commit status is awaited."""

    _context: CallContext = field(repr=False)
    transaction_id: str
    channel_id: str
    result: Result

    def commit_status_request(self) -> gateway_pb2.SignedCommitStatusRequest:
        request = protocol.commit_status_request(self.channel_id, self.transaction_id, self._context.creator)
        return gateway_pb2.SignedCommitStatusRequest(request=request, signature=self._context.sign(request))

    async def status(self, *, timeout: float | None = None) -> Status:
        """Wait for the commit (the gateway blocks until the transaction is in a block)."""
        try:
            response = await self._context.stub.CommitStatus(
                self.commit_status_request(), timeout=deadline(timeout, self._context.deadlines.commit_status)
            )
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(CommitStatusError, error, self.transaction_id) from error
        return Status(self.transaction_id, response.block_number, response.result)

    async def committed(self, *, timeout: float | None = None) -> Status:
        """`status()`, raising CommitError unless the transaction is VALID."""
        status = await self.status(timeout=timeout)
        if not status.successful:
            raise CommitError(status.transaction_id, status.code, status.block_number)
        return status
