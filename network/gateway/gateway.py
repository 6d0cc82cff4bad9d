"""The connection: a client identity and signer bound to a gRPC channel to a Fabric Gateway."""

from __future__ import annotations

import grpc
from fabric_protos.gateway import gateway_pb2_grpc

from network.gateway.context import CallContext, Deadlines
from network.gateway.network import Network
from network.identity import Identity, Signer


class Gateway:
    """A client identity connected to a Fabric Gateway over a gRPC channel."""

    def __init__(self, channel: grpc.aio.Channel, identity: Identity, signer: Signer, deadlines: Deadlines) -> None:
        self._channel = channel
        self._context = CallContext(gateway_pb2_grpc.GatewayStub(channel), identity, signer, identity.serialize(), deadlines)

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
