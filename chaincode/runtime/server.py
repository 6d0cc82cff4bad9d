"""Chaincode-as-a-service: a gRPC server for `protos.Chaincode/Connect` that the peer dials.

Each Connect stream is one peer connection and is served by run_chaincode_stream; the peer names
this server in connection.json (address, tls_required, client_auth_required, root_cert, ...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from fabric_protos.peer import chaincode_shim_pb2, chaincode_shim_pb2_grpc

from chaincode.runtime.chaincode import Chaincode
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
)


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


class ChaincodeServicer(chaincode_shim_pb2_grpc.ChaincodeServicer):
    def __init__(self, chaincode: Chaincode, chaincode_id: str):
        self._chaincode = chaincode
        self._chaincode_id = chaincode_id

    async def Connect(  # noqa: N802 - gRPC method name
        self, request_iterator: AsyncIterator[Message], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Message]:
        async for message in run_chaincode_stream(self._chaincode, request_iterator, self._chaincode_id):
            yield message


async def serve(chaincode: Chaincode, address: str, chaincode_id: str, tls: TlsConfig | None = None) -> grpc.aio.Server:
    """Start serving `chaincode` on `address` ("host:port") and return the started server."""
    if not chaincode_id:
        raise ValueError("chaincode id must not be empty (it is the package id, label:hash)")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"chaincode server address must be host:port, got {address!r}")
    server = grpc.aio.server(options=_SERVER_OPTIONS)
    chaincode_shim_pb2_grpc.add_ChaincodeServicer_to_server(ChaincodeServicer(chaincode, chaincode_id), server)
    try:
        bound = (
            server.add_secure_port(address, tls.server_credentials()) if tls else server.add_insecure_port(address)
        )
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {address}: {exc}") from None
    if bound == 0:
        raise OSError(f"cannot listen on {address}")
    await server.start()
    return server


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise OSError(f"cannot read {what} {path}: {exc.strerror}") from None
