"""did:key for Ed25519 keys, both ways, and the keys a did:key document lists: the one codec the
auditor, the OpenID4VC issuer and the verifier share."""

from __future__ import annotations

import base58
import pytest
from acapy_agent.did.did_key import DIDKey
from acapy_agent.wallet.key_type import ED25519
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from controllers.acapy.did_key import (X25519_MULTICODEC, did_key_of_ed25519, ed25519_key_of, ed25519_of_did_key,
                                       is_ed25519_did_key, x25519_multibase_of)
from controllers.oid4vc.jose import JoseError
from controllers.oid4vc.jose import ed25519_of_did_key as jose_key_of


def raw_public() -> bytes:
    return Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_an_ed25519_key_and_its_did_key_name_each_other_as_acapy_does():
    key = raw_public()
    did = did_key_of_ed25519(key)
    assert did == DIDKey.from_public_key(key, ED25519).did
    assert ed25519_of_did_key(did) == key and is_ed25519_did_key(did)


def test_the_document_of_a_did_key_lists_its_ed25519_and_derived_x25519_keys():
    key = raw_public()
    document = DIDKey.from_public_key(key, ED25519).did_doc
    assert ed25519_key_of(document) == key
    agreement = x25519_multibase_of(document)
    assert agreement and base58.b58decode(agreement[1:]).startswith(X25519_MULTICODEC)


@pytest.mark.parametrize("did, why", [
    ("did:web:example.com", "not a did:key"),
    ("did:key:z0OIl", "not base58btc"),
    ("did:key:z" + base58.b58encode(X25519_MULTICODEC + bytes(32)).decode(), "not an Ed25519 did:key"),
    ("did:key:z" + base58.b58encode(b"\xed\x01" + bytes(31)).decode(), "not an Ed25519 did:key"),
])
def test_what_is_not_an_ed25519_did_key_is_refused_saying_why(did, why):
    with pytest.raises(ValueError, match=why):
        ed25519_of_did_key(did)
    assert not is_ed25519_did_key(did)
    with pytest.raises(JoseError, match=why):
        jose_key_of(did)


def test_a_did_url_must_name_the_dids_own_key():
    did = did_key_of_ed25519(raw_public())
    assert jose_key_of(f"{did}#{did.removeprefix('did:key:')}")
    other = did_key_of_ed25519(raw_public()).removeprefix("did:key:")
    with pytest.raises(JoseError, match="names another key"):
        jose_key_of(f"{did}#{other}")
