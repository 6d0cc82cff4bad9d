"""The CCaaS gRPC server: a peer-like client dials it, registers, and runs a transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import time

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, chaincode_shim_pb2_grpc, proposal_response_pb2

import chaincode.runtime.server as server_module
from ccaas_client import CHANNEL, check_exchange, run_put_then_get
from testkit.ports import free_port
from chaincode.runtime import TlsConfig, serve
from tests.conformance.chaincode_py.conformance import chaincode

Message = chaincode_shim_pb2.ChaincodeMessage


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


def in_use(address: str) -> str:
    return f"cannot listen on {address}: the address is in use, another process holds it"


async def test_second_server_on_the_same_port_fails_and_the_first_keeps_serving():
    address = f"127.0.0.1:{free_port()}"
    first = await serve(chaincode, address, "conformance:abc")
    try:
        with pytest.raises(OSError) as raised:
            await serve(chaincode, address, "conformance:abc")
        assert str(raised.value) == in_use(address)
        async with grpc.aio.insecure_channel(address) as channel:
            check_exchange(await asyncio.wait_for(run_put_then_get(channel), 10))
    finally:
        await first.stop(None)


async def test_grpc_itself_refuses_a_taken_port_when_the_early_check_misses_it(monkeypatch):
    """The early check can race with another server's bind; with SO_REUSEPORT off gRPC still refuses."""
    real_check = server_module.ensure_address_free
    calls = []

    def check_late(host: str, port: int) -> None:
        calls.append((host, port))
        if len(calls) > 1:  # the first check "misses" the other server, as in a race
            real_check(host, port)

    address = f"127.0.0.1:{free_port()}"
    first = await serve(chaincode, address, "conformance:abc")
    try:
        monkeypatch.setattr(server_module, "ensure_address_free", check_late)
        with pytest.raises(OSError) as raised:
            await serve(chaincode, address, "conformance:abc")
        assert len(calls) == 2  # gRPC refused the bind; the second check named the reason
        assert str(raised.value) == in_use(address)
        async with grpc.aio.insecure_channel(address) as channel:
            check_exchange(await asyncio.wait_for(run_put_then_get(channel), 10))
    finally:
        await first.stop(None)


async def open_stream(channel: grpc.aio.Channel):
    """A peer's Connect stream after the handshake, as a Fabric peer leaves it: open, idle."""
    outgoing: asyncio.Queue[Message | None] = asyncio.Queue()

    async def requests():
        while (message := await outgoing.get()) is not None:
            yield message

    call = chaincode_shim_pb2_grpc.ChaincodeStub(channel).Connect(requests())
    assert (await call.read()).type == Message.REGISTER
    outgoing.put_nowait(Message(type=Message.REGISTERED))
    outgoing.put_nowait(Message(type=Message.READY))
    return call, outgoing


async def test_stop_ends_the_peers_open_streams_itself_without_waiting_for_the_grace():
    address = f"127.0.0.1:{free_port()}"
    server = await serve(chaincode, address, "conformance:abc")
    async with grpc.aio.insecure_channel(address) as one, grpc.aio.insecure_channel(address) as two:
        first, _ = await open_stream(one)
        second, _ = await open_stream(two)
        await asyncio.sleep(0.2)  # both handshakes done; the peer never closes its side
        started = time.monotonic()
        await asyncio.wait_for(server.stop(5), 10)
        took = time.monotonic() - started
        for call in (first, second):
            assert await call.read() == grpc.aio.EOF
            assert await call.code() == grpc.StatusCode.OK  # ended by the server, not cancelled
    assert took < 1.0, f"stop took {took:.2f} s"


async def test_stop_lets_a_running_transaction_finish_before_ending_its_stream():
    address = f"127.0.0.1:{free_port()}"
    server = await serve(chaincode, address, "conformance:abc")
    async with grpc.aio.insecure_channel(address) as channel:
        call, outgoing = await open_stream(channel)
        outgoing.put_nowait(Message(type=Message.TRANSACTION, txid="tx1", channel_id=CHANNEL,
                                    payload=chaincode_pb2.ChaincodeInput(args=[b"Get", b"k"]).SerializeToString()))
        assert (await call.read()).type == Message.GET_STATE  # the transaction now waits for the peer
        stopping = asyncio.create_task(server.stop(5))
        await asyncio.sleep(0.3)
        assert not stopping.done()  # it waits for the running transaction...
        outgoing.put_nowait(Message(type=Message.RESPONSE, txid="tx1", channel_id=CHANNEL, payload=b"v"))
        completed = await call.read()
        assert completed.type == Message.COMPLETED  # ...which completes...
        assert proposal_response_pb2.Response.FromString(completed.payload).payload == b"v"
        assert await call.read() == grpc.aio.EOF  # ...and then the stream ends
        assert await call.code() == grpc.StatusCode.OK
        await asyncio.wait_for(stopping, 2)


async def test_stop_waits_for_a_stuck_transaction_no_longer_than_the_grace():
    address = f"127.0.0.1:{free_port()}"
    server = await serve(chaincode, address, "conformance:abc")
    async with grpc.aio.insecure_channel(address) as channel:
        call, outgoing = await open_stream(channel)
        outgoing.put_nowait(Message(type=Message.TRANSACTION, txid="tx1", channel_id=CHANNEL,
                                    payload=chaincode_pb2.ChaincodeInput(args=[b"Get", b"k"]).SerializeToString()))
        assert (await call.read()).type == Message.GET_STATE  # never answered
        started = time.monotonic()
        await asyncio.wait_for(server.stop(0.5), 10)
        took = time.monotonic() - started
        assert await call.read() == grpc.aio.EOF
        assert await call.code() == grpc.StatusCode.OK
    assert 0.4 < took < 1.5, f"stop took {took:.2f} s"
