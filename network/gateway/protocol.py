"""The Fabric Gateway protocol's client-side messages, built and read without any network I/O.

Everything here is deterministic given its inputs (nonce and timestamp are parameters with random
and current defaults), so tests can decode what the client sends field by field.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.orderer import ab_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf import timestamp_pb2
from google.protobuf.message import DecodeError

from network.identity import Identity, verify_signature

__all__ = [
    "NONCE_SIZE",
    "Argument",
    "new_nonce",
    "transaction_id",
    "transaction_name",
    "ProposalParts",
    "build_proposal",
    "proposal_parts",
    "signed_proposal",
    "DecodedProposal",
    "decode_proposal",
    "verify_signed_proposal",
    "verify_envelope",
    "envelope_result",
    "envelope_channel",
    "proposal_hash",
    "transaction_proposal_payload",
    "check_endorsed_transaction",
    "commit_status_request",
    "chaincode_events_request",
    "start_position",
]

NONCE_SIZE = 24  # bytes, as the official clients use
Argument = str | bytes


def _bytes(value: Argument, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"{what} must be str or bytes, got {type(value).__name__}")


def new_nonce() -> bytes:
    return os.urandom(NONCE_SIZE)


def transaction_id(nonce: bytes, creator: bytes) -> str:
    """hex(SHA-256(nonce || serialized creator)): what peers recompute (BAD_PROPOSAL_TXID otherwise)."""
    return hashlib.sha256(nonce + creator).hexdigest()


def transaction_name(contract_name: str | None, function: str) -> str:
    """args[0]: "function", or "contract:function" for a named contract in a multi-contract chaincode."""
    if not function:
        raise ValueError("transaction name must not be empty")
    return f"{contract_name}:{function}" if contract_name else function


def _timestamp(at: datetime | None) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime((at or datetime.now(timezone.utc)).astimezone(timezone.utc))
    return stamp


@dataclass(frozen=True)
class ProposalParts:
    """A built (unsigned) proposal and what the explicit steps need to carry along."""

    transaction_id: str
    channel_id: str
    proposal_bytes: bytes  # peer.Proposal: this is what gets signed
    endorsing_organizations: tuple[str, ...] = ()

    def proposed_transaction(self, signature: bytes) -> gateway_pb2.ProposedTransaction:
        return gateway_pb2.ProposedTransaction(
            transaction_id=self.transaction_id,
            proposal=proposal_pb2.SignedProposal(proposal_bytes=self.proposal_bytes, signature=signature),
            endorsing_organizations=list(self.endorsing_organizations),
        )


def build_proposal(
    creator: bytes,
    channel_id: str,
    chaincode_name: str,
    function: str,
    args: Sequence[Argument] = (),
    *,
    transient: Mapping[str, Argument] | None = None,
    endorsing_organizations: Sequence[str] = (),
    nonce: bytes | None = None,
    timestamp: datetime | None = None,
) -> ProposalParts:
    """A peer.Proposal for invoking `function` (already "contract:function" if needed) on a chaincode."""
    if not channel_id:
        raise ValueError("channel name must not be empty")
    if not chaincode_name:
        raise ValueError("chaincode name must not be empty")
    if not function:
        raise ValueError("transaction name must not be empty")
    if isinstance(args, (str, bytes)):
        raise TypeError("args must be a sequence of arguments, not a single str or bytes")
    nonce = new_nonce() if nonce is None else nonce
    tx_id = transaction_id(nonce, creator)
    chaincode_id = chaincode_pb2.ChaincodeID(name=chaincode_name)
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION,
        tx_id=tx_id,
        timestamp=_timestamp(timestamp),
        channel_id=channel_id,
        epoch=0,
        extension=proposal_pb2.ChaincodeHeaderExtension(chaincode_id=chaincode_id).SerializeToString(),
    )
    signature_header = common_pb2.SignatureHeader(creator=creator, nonce=nonce)
    spec = chaincode_pb2.ChaincodeSpec(
        type=chaincode_pb2.ChaincodeSpec.NODE,  # as the official clients send; peers ignore it
        chaincode_id=chaincode_id,
        input=chaincode_pb2.ChaincodeInput(
            args=[_bytes(function, "transaction name"), *(_bytes(a, f"argument {i}") for i, a in enumerate(args))]
        ),
    )
    payload = proposal_pb2.ChaincodeProposalPayload(
        input=chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=spec).SerializeToString(),
        TransientMap={k: _bytes(v, f"transient value {k!r}") for k, v in (transient or {}).items()},
    )
    proposal = proposal_pb2.Proposal(
        header=common_pb2.Header(
            channel_header=channel_header.SerializeToString(),
            signature_header=signature_header.SerializeToString(),
        ).SerializeToString(),
        payload=payload.SerializeToString(deterministic=True),
    )
    return ProposalParts(tx_id, channel_id, proposal.SerializeToString(), tuple(endorsing_organizations))


def signed_proposal(parts: ProposalParts, signature: bytes) -> proposal_pb2.SignedProposal:
    return proposal_pb2.SignedProposal(proposal_bytes=parts.proposal_bytes, signature=signature)


def proposal_parts(proposal: gateway_pb2.ProposedTransaction, channel_id: str) -> ProposalParts:
    return ProposalParts(
        proposal.transaction_id, channel_id, proposal.proposal.proposal_bytes, tuple(proposal.endorsing_organizations)
    )


@dataclass(frozen=True)
class DecodedProposal:
    """The fields of a proposal that matter to peers, decoded (for checks and tests)."""

    channel_header: common_pb2.ChannelHeader
    signature_header: common_pb2.SignatureHeader
    creator: Identity
    chaincode_name: str
    args: tuple[bytes, ...]
    transient: dict[str, bytes] = field(default_factory=dict)

    @property
    def transaction_id(self) -> str:
        return self.channel_header.tx_id


def decode_proposal(proposal_bytes: bytes) -> DecodedProposal:
    """Decode peer.Proposal bytes; raises ValueError naming the malformed part."""
    try:
        proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
        header = common_pb2.Header.FromString(proposal.header)
        channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
        signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
        extension = proposal_pb2.ChaincodeHeaderExtension.FromString(channel_header.extension)
        payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
        invocation = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input)
    except DecodeError as exc:
        raise ValueError(f"proposal: malformed protobuf ({exc})") from exc
    return DecodedProposal(
        channel_header=channel_header,
        signature_header=signature_header,
        creator=Identity.from_serialized(signature_header.creator),
        chaincode_name=extension.chaincode_id.name,
        args=tuple(invocation.chaincode_spec.input.args),
        transient=dict(payload.TransientMap),
    )


def verify_signed_proposal(signed: proposal_pb2.SignedProposal) -> DecodedProposal:
    """Decode and check a signed proposal as a peer would (signature by the creator, tx id
    derivation); raises ValueError naming the failed check. Trust in the creator is the MSP's job."""
    decoded = decode_proposal(signed.proposal_bytes)
    if not verify_signature(decoded.creator.credentials, signed.proposal_bytes, signed.signature):
        raise ValueError(f"proposal {decoded.transaction_id}: signature does not verify against the creator")
    expected = transaction_id(decoded.signature_header.nonce, decoded.signature_header.creator)
    if decoded.transaction_id != expected:
        raise ValueError(f"proposal: tx_id {decoded.transaction_id!r} is not sha256(nonce || creator) {expected!r}")
    return decoded


def _payload(envelope: common_pb2.Envelope) -> common_pb2.Payload:
    try:
        return common_pb2.Payload.FromString(envelope.payload)
    except DecodeError as exc:
        raise ValueError(f"envelope: malformed payload ({exc})") from exc


def verify_envelope(envelope: common_pb2.Envelope) -> Identity:
    """Check an envelope's signature against the creator in its signature header; return the creator."""
    payload = _payload(envelope)
    signature_header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
    creator = Identity.from_serialized(signature_header.creator)
    if not verify_signature(creator.credentials, envelope.payload, envelope.signature):
        raise ValueError("envelope: signature does not verify against the creator")
    return creator


def envelope_channel(envelope: common_pb2.Envelope) -> common_pb2.ChannelHeader:
    return common_pb2.ChannelHeader.FromString(_payload(envelope).header.channel_header)


def envelope_result(envelope: common_pb2.Envelope) -> bytes:
    """The chaincode's response payload inside an endorsed transaction envelope."""
    payload = _payload(envelope)
    try:
        transaction = transaction_pb2.Transaction.FromString(payload.data)
        problems = []
        for action in transaction.actions:
            action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
            if not action_payload.HasField("action"):
                problems.append("missing endorsed action")
                continue
            response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
                action_payload.action.proposal_response_payload
            )
            chaincode_action = proposal_pb2.ChaincodeAction.FromString(response_payload.extension)
            if not chaincode_action.HasField("response"):
                problems.append("missing chaincode response")
                continue
            return chaincode_action.response.payload
    except DecodeError as exc:
        raise ValueError(f"envelope: malformed transaction ({exc})") from exc
    raise ValueError(f"envelope: no proposal response found ({', '.join(problems) or 'no actions'})")


def transaction_proposal_payload(proposal_bytes: bytes) -> bytes:
    """The ChaincodeProposalPayload as it goes into the transaction: transient data removed."""
    proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    return proposal_pb2.ChaincodeProposalPayload(input=payload.input).SerializeToString()


def proposal_hash(proposal_bytes: bytes) -> bytes:
    """SHA-256(channel_header || signature_header || payload without transient data): what every
    endorser signs into ProposalResponsePayload.proposal_hash, so private inputs stay off the ledger."""
    proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    return hashlib.sha256(
        header.channel_header + header.signature_header + transaction_proposal_payload(proposal_bytes)
    ).digest()


def check_endorsed_transaction(envelope: common_pb2.Envelope, proposal_bytes: bytes) -> None:
    """Check that an endorsed envelope carries exactly our proposal: same headers, proposal payload
    without transient data, every endorsement over our proposal hash. Raises ValueError naming the
    first mismatch. (Endorser signatures are the committing peers' concern.)"""
    proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    payload = _payload(envelope)
    if payload.header.channel_header != header.channel_header:
        raise ValueError("endorsed transaction: channel header differs from the proposal's")
    if payload.header.signature_header != header.signature_header:
        raise ValueError("endorsed transaction: signature header differs from the proposal's")
    transaction = transaction_pb2.Transaction.FromString(payload.data)
    if len(transaction.actions) != 1:
        raise ValueError(f"endorsed transaction: expected 1 action, found {len(transaction.actions)}")
    action = transaction.actions[0]
    if action.header != header.signature_header:
        raise ValueError("endorsed transaction: action header differs from the proposal's signature header")
    action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
    if action_payload.chaincode_proposal_payload != transaction_proposal_payload(proposal_bytes):
        raise ValueError("endorsed transaction: chaincode proposal payload differs (transient data must be removed)")
    response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
        action_payload.action.proposal_response_payload
    )
    if response_payload.proposal_hash != proposal_hash(proposal_bytes):
        raise ValueError("endorsed transaction: proposal_hash is not the hash of this proposal")
    if not action_payload.action.endorsements:
        raise ValueError("endorsed transaction: no endorsements")


def commit_status_request(channel_id: str, tx_id: str, creator: bytes) -> bytes:
    return gateway_pb2.CommitStatusRequest(
        transaction_id=tx_id, channel_id=channel_id, identity=creator
    ).SerializeToString()


def start_position(start_block: int | None) -> ab_pb2.SeekPosition:
    if start_block is None:
        return ab_pb2.SeekPosition(next_commit=ab_pb2.SeekNextCommit())
    if start_block < 0:
        raise ValueError(f"start block must be >= 0, got {start_block}")
    return ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start_block))


def chaincode_events_request(
    channel_id: str,
    chaincode_name: str,
    creator: bytes,
    *,
    start_block: int | None = None,
    after_transaction_id: str | None = None,
) -> bytes:
    request = gateway_pb2.ChaincodeEventsRequest(
        channel_id=channel_id,
        chaincode_id=chaincode_name,
        identity=creator,
        start_position=start_position(start_block),
    )
    if after_transaction_id:
        request.after_transaction_id = after_transaction_id
    return request.SerializeToString()
