"""What a gateway's Endorse returns, built from the protocol notes (test-side encoder)."""

from __future__ import annotations

import hashlib

from fabric_protos.common import common_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2

from network.msp import MspMember


def endorse_like_a_peer(proposal_bytes: bytes, endorser: MspMember, payload: bytes = b"", status: int = 200) -> common_pb2.Envelope:
    """The unsigned envelope a gateway returns from Endorse, written from the protocol notes."""
    proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    full_payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    without_transient = proposal_pb2.ChaincodeProposalPayload(input=full_payload.input).SerializeToString()
    extension = proposal_pb2.ChaincodeAction(
        response=proposal_response_pb2.Response(status=status, payload=payload),
        chaincode_id=chaincode_pb2.ChaincodeID(name="emissions", version="1.0"),
    ).SerializeToString()
    prp = proposal_response_pb2.ProposalResponsePayload(
        proposal_hash=hashlib.sha256(header.channel_header + header.signature_header + without_transient).digest(),
        extension=extension,
    ).SerializeToString()
    endorser_bytes = endorser.identity.serialize()
    endorsement = proposal_response_pb2.Endorsement(endorser=endorser_bytes, signature=endorser.signer.sign(prp + endorser_bytes))
    action_payload = transaction_pb2.ChaincodeActionPayload(
        chaincode_proposal_payload=without_transient,
        action=transaction_pb2.ChaincodeEndorsedAction(proposal_response_payload=prp, endorsements=[endorsement]),
    )
    transaction = transaction_pb2.Transaction(
        actions=[transaction_pb2.TransactionAction(header=header.signature_header, payload=action_payload.SerializeToString())]
    )
    return common_pb2.Envelope(payload=common_pb2.Payload(header=header, data=transaction.SerializeToString()).SerializeToString())
