"""A channel as seen through the gateway: its contracts and its chaincode events."""

from __future__ import annotations

from fabric_protos.gateway import gateway_pb2

from network.gateway import protocol
from network.gateway.checkpointer import Checkpoint
from network.gateway.commit import Status, SubmittedTransaction
from network.gateway.context import CallContext, deadline
from network.gateway.contract import Contract
from network.gateway.events import ChaincodeEvents
from network.gateway.result import Result


class Network:
    """One channel of the network, as seen through the gateway."""

    def __init__(self, context: CallContext, name: str) -> None:
        self._context = context
        self.name = name

    def contract(self, chaincode_name: str, contract_name: str | None = None) -> Contract:
        if not chaincode_name:
            raise ValueError("chaincode name must not be empty")
        return Contract(self._context, self.name, chaincode_name, contract_name or None)

    async def commit_status(self, transaction_id: str, *, timeout: float | None = None) -> Status:
        """Block number and validation code of any transaction on this channel, submitted by anyone
        (a gateway answers any channel member). The gateway waits for a transaction it has not seen
        yet, so the deadline bounds that wait: CommitStatusError with DEADLINE_EXCEEDED."""
        if not transaction_id:
            raise ValueError("transaction id must not be empty")
        return await SubmittedTransaction(self._context, transaction_id, self.name, Result(b"")).status(timeout=timeout)

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
            signed, timeout=deadline(timeout, self._context.deadlines.chaincode_events)
        )
        return ChaincodeEvents(call)
