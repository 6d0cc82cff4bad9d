"""Step 2: an endorsed transaction, signed by the client, ready to submit for ordering."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2

from network.gateway import protocol
from network.gateway.commit import SubmittedTransaction
from network.gateway.context import CallContext, deadline
from network.gateway.errors import EndorseError, SubmitError, from_rpc_error
from network.gateway.result import Result


@dataclass
class Transaction:
    """An endorsed transaction: the peer-built envelope, signed by the client, and its result."""

    _context: CallContext = field(repr=False)
    transaction_id: str
    channel_id: str
    envelope: common_pb2.Envelope = field(repr=False)
    result: Result

    @classmethod
    def from_envelope(cls, context: CallContext, transaction_id: str, envelope: common_pb2.Envelope) -> Transaction:
        try:
            channel_header = protocol.envelope_channel(envelope)
            result = Result(protocol.envelope_result(envelope))
        except ValueError as exc:
            raise EndorseError(f"gateway returned an unusable transaction: {exc}", transaction_id=transaction_id) from exc
        if channel_header.tx_id != transaction_id:
            raise EndorseError(
                f"gateway returned a transaction for {channel_header.tx_id!r}", transaction_id=transaction_id
            )
        signed = common_pb2.Envelope(payload=envelope.payload, signature=context.sign(envelope.payload))
        return cls(context, transaction_id, channel_header.channel_id, signed, result)

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.envelope.payload).digest()

    async def submit(self, *, timeout: float | None = None) -> SubmittedTransaction:
        request = gateway_pb2.SubmitRequest(
            transaction_id=self.transaction_id, channel_id=self.channel_id, prepared_transaction=self.envelope
        )
        try:
            await self._context.stub.Submit(request, timeout=deadline(timeout, self._context.deadlines.submit))
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(SubmitError, error, self.transaction_id) from error
        return SubmittedTransaction(self._context, self.transaction_id, self.channel_id, self.result)
