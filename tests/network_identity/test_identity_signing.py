from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from fabric_protos.msp import identities_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from network.identity import (
    P256_ORDER,
    Identity,
    Signer,
    is_low_s,
    signer_from_pem,
    signer_from_private_key,
    to_low_s,
    verify_signature,
)
from network.msp import load_msp

KEY = ec.generate_private_key(ec.SECP256R1())
SIGNER = signer_from_private_key(KEY)


@pytest.fixture(scope="module")
def member(crypto):
    return load_msp(crypto.org("Auditor1MSP").user("User1").msp_dir, "Auditor1MSP")


def test_serialize_is_a_serialized_identity(member):
    decoded = identities_pb2.SerializedIdentity.FromString(member.identity.serialize())
    assert decoded.mspid == "Auditor1MSP"
    assert decoded.id_bytes == member.identity.credentials
    assert Identity.from_serialized(member.identity.serialize()) == member.identity


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff\xff", "not a msp.SerializedIdentity"),
        (identities_pb2.SerializedIdentity(id_bytes=b"x").SerializeToString(), "mspid is empty"),
        (identities_pb2.SerializedIdentity(mspid="A").SerializeToString(), "id_bytes"),
    ],
)
def test_from_serialized_names_the_problem(data, problem):
    with pytest.raises(ValueError, match=problem):
        Identity.from_serialized(data)


def test_identity_rejects_empty_fields_and_bad_pem():
    with pytest.raises(ValueError, match="msp_id"):
        Identity("", b"pem")
    with pytest.raises(ValueError, match="credentials"):
        Identity("A", b"")
    with pytest.raises(ValueError, match="not a PEM X.509"):
        Identity.from_certificate("A", b"garbage")


def test_signer_satisfies_protocol_and_signs_sha256():
    assert isinstance(SIGNER, Signer)
    signature = SIGNER.sign(b"hello")
    KEY.public_key().verify(signature, b"hello", ec.ECDSA(hashes.SHA256()))
    assert SIGNER.sign_digest(hashlib.sha256(b"hello").digest()) != b""


def test_signer_refuses_other_curves_and_bad_pem():
    with pytest.raises(ValueError, match="P-256"):
        signer_from_private_key(ec.generate_private_key(ec.SECP384R1()))
    with pytest.raises(ValueError, match="not a PEM private key"):
        signer_from_pem(b"-----BEGIN NOTHING-----")
    with pytest.raises(ValueError, match="32-byte"):
        SIGNER.sign_digest(b"short")


def test_signer_from_pem_round_trip():
    pem = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    signer = signer_from_pem(pem)
    assert signer.public_key().public_numbers() == KEY.public_key().public_numbers()


def test_high_s_is_normalised_and_rejected_when_required(member):
    message = b"transaction"
    signature = member.signer.sign(message)
    r, s = decode_dss_signature(signature)
    high = encode_dss_signature(r, P256_ORDER - s)
    assert not is_low_s(high)
    assert verify_signature(member.identity.credentials, message, high, require_low_s=False)
    assert not verify_signature(member.identity.credentials, message, high)
    assert to_low_s(high) == signature


def test_verify_signature_rejects_wrong_message_and_garbage(member):
    signature = member.signer.sign(b"a")
    assert not verify_signature(member.identity.credentials, b"b", signature)
    assert not verify_signature(member.identity.credentials, b"a", b"\x30\x00")
    assert not is_low_s(b"not der")
    with pytest.raises(ValueError, match="not a PEM X.509"):
        verify_signature(b"nope", b"a", signature)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512))
def test_every_signature_is_low_s_and_verifies(message):
    signature = SIGNER.sign(message)
    assert is_low_s(signature)
    KEY.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))
