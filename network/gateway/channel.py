"""Building the grpc.aio channel a Gateway connection runs over (plaintext or TLS)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import grpc

__all__ = ["create_channel", "DEFAULT_CHANNEL_OPTIONS"]

# Fabric peers accept messages up to 100 MiB; blocks and query results can exceed gRPC's 4 MiB.
_MAX_MESSAGE = 100 * 1024 * 1024
DEFAULT_CHANNEL_OPTIONS: tuple[tuple[str, int | str], ...] = (
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
    ("grpc.keepalive_time_ms", 120_000),
    ("grpc.keepalive_timeout_ms", 20_000),
)


def _read(value: bytes | str | Path | None, what: str) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    try:
        return Path(value).read_bytes()
    except OSError as exc:
        raise ValueError(f"{what}: cannot read {value} ({exc.strerror})") from exc


def create_channel(
    target: str,
    *,
    tls_root_certificates: bytes | str | Path | None = None,
    client_certificate: bytes | str | Path | None = None,
    client_key: bytes | str | Path | None = None,
    server_name_override: str | None = None,
    options: Sequence[tuple[str, int | str]] = (),
) -> grpc.aio.Channel:
    """A grpc.aio channel to a Fabric Gateway at `target` ("host:port").

    TLS when `tls_root_certificates` (PEM bytes or a file such as tls/ca.crt) is given, plaintext
    otherwise. A client certificate and key enable mutual TLS. `server_name_override` verifies the
    server as that host name (e.g. peer0.auditor1.example.com) while dialling another address.
    """
    if not target or ":" not in target:
        raise ValueError(f"gateway target {target!r} must be 'host:port'")
    merged = dict(DEFAULT_CHANNEL_OPTIONS)
    merged.update(dict(options))
    roots = _read(tls_root_certificates, "TLS root certificates")
    certificate = _read(client_certificate, "TLS client certificate")
    key = _read(client_key, "TLS client key")
    if (certificate is None) != (key is None):
        raise ValueError("mutual TLS needs both a client certificate and its key")
    if roots is None:
        if certificate is not None or server_name_override:
            raise ValueError("TLS options given without tls_root_certificates")
        return grpc.aio.insecure_channel(target, options=list(merged.items()))
    if server_name_override:
        merged["grpc.ssl_target_name_override"] = server_name_override
        merged["grpc.default_authority"] = server_name_override
    credentials = grpc.ssl_channel_credentials(root_certificates=roots, private_key=key, certificate_chain=certificate)
    return grpc.aio.secure_channel(target, credentials, options=list(merged.items()))
