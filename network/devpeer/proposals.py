"""Reading client proposals and building what the endorser returns, as Fabric's protoutil does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2

__all__ = ["ProposalError", "ParsedProposal", "parse_signed_proposal", "compute_tx_id", "build_envelope"]


class ProposalError(ValueError):
    """A malformed proposal; the message says which part."""


def compute_tx_id(nonce: bytes, creator: bytes) -> str:
    return hashlib.sha256(nonce + creator).hexdigest()


@dataclass(frozen=True)
class ParsedProposal:
    signed: proposal_pb2.SignedProposal
    proposal: proposal_pb2.Proposal
    channel_header: common_pb2.ChannelHeader
    channel_header_bytes: bytes
    signature_header_bytes: bytes
    creator: bytes  # serialized msp.SerializedIdentity
    creator_msp_id: str
    creator_cert: bytes
    nonce: bytes
    chaincode_name: str
    args: tuple[bytes, ...]
    transient: dict[str, bytes]
    payload_without_transient: bytes  # ChaincodeProposalPayload, TransientMap stripped

    @property
    def tx_id(self) -> str:
        return self.channel_header.tx_id

    @property
    def channel_id(self) -> str:
        return self.channel_header.channel_id

    @property
    def proposal_hash(self) -> bytes:
        # Fabric's GetProposalHash1: transient data never enters the hash the endorsers sign.
        return hashlib.sha256(
            self.channel_header_bytes + self.signature_header_bytes + self.payload_without_transient
        ).digest()


def _parse(message_type, data: bytes, what: str):
    message = message_type()
    try:
        message.ParseFromString(data)
    except Exception as exc:  # protobuf raises DecodeError and friends
        raise ProposalError(f"{what} does not parse: {exc}") from exc
    return message


def parse_signed_proposal(signed: proposal_pb2.SignedProposal) -> ParsedProposal:
    if not signed.proposal_bytes:
        raise ProposalError("the signed proposal is empty")
    if not signed.signature:
        raise ProposalError("the proposal is not signed")
    proposal = _parse(proposal_pb2.Proposal, signed.proposal_bytes, "proposal")
    header = _parse(common_pb2.Header, proposal.header, "proposal header")
    channel_header = _parse(common_pb2.ChannelHeader, header.channel_header, "channel header")
    if channel_header.type != common_pb2.ENDORSER_TRANSACTION:
        raise ProposalError(f"invalid header type {channel_header.type}: only ENDORSER_TRANSACTION proposals are served")
    signature_header = _parse(common_pb2.SignatureHeader, header.signature_header, "signature header")
    if not signature_header.nonce:
        raise ProposalError("the signature header has no nonce")
    creator = _parse(identities_pb2.SerializedIdentity, signature_header.creator, "creator")
    if not creator.mspid or not creator.id_bytes:
        raise ProposalError("the creator identity lacks an MSP id or certificate")
    expected = compute_tx_id(signature_header.nonce, signature_header.creator)
    if channel_header.tx_id != expected:
        raise ProposalError(f"incorrect transaction id {channel_header.tx_id!r}: it is not sha256(nonce || creator)")
    extension = _parse(proposal_pb2.ChaincodeHeaderExtension, channel_header.extension, "chaincode header extension")
    payload = _parse(proposal_pb2.ChaincodeProposalPayload, proposal.payload, "chaincode proposal payload")
    invocation = _parse(chaincode_pb2.ChaincodeInvocationSpec, payload.input, "chaincode invocation spec")
    name = extension.chaincode_id.name or invocation.chaincode_spec.chaincode_id.name
    if not name:
        raise ProposalError("the proposal names no chaincode")
    stripped = proposal_pb2.ChaincodeProposalPayload(input=payload.input)
    return ParsedProposal(
        signed=signed,
        proposal=proposal,
        channel_header=channel_header,
        channel_header_bytes=header.channel_header,
        signature_header_bytes=header.signature_header,
        creator=signature_header.creator,
        creator_msp_id=creator.mspid,
        creator_cert=creator.id_bytes,
        nonce=signature_header.nonce,
        chaincode_name=name,
        args=tuple(invocation.chaincode_spec.input.args),
        transient=dict(payload.TransientMap),
        payload_without_transient=stripped.SerializeToString(deterministic=True),
    )


def build_envelope(
    parsed: ParsedProposal,
    response_payload: bytes,
    endorsements: list[proposal_response_pb2.Endorsement],
) -> common_pb2.Envelope:
    """The unsigned transaction envelope the gateway hands back from Endorse."""
    action_payload = transaction_pb2.ChaincodeActionPayload(
        chaincode_proposal_payload=parsed.payload_without_transient,
        action=transaction_pb2.ChaincodeEndorsedAction(
            proposal_response_payload=response_payload, endorsements=endorsements
        ),
    )
    transaction = transaction_pb2.Transaction(
        actions=[
            transaction_pb2.TransactionAction(
                header=parsed.signature_header_bytes, payload=action_payload.SerializeToString()
            )
        ]
    )
    header = common_pb2.Header(channel_header=parsed.channel_header_bytes, signature_header=parsed.signature_header_bytes)
    payload = common_pb2.Payload(header=header, data=transaction.SerializeToString())
    return common_pb2.Envelope(payload=payload.SerializeToString())
