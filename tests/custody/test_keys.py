"""X25519 recipient keys in their accepted forms, and the private key file."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from controllers.consent.keys import KeyAgreementKey
from custody import (
    KeyFormatError,
    Recipient,
    generate_private_key,
    load_private_key,
    parse_public_key,
    private_jwk,
    public_jwk,
    public_multibase,
    save_private_key,
)

# RFC 7748 section 6.1: Alice's X25519 private and public key.
RFC7748_PRIVATE = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
RFC7748_PUBLIC = bytes.fromhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")


def raw(key) -> bytes:
    return key.public_bytes_raw()


def test_multibase_and_jwk_round_trip_to_the_same_key() -> None:
    key = X25519PrivateKey.from_private_bytes(RFC7748_PRIVATE).public_key()
    assert raw(key) == RFC7748_PUBLIC
    multibase = public_multibase(key)
    assert multibase.startswith("z6LS")  # did:key's X25519 prefix: multicodec 0xec01 in base58btc
    assert raw(parse_public_key(multibase)) == RFC7748_PUBLIC
    jwk = public_jwk(key)
    assert jwk == {"kty": "OKP", "crv": "X25519", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}
    assert raw(parse_public_key(jwk)) == RFC7748_PUBLIC
    assert raw(parse_public_key(json.dumps(jwk))) == RFC7748_PUBLIC


def test_the_consent_credentials_key_form_is_accepted() -> None:
    customer = KeyAgreementKey(generate_private_key())
    recipient = Recipient.of("did:key:z6MkCustomer#key-agreement", customer.public_multibase)
    assert raw(recipient.public_key) == raw(customer.private.public_key())


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("6LSbogus", "base58btc"),
        ("z0OIl", "outside base58btc"),
        ("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "0xec01"),  # an Ed25519 did:key
        ({"kty": "OKP", "crv": "Ed25519", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}, "X25519"),
        ({"kty": "OKP", "crv": "X25519", "x": "AAAA"}, "32 bytes"),
        ({"kty": "OKP", "crv": "X25519"}, "'x'"),
        ({"kty": "OKP", "crv": "X25519", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo", "d": "x"}, "private"),
        ("{not json", "JSON"),
        (42, "unsupported"),
    ],
)
def test_bad_public_keys_are_refused_with_the_reason(value, problem: str) -> None:
    with pytest.raises(KeyFormatError, match=problem):
        parse_public_key(value)


def test_recipient_needs_a_kid() -> None:
    with pytest.raises(KeyFormatError, match="kid"):
        Recipient.of(" ", public_multibase(generate_private_key().public_key()))


def test_private_key_file_is_0600_and_round_trips(tmp_path) -> None:
    key = generate_private_key()
    path = tmp_path / "keys" / "customer.jwk"
    save_private_key(key, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["d"] == private_jwk(key)["d"]
    assert raw(load_private_key(path).public_key()) == raw(key.public_key())
    assert [p.name for p in path.parent.iterdir()] == ["customer.jwk"]  # no temporary left behind


def test_a_key_file_others_can_read_is_refused(tmp_path) -> None:
    path = tmp_path / "k.jwk"
    save_private_key(generate_private_key(), path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFormatError, match="0600"):
        load_private_key(path)


def test_private_jwk_whose_x_does_not_match_d_is_refused(tmp_path) -> None:
    path = tmp_path / "k.jwk"
    jwk = private_jwk(generate_private_key()) | {"x": public_jwk(generate_private_key().public_key())["x"]}
    path.write_text(json.dumps(jwk))
    os.chmod(path, 0o600)
    with pytest.raises(KeyFormatError, match="does not match"):
        load_private_key(path)
