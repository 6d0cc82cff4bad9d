"""What every call of one Gateway connection shares: stub, identity, signer and deadlines."""

from __future__ import annotations

from dataclasses import dataclass

from fabric_protos.gateway import gateway_pb2_grpc

from network.identity import Identity, Signer


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
class CallContext:
    stub: gateway_pb2_grpc.GatewayStub
    identity: Identity
    signer: Signer
    creator: bytes
    deadlines: Deadlines

    def sign(self, message: bytes) -> bytes:
        return self.signer.sign(message)


def deadline(explicit: float | None, default: float | None) -> float | None:
    return default if explicit is None else explicit
