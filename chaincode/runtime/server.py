"""Chaincode-as-a-service: a gRPC server for `protos.Chaincode/Connect` that the peer dials.

Each Connect stream is one peer connection and is served by run_chaincode_stream; the peer names
this server in connection.json (address, tls_required, client_auth_required, root_cert, ...).

The server owns its port: SO_REUSEPORT is off, so a second server on the same address fails to
start instead of sharing the peers' connections with the first. Peers never close their Connect
streams, so stopping ends them from this side (after in-flight transactions finish) before the
gRPC server stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from fabric_protos.peer import chaincode_shim_pb2, chaincode_shim_pb2_grpc

from chaincode.runtime.chaincode import Chaincode
from network.ports import ensure_address_free
from chaincode.runtime.stream import run_chaincode_stream

Message = chaincode_shim_pb2.ChaincodeMessage

_MAX_MESSAGE_BYTES = 100 * 1024 * 1024  # Fabric's default gRPC message limit
_SERVER_OPTIONS = (
    ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
    # Peers keep idle chaincode connections alive with HTTP/2 pings; do not punish them for it.
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 0),
    # gRPC sets SO_REUSEPORT by default: two servers could then share one port, the kernel
    # spreading the peers' connections between them. This server owns its port or fails.
    ("grpc.so_reuseport", 0),
)
_STARTS = (Message.TRANSACTION, Message.INIT)
_ENDS = (Message.COMPLETED, Message.ERROR)
_END = object()


@dataclass(frozen=True)
class TlsConfig:
    """Server TLS; with `client_ca`, peers must present a certificate it issued (mutual TLS)."""

    certificate_chain: bytes = field(repr=False)
    private_key: bytes = field(repr=False)
    client_ca: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_files(cls, certificate: str | Path, key: str | Path, client_ca: str | Path | None = None) -> TlsConfig:
        return cls(
            _read(certificate, "TLS certificate"),
            _read(key, "TLS private key"),
            _read(client_ca, "TLS client CA certificate") if client_ca else None,
        )

    @property
    def mutual(self) -> bool:
        return self.client_ca is not None

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.private_key, self.certificate_chain)],
            root_certificates=self.client_ca,
            require_client_auth=self.mutual,
        )


class _Connection:
    """One open Connect stream: the peer's messages pass through here so that stopping can end it.

    It also counts the transactions the chaincode is still running on the stream (TRANSACTION or
    INIT in, COMPLETED or ERROR out), so a stop can let them finish first.
    """

    def __init__(self, requests: AsyncIterator[Message]):
        self._requests = requests
        self._inbox: asyncio.Queue[Message | object] = asyncio.Queue()
        self._running: set[tuple[str, str]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._reader: asyncio.Task[None] | None = None
        self.finished = asyncio.Event()

    async def incoming(self) -> AsyncIterator[Message]:
        self._reader = asyncio.create_task(self._read(), name="ccaas-connection-reader")
        self._reader.add_done_callback(lambda task: task.cancelled() or task.exception())  # retrieved: no warning
        while (message := await self._inbox.get()) is not _END:
            if message.type in _STARTS:  # type: ignore[union-attr]
                self._running.add((message.channel_id, message.txid))  # type: ignore[union-attr]
                self._idle.clear()
            yield message  # type: ignore[misc]
        if self._reader.done() and not self._reader.cancelled() and self._reader.exception() is not None:
            raise self._reader.exception()  # the peer's side failed: run_chaincode_stream reports it

    async def _read(self) -> None:
        try:
            async for message in self._requests:
                self._inbox.put_nowait(message)
        finally:
            self._inbox.put_nowait(_END)

    def sent(self, message: Message) -> None:
        if message.type in _ENDS:
            self._running.discard((message.channel_id, message.txid))
            if not self._running:
                self._idle.set()

    async def end(self, timeout: float) -> None:
        """Let running transactions finish (at most `timeout` seconds), then end the stream."""
        if timeout > 0:
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except TimeoutError:
                pass
        self._inbox.put_nowait(_END)  # run_chaincode_stream sees the peer's side end, and returns

    def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        self.finished.set()


class ChaincodeServicer(chaincode_shim_pb2_grpc.ChaincodeServicer):
    def __init__(self, chaincode: Chaincode, chaincode_id: str):
        self._chaincode = chaincode
        self._chaincode_id = chaincode_id
        self._connections: set[_Connection] = set()
        self._stopping = False

    async def Connect(  # noqa: N802 - gRPC method name
        self, request_iterator: AsyncIterator[Message], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Message]:
        if self._stopping:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the chaincode server is stopping")
        connection = _Connection(request_iterator)
        self._connections.add(connection)
        try:
            async for message in run_chaincode_stream(self._chaincode, connection.incoming(), self._chaincode_id):
                connection.sent(message)
                yield message
        finally:
            self._connections.discard(connection)
            connection.close()

    async def end_streams(self, timeout: float) -> None:
        """Refuse new streams; end the open ones once idle (or after `timeout`); wait until they have."""
        self._stopping = True
        connections = list(self._connections)
        await asyncio.gather(*(connection.end(timeout) for connection in connections))
        await asyncio.gather(*(connection.finished.wait() for connection in connections))


class ChaincodeServer:
    """A started CCaaS server. `stop()` ends the peers' Connect streams itself, then stops gRPC."""

    def __init__(self, server: grpc.aio.Server, servicer: ChaincodeServicer, address: str, port: int):
        self._server = server
        self._servicer = servicer
        self.address = address
        self.port = port

    async def stop(self, grace: float | None = None) -> None:
        """Stop serving. In-flight transactions get up to `grace` seconds (None: none) to finish."""
        grace_seconds = grace or 0.0
        try:
            await asyncio.wait_for(self._servicer.end_streams(grace_seconds), grace_seconds + 1.0)
        except TimeoutError:
            pass  # a stream that would not end: gRPC cancels it below
        await self._server.stop(grace)

    async def wait_for_termination(self, timeout: float | None = None) -> bool:
        return await self._server.wait_for_termination(timeout)


async def serve(chaincode: Chaincode, address: str, chaincode_id: str, tls: TlsConfig | None = None) -> ChaincodeServer:
    """Start serving `chaincode` on `address` ("host:port") and return the started server.

    Raises OSError when the address cannot be listened on, e.g. because another process holds it.
    """
    if not chaincode_id:
        raise ValueError("chaincode id must not be empty (it is the package id, label:hash)")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"chaincode server address must be host:port, got {address!r}")
    ensure_address_free(host, int(port))
    server = grpc.aio.server(options=_SERVER_OPTIONS)
    servicer = ChaincodeServicer(chaincode, chaincode_id)
    chaincode_shim_pb2_grpc.add_ChaincodeServicer_to_server(servicer, server)
    try:
        bound = (
            server.add_secure_port(address, tls.server_credentials()) if tls else server.add_insecure_port(address)
        )
    except RuntimeError:
        bound = 0
    if bound == 0:
        ensure_address_free(host, int(port))  # taken since the check above: say so
        raise OSError(f"cannot listen on {address}")
    await server.start()
    return ChaincodeServer(server, servicer, address, bound)


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise OSError(f"cannot read {what} {path}: {exc.strerror}") from None
