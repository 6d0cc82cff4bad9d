"""The Gateway client: connect -> network -> contract -> evaluate / submit, plus explicit steps.

Shaped like the official fabric-gateway clients: the connection holds the caller's identity and
signer; every step (proposal, endorse, submit, commit status) is an object the caller can inspect
before sending it. The gRPC channel belongs to the caller, who closes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.peer import transaction_pb2

from network.gateway import protocol
from network.gateway.checkpointer import Checkpoint
from network.gateway.errors import (
    CommitError,
    CommitStatusError,
    EndorseError,
    EvaluateError,
    SubmitError,
    from_rpc_error,
    validation_code_name,
)
from network.gateway.events import ChaincodeEvents
from network.gateway.result import Result
from network.identity import Identity, Signer

__all__ = [
    "Deadlines",
    "Gateway",
    "Network",
    "Contract",
    "Proposal",
    "Transaction",
    "SubmittedTransaction",
    "Status",
    "connect",
]


@dataclass(frozen=True)
class Deadlines:
    """Seconds each call may take; the official clients' recommended defaults. None = no deadline
    (only sensible for event streams, which stay open)."""

    evaluate: float | None = 5.0
    endorse: float | None = 15.0
    submit: float | None = 5.0
    commit_status: float | None = 60.0
    chaincode_events: float | None = None


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


@dataclass(frozen=True)
class _Context:
    stub: gateway_pb2_grpc.GatewayStub
    identity: Identity
    signer: Signer
    creator: bytes
    deadlines: Deadlines

    def sign(self, message: bytes) -> bytes:
        return self.signer.sign(message)


def _deadline(explicit: float | None, default: float | None) -> float | None:
    return default if explicit is None else explicit


class Gateway:
    """A client identity connected to a Fabric Gateway over a gRPC channel."""

    def __init__(self, channel: grpc.aio.Channel, identity: Identity, signer: Signer, deadlines: Deadlines) -> None:
        self._channel = channel
        self._context = _Context(gateway_pb2_grpc.GatewayStub(channel), identity, signer, identity.serialize(), deadlines)

    @property
    def identity(self) -> Identity:
        return self._context.identity

    def network(self, channel_name: str) -> Network:
        if not channel_name:
            raise ValueError("channel name must not be empty")
        return Network(self._context, channel_name)

    async def close(self) -> None:
        """Nothing to release: the gRPC channel is the caller's (as with the official clients)."""

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def connect(
    channel: grpc.aio.Channel, identity: Identity, signer: Signer, *, deadlines: Deadlines | None = None
) -> Gateway:
    """A Gateway connection for `identity`, signing with `signer`, over `channel`
    (see network.gateway.create_channel)."""
    if not isinstance(identity, Identity):
        raise TypeError(f"identity must be a network.identity.Identity, got {type(identity).__name__}")
    if not callable(getattr(signer, "sign", None)):
        raise TypeError("signer must have a sign(message: bytes) -> bytes method")
    return Gateway(channel, identity, signer, deadlines or Deadlines())


class Network:
    """One channel of the network, as seen through the gateway."""

    def __init__(self, context: _Context, name: str) -> None:
        self._context = context
        self.name = name

    def contract(self, chaincode_name: str, contract_name: str | None = None) -> Contract:
        if not chaincode_name:
            raise ValueError("chaincode name must not be empty")
        return Contract(self._context, self.name, chaincode_name, contract_name or None)

    async def chaincode_events(
        self,
        chaincode_name: str,
        *,
        start_block: int | None = None,
        after_transaction_id: str | None = None,
        checkpoint: Checkpoint | None = None,
        timeout: float | None = None,
    ) -> ChaincodeEvents:
        """Events emitted by `chaincode_name`'s VALID transactions.

        Starts from the next commit, or `start_block`, optionally skipping events up to and including
        `after_transaction_id` in that block. A `checkpoint` with a position overrides both (resume
        where a listener stopped); record progress on it with `checkpoint_chaincode_event(event)`
        after each event is handled, so a crash replays at most the event in hand.
        """
        if checkpoint is not None and checkpoint.block_number is not None:
            start_block, after_transaction_id = checkpoint.block_number, checkpoint.transaction_id
        request = protocol.chaincode_events_request(
            self.name,
            chaincode_name,
            self._context.creator,
            start_block=start_block,
            after_transaction_id=after_transaction_id,
        )
        signed = gateway_pb2.SignedChaincodeEventsRequest(request=request, signature=self._context.sign(request))
        call = self._context.stub.ChaincodeEvents(
            signed, timeout=_deadline(timeout, self._context.deadlines.chaincode_events)
        )
        return ChaincodeEvents(call)


class Contract:
    """A chaincode (and optionally one named contract inside it) on a channel."""

    def __init__(self, context: _Context, channel_name: str, chaincode_name: str, contract_name: str | None) -> None:
        self._context = context
        self.channel_name = channel_name
        self.chaincode_name = chaincode_name
        self.contract_name = contract_name

    def new_proposal(
        self,
        transaction_name: str,
        *args: protocol.Argument,
        transient: Mapping[str, protocol.Argument] | None = None,
        endorsing_organizations: Sequence[str] = (),
    ) -> Proposal:
        """Build and sign a proposal without sending it (inspect its transaction id first, say)."""
        parts = protocol.build_proposal(
            self._context.creator,
            self.channel_name,
            self.chaincode_name,
            protocol.transaction_name(self.contract_name, transaction_name),
            args,
            transient=transient,
            endorsing_organizations=tuple(endorsing_organizations),
        )
        return Proposal(self._context, parts, self._context.sign(parts.proposal_bytes))

    async def evaluate(
        self,
        transaction_name: str,
        *args: protocol.Argument,
        transient: Mapping[str, protocol.Argument] | None = None,
        endorsing_organizations: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Result:
        """Run a query on one peer; nothing is ordered or committed."""
        proposal = self.new_proposal(
            transaction_name, *args, transient=transient, endorsing_organizations=endorsing_organizations
        )
        return await proposal.evaluate(timeout=timeout)

    async def submit_async(
        self,
        transaction_name: str,
        *args: protocol.Argument,
        transient: Mapping[str, protocol.Argument] | None = None,
        endorsing_organizations: Sequence[str] = (),
        endorse_timeout: float | None = None,
        submit_timeout: float | None = None,
    ) -> SubmittedTransaction:
        """Endorse and send to ordering; returns once ordered, with the result available now and
        the commit status to await later."""
        proposal = self.new_proposal(
            transaction_name, *args, transient=transient, endorsing_organizations=endorsing_organizations
        )
        transaction = await proposal.endorse(timeout=endorse_timeout)
        return await transaction.submit(timeout=submit_timeout)

    async def submit(
        self,
        transaction_name: str,
        *args: protocol.Argument,
        transient: Mapping[str, protocol.Argument] | None = None,
        endorsing_organizations: Sequence[str] = (),
        commit_timeout: float | None = None,
    ) -> Result:
        """Endorse, order and wait for commit; raises CommitError when committed as invalid."""
        submitted = await self.submit_async(
            transaction_name, *args, transient=transient, endorsing_organizations=endorsing_organizations
        )
        status = await submitted.status(timeout=commit_timeout)
        if not status.successful:
            raise CommitError(status.transaction_id, status.code, status.block_number)
        return submitted.result


class Proposal:
    """A signed proposal, ready to evaluate or endorse."""

    def __init__(self, context: _Context, parts: protocol.ProposalParts, signature: bytes) -> None:
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
                request, timeout=_deadline(timeout, self._context.deadlines.evaluate)
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
                request, timeout=_deadline(timeout, self._context.deadlines.endorse)
            )
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(EndorseError, error, self.transaction_id) from error
        if not response.HasField("prepared_transaction"):
            raise EndorseError("gateway returned no prepared transaction", transaction_id=self.transaction_id)
        return Transaction.from_envelope(self._context, self.transaction_id, response.prepared_transaction)


@dataclass
class Transaction:
    """An endorsed transaction: the peer-built envelope, signed by the client, and its result."""

    _context: _Context = field(repr=False)
    transaction_id: str
    channel_id: str
    envelope: common_pb2.Envelope = field(repr=False)
    result: Result

    @classmethod
    def from_envelope(cls, context: _Context, transaction_id: str, envelope: common_pb2.Envelope) -> Transaction:
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
            await self._context.stub.Submit(request, timeout=_deadline(timeout, self._context.deadlines.submit))
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(SubmitError, error, self.transaction_id) from error
        return SubmittedTransaction(self._context, self.transaction_id, self.channel_id, self.result)


@dataclass
class SubmittedTransaction:
    """Ordered, perhaps not yet committed: the result is known, the commit status is awaited."""

    _context: _Context = field(repr=False)
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
                self.commit_status_request(), timeout=_deadline(timeout, self._context.deadlines.commit_status)
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
