"""`protos.Deliver` served over gRPC: the block and filtered-block event streams of a Fabric 2.5 peer.

Each request is a signed Envelope whose payload data is an orderer.SeekInfo. As Fabric's deliver
handler does, every SeekInfo is answered with its blocks then one DeliverResponse status: SUCCESS
(and the stream waits for the next SeekInfo), or a failure status that ends the stream:
BAD_REQUEST (malformed envelope or SeekInfo, timestamp outside the window, start after stop),
NOT_FOUND (unknown channel; FAIL_IF_NOT_READY past the ledger height), FORBIDDEN (the signer is not
a channel member or the signature is invalid: the ACLs event/Block and event/FilteredBlock are
/Channel/Application/Readers), SERVICE_UNAVAILABLE (a stored block fails its integrity check).

DeliverWithPrivateData applies the same checks, then answers an authorised reader NOT_IMPLEMENTED:
the ledger keeps the current private values only, not each block's private write sets, so it
cannot give back what a block's transactions wrote to their collections. Serving blocks with an
empty private data map would tell the reader there was none.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fabric_protos.common import common_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_event_pb2, events_pb2, events_pb2_grpc, proposal_pb2, proposal_response_pb2, transaction_pb2

from network.devpeer.ledger import LedgerCorrupt
from network.devpeer.membership import Member, MemberError

if TYPE_CHECKING:
    from network.devpeer.peer import DevPeer

__all__ = ["DeliverService", "add_deliver_service", "filtered_block", "TIME_WINDOW_SECONDS"]

log = logging.getLogger(__name__)
Status = common_pb2.Status

# core.yaml peer.authentication.timewindow: how far a request's timestamp may be from the peer's clock.
TIME_WINDOW_SECONDS = 15 * 60


def add_deliver_service(peer: "DevPeer", server) -> None:
    events_pb2_grpc.add_DeliverServicer_to_server(DeliverService(peer), server)


class _Refused(Exception):
    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status


@dataclass(frozen=True)
class _Seek:
    start: int
    stop: int
    fail_if_not_ready: bool
    member: Member


def _status(status: int) -> events_pb2.DeliverResponse:
    return events_pb2.DeliverResponse(status=status)


class DeliverService(events_pb2_grpc.DeliverServicer):
    def __init__(self, peer: "DevPeer") -> None:
        self._peer = peer

    async def Deliver(self, request_iterator, context) -> AsyncIterator[events_pb2.DeliverResponse]:
        async for response in self._serve(request_iterator, "event/Block", lambda block, _: events_pb2.DeliverResponse(block=block)):
            yield response

    async def DeliverFiltered(self, request_iterator, context) -> AsyncIterator[events_pb2.DeliverResponse]:
        async for response in self._serve(
            request_iterator, "event/FilteredBlock", lambda block, _: events_pb2.DeliverResponse(filtered_block=filtered_block(block))
        ):
            yield response

    async def DeliverWithPrivateData(self, request_iterator, context) -> AsyncIterator[events_pb2.DeliverResponse]:
        async for envelope in request_iterator:
            try:
                seek = self._seek(envelope, "event/Block")
            except _Refused as exc:
                log.warning("deliver with private data refused: %s", exc)
                yield _status(exc.status)
                return
            log.warning(
                "deliver with private data from %s: not implemented (the ledger keeps no per-block private "
                "write sets); use Deliver or DeliverFiltered",
                seek.member.msp_id,
            )
            yield _status(Status.NOT_IMPLEMENTED)
            return

    async def _serve(
        self, request_iterator, resource: str, respond: Callable[[common_pb2.Block, Member], events_pb2.DeliverResponse]
    ) -> AsyncIterator[events_pb2.DeliverResponse]:
        ledger = self._peer.ledger
        async for envelope in request_iterator:
            try:
                seek = self._seek(envelope, resource)
            except _Refused as exc:
                log.warning("deliver refused (%s): %s", Status.Name(exc.status), exc)
                yield _status(exc.status)
                return
            number = seek.start
            while True:
                if seek.fail_if_not_ready and number >= ledger.height:
                    yield _status(Status.NOT_FOUND)
                    return
                await self._peer.wait_for_block(number)
                try:
                    block = ledger.block(number)
                except LedgerCorrupt as exc:
                    log.error("%s", exc)
                    yield _status(Status.SERVICE_UNAVAILABLE)
                    return
                try:
                    response = respond(block, seek.member)
                except Exception as exc:  # noqa: BLE001 - as Fabric: a block it cannot filter is a bad request
                    log.warning("cannot filter block %d: %s", number, exc)
                    yield _status(Status.BAD_REQUEST)
                    return
                yield response
                if number == seek.stop:
                    break
                number += 1
            yield _status(Status.SUCCESS)

    def _seek(self, envelope: common_pb2.Envelope, resource: str) -> _Seek:
        try:
            payload = common_pb2.Payload.FromString(envelope.payload)
            channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
            signature_header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
        except Exception as exc:  # noqa: BLE001 - any decode failure is a malformed request
            raise _Refused(Status.BAD_REQUEST, f"malformed envelope: {exc}") from exc
        if not payload.HasField("header"):
            raise _Refused(Status.BAD_REQUEST, "envelope without a header")
        if not channel_header.HasField("timestamp"):
            raise _Refused(Status.BAD_REQUEST, "channel header in envelope must contain timestamp")
        stamp = channel_header.timestamp.seconds + channel_header.timestamp.nanos / 1e9
        if abs(time.time() - stamp) > TIME_WINDOW_SECONDS:
            raise _Refused(Status.BAD_REQUEST, f"envelope timestamp is more than {TIME_WINDOW_SECONDS} s from the peer's time")
        if channel_header.channel_id != self._peer.config.channel:
            raise _Refused(Status.NOT_FOUND, f"channel {channel_header.channel_id} not found")
        try:
            # Readers: any member of a channel org, whatever its role, with a valid signature.
            member = self._peer.membership.verified(signature_header.creator, envelope.payload, envelope.signature)
        except MemberError as exc:
            raise _Refused(Status.FORBIDDEN, f"{resource}: access denied: {exc}") from exc
        try:
            info = ab_pb2.SeekInfo.FromString(payload.data)
        except Exception as exc:  # noqa: BLE001
            raise _Refused(Status.BAD_REQUEST, f"malformed SeekInfo: {exc}") from exc
        if not info.HasField("start") or not info.HasField("stop"):
            raise _Refused(Status.BAD_REQUEST, "SeekInfo without start or stop")
        height = self._peer.ledger.height
        start = self._position(info.start, height)
        which = info.stop.WhichOneof("Type")
        if which == "oldest":
            stop = start
        elif which == "newest":
            stop = start if info.stop == info.start else height - 1
        elif which == "specified":
            stop = info.stop.specified.number
            if stop < start:
                raise _Refused(Status.BAD_REQUEST, f"start number {start} greater than stop number {stop}")
        else:  # next_commit or unset: Fabric leaves the stop number at 0
            stop = 0
        return _Seek(start, stop, info.behavior == ab_pb2.SeekInfo.FAIL_IF_NOT_READY, member)

    @staticmethod
    def _position(position: ab_pb2.SeekPosition, height: int) -> int:
        which = position.WhichOneof("Type")
        if which == "oldest":
            return 0
        if which == "newest":
            return max(height - 1, 0)
        if which == "specified":
            return position.specified.number
        if which == "next_commit":
            return height
        raise _Refused(Status.BAD_REQUEST, "SeekPosition without a type")


def filtered_block(block: common_pb2.Block) -> events_pb2.FilteredBlock:
    """Fabric's filtered block: per transaction its id, header type and validation code; for endorser
    transactions the chaincode events without their payloads."""
    codes = block.metadata.metadata[common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER]
    result = events_pb2.FilteredBlock(number=block.header.number)
    for index, raw in enumerate(block.data.data):
        payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(raw).payload)
        header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
        result.channel_id = header.channel_id
        filtered = events_pb2.FilteredTransaction(
            txid=header.tx_id,
            type=header.type,
            tx_validation_code=codes[index] if index < len(codes) else transaction_pb2.NOT_VALIDATED,
        )
        if header.type == common_pb2.ENDORSER_TRANSACTION:
            actions = events_pb2.FilteredTransactionActions()
            for action in transaction_pb2.Transaction.FromString(payload.data).actions:
                action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
                if not action_payload.HasField("action"):
                    continue
                response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
                    action_payload.action.proposal_response_payload
                )
                chaincode_action = proposal_pb2.ChaincodeAction.FromString(response_payload.extension)
                event = chaincode_event_pb2.ChaincodeEvent.FromString(chaincode_action.events)
                if event.chaincode_id:
                    actions.chaincode_actions.add().chaincode_event.CopyFrom(
                        chaincode_event_pb2.ChaincodeEvent(
                            tx_id=event.tx_id, chaincode_id=event.chaincode_id, event_name=event.event_name
                        )
                    )
            filtered.transaction_actions.CopyFrom(actions)
        result.filtered_transactions.append(filtered)
    return result
