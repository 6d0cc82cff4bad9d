"""`gateway.Gateway` served over gRPC: Endorse, Submit, CommitStatus, Evaluate, ChaincodeEvents,
with the status codes, messages and ErrorDetail attachments of Fabric's gateway. Evaluate also
serves the qscc system chaincode (network.devpeer.qscc)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc

from network.devpeer.endorsement import EndorsementFailure, OrgPeer, Simulation
from network.devpeer.errors import GatewayError, detail
from network.devpeer.ledger import LedgerCorrupt
from network.devpeer.membership import WRITER_ROLES, Member, MemberError
from network.devpeer.ordering import OrdererUnavailable
from network.devpeer.policy import PolicyError, Signer, evaluate, plan_orgs
from network.devpeer.proposals import ParsedProposal, ProposalError, build_envelope, parse_signed_proposal
from network.devpeer.qscc import QSCC, query
from network.devpeer.validation import block_events

if TYPE_CHECKING:
    from network.devpeer.peer import DevPeer

__all__ = ["GatewayService"]

log = logging.getLogger(__name__)
Code = grpc.StatusCode


# System chaincodes Evaluate serves (Fabric's gateway evaluates them on any peer); Endorse does not.
_EVALUATE_SYSTEM = frozenset({QSCC})
PAYLOADS_DO_NOT_MATCH = "ProposalResponsePayloads do not match"
NOT_ENOUGH_ENDORSEMENTS = "failed to collect enough transaction endorsements, see attached details for more info"


def _chaincode_error(sim: Simulation) -> str:
    return f"chaincode response {sim.response.status}, {sim.response.message}"


class GatewayService(gateway_pb2_grpc.GatewayServicer):
    def __init__(self, peer: "DevPeer") -> None:
        self._peer = peer

    # -- helpers -------------------------------------------------------------------------------
    def _check_channel(self, channel_id: str) -> None:
        if channel_id != self._peer.config.channel:
            raise GatewayError(Code.NOT_FOUND, f"channel {channel_id} not found")

    def _proposal(self, signed, channel_id: str, tx_id: str, *, system: frozenset[str] = frozenset()) -> ParsedProposal:
        """The checked proposal; `system` names system chaincodes served here besides the defined ones."""
        if signed is None or not signed.proposal_bytes:
            raise GatewayError(Code.INVALID_ARGUMENT, "a signed proposal is required")
        try:
            parsed = parse_signed_proposal(signed)
        except ProposalError as exc:
            raise GatewayError(Code.INVALID_ARGUMENT, f"failed to unpack transaction proposal: {exc}") from exc
        self._check_channel(channel_id or parsed.channel_id)
        if parsed.channel_id != self._peer.config.channel:
            raise GatewayError(Code.NOT_FOUND, f"channel {parsed.channel_id} not found")
        if tx_id and tx_id != parsed.tx_id:
            raise GatewayError(Code.INVALID_ARGUMENT, "transaction_id does not match the proposal's transaction id")
        try:
            member = self._peer.membership.verified(parsed.creator, signed.proposal_bytes, signed.signature)
        except MemberError as exc:
            raise GatewayError(Code.PERMISSION_DENIED, f"access denied: {exc}") from exc
        if parsed.chaincode_name in system:
            # Fabric checks peer/Propose for application chaincodes only; system chaincodes apply their
            # own ACLs, for qscc /Channel/Application/Readers: any member with a valid signature.
            return parsed
        if member.role not in WRITER_ROLES:
            # ACL peer/Propose = /Channel/Application/Writers: admins and clients only.
            raise GatewayError(
                Code.PERMISSION_DENIED,
                f"access denied: creator of MSP {member.msp_id} with role {member.role} does not satisfy "
                "/Channel/Application/Writers",
            )
        if parsed.chaincode_name not in self._peer.chaincodes:
            raise GatewayError(Code.NOT_FOUND, f"chaincode {parsed.chaincode_name} is not defined on channel {parsed.channel_id}")
        return parsed

    def _org(self, msp_id: str) -> OrgPeer:
        org = self._peer.org_peers.get(msp_id)
        if org is None:
            raise GatewayError(Code.UNAVAILABLE, f"no peers available to evaluate chaincode in organization {msp_id}")
        return org

    def _signed_reader(self, request_bytes: bytes, signature: bytes, identity: bytes) -> Member:
        try:
            return self._peer.membership.verified(identity, request_bytes, signature)
        except MemberError as exc:
            raise GatewayError(Code.PERMISSION_DENIED, f"access denied: {exc}") from exc

    # -- Evaluate ------------------------------------------------------------------------------
    async def Evaluate(self, request: gateway_pb2.EvaluateRequest, context) -> gateway_pb2.EvaluateResponse:
        try:
            parsed = self._proposal(
                request.proposed_transaction, request.channel_id, request.transaction_id, system=_EVALUATE_SYSTEM
            )
            target = request.target_organizations[0] if request.target_organizations else self._peer.own_org
            org = self._org(target)
            if parsed.chaincode_name == QSCC:
                return gateway_pb2.EvaluateResponse(result=self._qscc(org, parsed))
            try:
                sim = await self._peer.endorser.simulate(org, parsed, sign=False)
            except EndorsementFailure as exc:
                raise GatewayError(
                    Code.UNAVAILABLE, f"evaluate call to endorser returned error: {exc}", [detail(org.address, org.msp_id, str(exc))]
                ) from exc
            if not sim.ok:
                message = _chaincode_error(sim)
                raise GatewayError(
                    Code.UNKNOWN,
                    f"evaluate call to endorser returned error: {message}",
                    [detail(org.address, org.msp_id, message)],
                )
            return gateway_pb2.EvaluateResponse(result=sim.response)
        except GatewayError as exc:
            await exc.abort(context)

    def _qscc(self, org: OrgPeer, parsed: ParsedProposal):
        try:
            response = query(self._peer.ledger, self._peer.config.channel, parsed.args)
        except LedgerCorrupt as exc:
            raise _refused(exc) from exc
        if response.status >= 400:
            message = f"chaincode response {response.status}, {response.message}"
            raise GatewayError(
                Code.UNKNOWN, f"evaluate call to endorser returned error: {message}", [detail(org.address, org.msp_id, message)]
            )
        return response

    # -- Endorse -------------------------------------------------------------------------------
    async def Endorse(self, request: gateway_pb2.EndorseRequest, context) -> gateway_pb2.EndorseResponse:
        try:
            parsed = self._proposal(request.proposed_transaction, request.channel_id, request.transaction_id)
            simulations = await self._endorse(parsed, list(request.endorsing_organizations))
            payload = simulations[0].response_payload
            _check_payloads_match(simulations)
            envelope = build_envelope(parsed, payload, [sim.endorsement() for sim in simulations])
            if simulations[0].results.private is not None:
                self._peer.transient.put(parsed.tx_id, simulations[0].results.private)
            return gateway_pb2.EndorseResponse(prepared_transaction=envelope)
        except GatewayError as exc:
            await exc.abort(context)

    async def _endorse(self, parsed: ParsedProposal, named: list[str]) -> list[Simulation]:
        peer = self._peer
        definition = peer.chaincodes[parsed.chaincode_name]
        # Only orgs with a peer can endorse; member-only orgs still count in the policy itself.
        msp_ids = list(peer.org_peers)
        if named:
            unknown = [m for m in named if m not in peer.org_peers]
            if unknown:
                raise GatewayError(Code.UNAVAILABLE, f"no peers available in organization(s) {unknown}")
            return self._successful(await peer.endorser.simulate_all([peer.org_peers[m] for m in dict.fromkeys(named)], parsed))
        try:
            plan = plan_orgs(definition.policy, msp_ids, first=peer.own_org)
        except PolicyError as exc:
            raise GatewayError(Code.UNAVAILABLE, f"no combination of peers can be derived which satisfy the endorsement policy: {exc}") from exc
        if not parsed.transient:
            return self._successful(await peer.endorser.simulate_all([peer.org_peers[m] for m in plan], parsed))
        # Transient data: endorse on the gateway's own org first; other orgs only when they are
        # in the distribution policy of every collection that first endorsement wrote to.
        first = self._successful(await peer.endorser.simulate_all([peer.org_peers[peer.own_org]], parsed))
        if evaluate(definition.policy, [Signer(peer.own_org, "peer")]):
            return first
        others = [m for m in plan if m != peer.own_org]
        outside = sorted(
            {
                m
                for ns, coll in first[0].results.written_collections
                for m in others
                if not peer.chaincodes[ns].collections[coll].is_member(m)
            }
        )
        if outside:
            raise GatewayError(
                Code.FAILED_PRECONDITION,
                f"requires endorsement from organisation(s) that are not in the distribution policy of the private "
                f"data collection(s): {outside}; retry specifying trusted endorsing organizations to protect transient data",
            )
        rest = self._successful(await peer.endorser.simulate_all([peer.org_peers[m] for m in others], parsed))
        return first + rest

    @staticmethod
    def _successful(outcomes: list[Simulation | EndorsementFailure]) -> list[Simulation]:
        details = []
        for outcome in outcomes:
            if isinstance(outcome, EndorsementFailure):
                details.append(detail(outcome.org.address, outcome.org.msp_id, str(outcome)))
            elif not outcome.ok:
                details.append(detail(outcome.org.address, outcome.org.msp_id, _chaincode_error(outcome)))
        if details:
            raise GatewayError(Code.ABORTED, "failed to endorse transaction, see attached details for more info", details)
        return outcomes  # type: ignore[return-value]

    # -- Submit --------------------------------------------------------------------------------
    async def Submit(self, request: gateway_pb2.SubmitRequest, context) -> gateway_pb2.SubmitResponse:
        try:
            envelope = request.prepared_transaction
            if envelope is None or not envelope.payload:
                raise GatewayError(Code.INVALID_ARGUMENT, "a prepared transaction is required")
            try:
                payload = common_pb2.Payload.FromString(envelope.payload)
                channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
                signature_header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
            except Exception as exc:  # noqa: BLE001
                raise GatewayError(Code.INVALID_ARGUMENT, f"failed to unpack the prepared transaction: {exc}") from exc
            self._check_channel(request.channel_id or channel_header.channel_id)
            if request.transaction_id and request.transaction_id != channel_header.tx_id:
                raise GatewayError(Code.INVALID_ARGUMENT, "transaction_id does not match the prepared transaction")
            # The orderer admits only channel Writers with a valid signature.
            try:
                member = self._peer.membership.verified(
                    signature_header.creator, envelope.payload, envelope.signature, remember=True
                )
                if member.role not in WRITER_ROLES:
                    raise MemberError(f"role {member.role} is not a channel writer")
            except MemberError as exc:
                info = f"implicit policy evaluation failed - the 'Writers' policy is not satisfied: {exc}"
                raise GatewayError(
                    Code.ABORTED,
                    f"received unsuccessful response from orderer: status=FORBIDDEN, info={info}",
                    [detail(self._peer.address, "OperatorMSP", info)],
                ) from exc
            try:
                self._peer.cutter.order(envelope.SerializeToString())
            except OrdererUnavailable as exc:
                raise GatewayError(Code.UNAVAILABLE, f"no orderers could be reached: {exc}") from exc
            return gateway_pb2.SubmitResponse()
        except GatewayError as exc:
            await exc.abort(context)

    # -- CommitStatus --------------------------------------------------------------------------
    async def CommitStatus(self, request: gateway_pb2.SignedCommitStatusRequest, context) -> gateway_pb2.CommitStatusResponse:
        try:
            inner = _unpack(gateway_pb2.CommitStatusRequest, request.request, "the commit status request")
            self._check_channel(inner.channel_id)
            self._signed_reader(request.request, request.signature, inner.identity)
            if not inner.transaction_id:
                raise GatewayError(Code.INVALID_ARGUMENT, "a transaction id is required")
            try:
                record = await self._peer.commits.wait(inner.transaction_id)
            except LedgerCorrupt as exc:
                raise _refused(exc) from exc
            return gateway_pb2.CommitStatusResponse(result=record.code, block_number=record.block_number)
        except GatewayError as exc:
            await exc.abort(context)

    # -- ChaincodeEvents -----------------------------------------------------------------------
    async def ChaincodeEvents(self, request: gateway_pb2.SignedChaincodeEventsRequest, context) -> AsyncIterator[gateway_pb2.ChaincodeEventsResponse]:
        try:
            inner = _unpack(gateway_pb2.ChaincodeEventsRequest, request.request, "the events request")
            self._check_channel(inner.channel_id)
            self._signed_reader(request.request, request.signature, inner.identity)
            if not inner.chaincode_id:
                raise GatewayError(Code.INVALID_ARGUMENT, "a chaincode id is required")
            number, after_index = self._events_start(inner)
        except GatewayError as exc:
            await exc.abort(context)
            return
        ledger = self._peer.ledger
        while True:
            while number < ledger.height:
                try:
                    block = ledger.block(number)
                except LedgerCorrupt as exc:
                    await _refused(exc).abort(context)
                    return
                events = [
                    event
                    for index, _, event in block_events(block)
                    if event.chaincode_id == inner.chaincode_id and (after_index is None or index > after_index)
                ]
                after_index = None
                if events:
                    yield gateway_pb2.ChaincodeEventsResponse(events=events, block_number=number)
                number += 1
            await self._peer.wait_for_block(number)

    def _events_start(self, inner: gateway_pb2.ChaincodeEventsRequest) -> tuple[int, int | None]:
        ledger = self._peer.ledger
        if inner.after_transaction_id:
            record = ledger.transaction(inner.after_transaction_id)
            if record is not None:
                return record.block_number, record.tx_number
        position = inner.start_position
        which = position.WhichOneof("Type") if position is not None else None
        if which == "specified":
            return position.specified.number, None
        if which == "oldest":
            return 0, None
        if which == "newest":
            return max(ledger.height - 1, 0), None
        return ledger.height, None


def _check_payloads_match(simulations: list[Simulation]) -> None:
    """Fabric's gateway keeps the first endorser's ProposalResponsePayload and refuses each later one
    that differs, with an ErrorDetail naming that endorser; then too few endorsements remain."""
    reference = simulations[0].response_payload
    details = [
        detail(sim.org.address, sim.org.msp_id, PAYLOADS_DO_NOT_MATCH)
        for sim in simulations[1:]
        if sim.response_payload != reference
    ]
    if details:
        raise GatewayError(Code.ABORTED, NOT_ENOUGH_ENDORSEMENTS, details)


def _refused(exc: LedgerCorrupt) -> GatewayError:
    # What Fabric's gateway answers when its ledger cannot give a block back.
    log.error("%s", exc)
    return GatewayError(Code.UNAVAILABLE, str(exc))


def _unpack(message_type, data: bytes, what: str):
    """Decode a request's inner message; a malformed one is the client's error, as on a real peer."""
    try:
        return message_type.FromString(data)
    except Exception as exc:  # noqa: BLE001 - protobuf raises DecodeError or others on garbage
        raise GatewayError(Code.INVALID_ARGUMENT, f"failed to unpack {what}: {exc}") from exc
