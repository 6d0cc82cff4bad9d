"""The CCaaS gRPC server: a peer-like client dials it, registers, and runs a transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ccaas_client import check_exchange, free_port, run_put_then_get
from chaincode.runtime import TlsConfig, serve
from tests.conformance.chaincode_py.conformance import chaincode


async def test_plaintext_server_handshake_and_one_transaction():
    address = f"127.0.0.1:{free_port()}"
    server = await serve(chaincode, address, "conformance:abc")
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            check_exchange(await asyncio.wait_for(run_put_then_get(channel), 10))
    finally:
        await server.stop(None)


def issue(common_name: str, issuer_key, issuer_name: x509.Name | None, *, ca: bool):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    certificate = builder.sign(issuer_key or key, hashes.SHA256())
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return certificate.public_bytes(serialization.Encoding.PEM), pem_key, key, subject


async def test_mutual_tls_server_requires_a_client_certificate_from_the_ca():
    ca_pem, _, ca_key, ca_name = issue("tls-ca", None, None, ca=True)
    server_pem, server_key, _, _ = issue("chaincode", ca_key, ca_name, ca=False)
    client_pem, client_key, _, _ = issue("peer0", ca_key, ca_name, ca=False)
    address = f"127.0.0.1:{free_port()}"
    server = await serve(chaincode, address, "conformance:abc", TlsConfig(server_pem, server_key, client_ca=ca_pem))
    try:
        trusted = grpc.ssl_channel_credentials(ca_pem, client_key, client_pem)
        async with grpc.aio.secure_channel(address, trusted) as channel:
            check_exchange(await asyncio.wait_for(run_put_then_get(channel), 10))
        anonymous = grpc.ssl_channel_credentials(ca_pem)
        async with grpc.aio.secure_channel(address, anonymous) as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await asyncio.wait_for(run_put_then_get(channel), 10)
    finally:
        await server.stop(None)


async def test_bad_address_is_reported_clearly():
    with pytest.raises(ValueError, match="host:port"):
        await serve(chaincode, "no-port", "conformance:abc")
    with pytest.raises(ValueError, match="chaincode id"):
        await serve(chaincode, "127.0.0.1:0", "")
