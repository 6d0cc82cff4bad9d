"""What a chaincode may learn from the client's signed proposal.

The peer forwards the SignedProposal with every TRANSACTION; it is the only trustworthy source of
the transaction timestamp (chaincode must not read a clock: endorsers would disagree), the
creator's identity, the transient data and the proposal binding.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Mapping

from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import proposal_pb2
from google.protobuf.message import DecodeError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ProposalError(ValueError):
    """The signed proposal forwarded by the peer cannot be decoded."""


@dataclass(frozen=True, slots=True)
class Creator:
    """msp.SerializedIdentity of the client that signed the proposal."""

    msp_id: str
    id_bytes: bytes


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A protobuf Timestamp kept exact (seconds + nanos) with a datetime view (microseconds)."""

    seconds: int
    nanos: int

    def to_datetime(self) -> datetime:
        """Microsecond precision: datetime cannot hold the nanoseconds."""
        return _EPOCH + timedelta(seconds=self.seconds, microseconds=self.nanos // 1000)

    def isoformat(self) -> str:
        """RFC 3339 in UTC with nanosecond precision when there is any, e.g. 2024-05-01T12:00:00.5Z."""
        base = (_EPOCH + timedelta(seconds=self.seconds)).strftime("%Y-%m-%dT%H:%M:%S")
        fraction = f".{self.nanos:09d}".rstrip("0") if self.nanos else ""
        return f"{base}{fraction}Z"


@dataclass(frozen=True, slots=True)
class ProposalInfo:
    creator: Creator
    timestamp: Timestamp
    transient: Mapping[str, bytes]
    binding: bytes
    channel_id: str
    tx_id: str
    signed_proposal: proposal_pb2.SignedProposal = field(repr=False)


def decode_signed_proposal(signed: proposal_pb2.SignedProposal) -> ProposalInfo:
    if not signed.proposal_bytes:
        raise ProposalError("signed proposal has no proposal bytes")
    proposal = _parse(proposal_pb2.Proposal, signed.proposal_bytes, "Proposal")
    if not proposal.header:
        raise ProposalError("proposal header is empty")
    header = _parse(common_pb2.Header, proposal.header, "Header")
    channel_header = _parse(common_pb2.ChannelHeader, header.channel_header, "ChannelHeader")
    signature_header = _parse(common_pb2.SignatureHeader, header.signature_header, "SignatureHeader")
    identity = _parse(identities_pb2.SerializedIdentity, signature_header.creator, "SerializedIdentity")
    payload = _parse(proposal_pb2.ChaincodeProposalPayload, proposal.payload, "ChaincodeProposalPayload")
    return ProposalInfo(
        creator=Creator(identity.mspid, bytes(identity.id_bytes)),
        timestamp=Timestamp(channel_header.timestamp.seconds, channel_header.timestamp.nanos),
        transient=MappingProxyType({name: bytes(value) for name, value in payload.TransientMap.items()}),
        binding=_binding(bytes(signature_header.nonce), bytes(signature_header.creator), channel_header.epoch),
        channel_id=channel_header.channel_id,
        tx_id=channel_header.tx_id,
        signed_proposal=signed,
    )


def _binding(nonce: bytes, creator: bytes, epoch: int) -> bytes:
    # Fabric's proposal binding: sha256(nonce || creator || epoch as 8 little-endian bytes).
    return hashlib.sha256(nonce + creator + struct.pack("<Q", epoch)).digest()


def _parse[M](message_type: type[M], data: bytes, name: str) -> M:
    try:
        return message_type.FromString(data)  # type: ignore[attr-defined]
    except DecodeError as exc:
        raise ProposalError(f"cannot decode {name} from the signed proposal: {exc}") from None
