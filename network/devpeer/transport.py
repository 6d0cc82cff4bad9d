"""Ways to reach a chaincode: a gRPC Connect stream (chaincode-as-a-service) or in-memory queues
(a Python chaincode in this process). The peer-side handler speaks through either one."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable
from typing import Protocol

import grpc
from fabric_protos.peer import chaincode_shim_pb2

from network.devpeer.config import CcaasConfig

__all__ = [
    "ChaincodeStream",
    "StreamConnector",
    "StreamRunner",
    "QueueStream",
    "GrpcStream",
    "ccaas_connector",
    "in_process_connector",
]

Message = chaincode_shim_pb2.ChaincodeMessage
# The chaincode side of a Connect stream: (incoming from the peer, chaincode id) -> outgoing.
StreamRunner = Callable[[AsyncIterator[Message], str], AsyncIterator[Message]]


class ChaincodeStream(Protocol):
    async def send(self, message: Message) -> None: ...

    async def receive(self) -> Message | None:
        """The next message from the chaincode, None once the stream has ended."""
        ...

    async def close(self) -> None: ...


# Opens a fresh stream to the chaincode (called again after the chaincode went away).
StreamConnector = Callable[[], "asyncio.Future[ChaincodeStream] | object"]


class QueueStream:
    """In-process transport: the chaincode runtime consumes our queue and yields its replies."""

    _CLOSED = object()

    def __init__(self, runner: StreamRunner, chaincode_id: str) -> None:
        self._incoming: asyncio.Queue[object] = asyncio.Queue()
        self._outgoing = aiter(runner(self._feed(), chaincode_id))

    async def _feed(self) -> AsyncIterator[Message]:
        while True:
            message = await self._incoming.get()
            if message is self._CLOSED:
                return
            yield message  # type: ignore[misc]

    async def send(self, message: Message) -> None:
        self._incoming.put_nowait(message)

    async def receive(self) -> Message | None:
        try:
            return await anext(self._outgoing)
        except StopAsyncIteration:
            return None

    async def close(self) -> None:
        self._incoming.put_nowait(self._CLOSED)
        closer = getattr(self._outgoing, "aclose", None)
        if closer is not None:
            try:
                await closer()
            except RuntimeError:
                pass  # already running: it ends by itself once it reads the close marker


class GrpcStream:
    """Peer side of `protos.Chaincode/Connect`, the peer dialling a chaincode server."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel
        connect = channel.stream_stream(
            "/protos.Chaincode/Connect",
            request_serializer=Message.SerializeToString,
            response_deserializer=Message.FromString,
        )
        self._call = connect()

    async def send(self, message: Message) -> None:
        await self._call.write(message)

    async def receive(self) -> Message | None:
        try:
            message = await self._call.read()
        except grpc.aio.AioRpcError:
            return None
        return None if message is grpc.aio.EOF else message

    async def close(self) -> None:
        self._call.cancel()
        await self._channel.close()


def _channel_credentials(config: CcaasConfig) -> grpc.ChannelCredentials:
    if config.client_auth_required and not (config.client_key and config.client_cert):
        raise ValueError(f"chaincode server {config.address} requires client auth: set client_key and client_cert")
    return grpc.ssl_channel_credentials(
        root_certificates=config.root_cert,
        private_key=config.client_key if config.client_auth_required else None,
        certificate_chain=config.client_cert if config.client_auth_required else None,
    )


def ccaas_connector(config: CcaasConfig) -> Callable[[], "asyncio.Future[ChaincodeStream]"]:
    # Keepalive pings are HTTP/2 frames, not shim KEEPALIVE messages: the Node shim never sees them.
    options = [("grpc.max_receive_message_length", 100 * 1024 * 1024), ("grpc.max_send_message_length", 100 * 1024 * 1024)]

    async def connect() -> ChaincodeStream:
        if config.tls_required:
            channel = grpc.aio.secure_channel(config.address, _channel_credentials(config), options=options)
        else:
            channel = grpc.aio.insecure_channel(config.address, options=options)
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout=config.dial_timeout)
        except (asyncio.TimeoutError, grpc.aio.AioRpcError) as exc:
            await channel.close()
            raise ConnectionError(
                f"could not connect to chaincode server {config.address} within {config.dial_timeout:g}s"
            ) from exc
        return GrpcStream(channel)

    return connect  # type: ignore[return-value]


def _default_runner(spec: str) -> tuple[StreamRunner, str]:
    runtime = importlib.import_module("chaincode.runtime")
    chaincode = runtime.load_chaincode(spec)

    def runner(incoming: AsyncIterator[Message], chaincode_id: str) -> AsyncIterator[Message]:
        return runtime.run_chaincode_stream(chaincode, incoming, chaincode_id)

    return runner, spec


def in_process_connector(spec: str, name: str, runner: StreamRunner | None = None) -> Callable[[], "asyncio.Future[ChaincodeStream]"]:
    """`runner` overrides the chaincode.runtime stream (tests use a hand-written shim)."""
    if runner is None:
        runner, _ = _default_runner(spec)

    async def connect() -> ChaincodeStream:
        return QueueStream(runner, name)

    return connect  # type: ignore[return-value]
