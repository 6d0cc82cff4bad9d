"""Step 1: a signed proposal, to evaluate on one peer or to have endorsed."""

from __future__ import annotations

import grpc
from fabric_protos.gateway import gateway_pb2

from network.gateway import protocol
from network.gateway.context import CallContext, deadline
from network.gateway.errors import EndorseError, EvaluateError, from_rpc_error
from network.gateway.result import Result
from network.gateway.transaction import Transaction


class Proposal:
    """A signed proposal, ready to evaluate or endorse."""

    def __init__(self, context: CallContext, parts: protocol.ProposalParts, signature: bytes) -> None:
        self._context = context
        self.parts = parts
        self.signature = signature

    @property
    def transaction_id(self) -> str:
        return self.parts.transaction_id

    @property
    def proposal_bytes(self) -> bytes:
        return self.parts.proposal_bytes

    @property
    def signed_proposal(self):
        return protocol.signed_proposal(self.parts, self.signature)

    async def evaluate(self, *, timeout: float | None = None) -> Result:
        request = gateway_pb2.EvaluateRequest(
            transaction_id=self.transaction_id,
            channel_id=self.parts.channel_id,
            proposed_transaction=self.signed_proposal,
            target_organizations=list(self.parts.endorsing_organizations),
        )
        try:
            response = await self._context.stub.Evaluate(
                request, timeout=deadline(timeout, self._context.deadlines.evaluate)
            )
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(EvaluateError, error, self.transaction_id) from error
        return Result(response.result.payload)

    async def endorse(self, *, timeout: float | None = None) -> Transaction:
        request = gateway_pb2.EndorseRequest(
            transaction_id=self.transaction_id,
            channel_id=self.parts.channel_id,
            proposed_transaction=self.signed_proposal,
            endorsing_organizations=list(self.parts.endorsing_organizations),
        )
        try:
            response = await self._context.stub.Endorse(
                request, timeout=deadline(timeout, self._context.deadlines.endorse)
            )
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(EndorseError, error, self.transaction_id) from error
        if not response.HasField("prepared_transaction"):
            raise EndorseError("gateway returned no prepared transaction", transaction_id=self.transaction_id)
        return Transaction.from_envelope(self._context, self.transaction_id, response.prepared_transaction)
