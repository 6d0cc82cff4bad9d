"""The bill JWE: several recipients, each opening it alone; alteration and wrong keys refused."""

from __future__ import annotations

import base64
import json
from datetime import date
from functools import cache

import pytest
from jwcrypto.jwe import JWE
from jwcrypto.jwk import JWK

from custody import (
    MalformedJwe,
    NotARecipient,
    Recipient,
    TamperedCiphertext,
    decrypt,
    encrypt,
    generate_private_key,
    public_jwk,
    public_multibase,
    recipient_kids,
)
from greenbutton import generate_feed

CUSTOMER_KID = "did:key:z6LSexampleCustomer#key-agreement"
AUDITOR_KIDS = ("Auditor1MSP", "Auditor2MSP")


@cache
def month_feed() -> bytes:
    return generate_feed(seed=7, start=date(2024, 1, 1), days=31)


@cache
def year_15min_feed() -> bytes:
    return generate_feed(seed=7, start=date(2024, 1, 1), days=366, interval_seconds=900)


def parties(count: int):
    keys = [generate_private_key() for _ in range(count)]
    kids = (CUSTOMER_KID, *AUDITOR_KIDS)[:count]
    # The customer's key arrives as multibase (consent credential), auditors' as JWK.
    forms = [public_multibase(keys[0].public_key())] + [public_jwk(k.public_key()) for k in keys[1:]]
    return keys, [Recipient.of(kid, form) for kid, form in zip(kids, forms, strict=True)]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize("count", [1, 2, 3])
def test_every_recipient_decrypts_alone(count: int) -> None:
    keys, recipients = parties(count)
    token = encrypt(month_feed(), recipients)
    assert recipient_kids(token) == tuple(r.kid for r in recipients)
    for key, recipient in zip(keys, recipients, strict=True):
        assert decrypt(token, key) == month_feed()
        assert decrypt(token, key, kid=recipient.kid) == month_feed()


def test_shape_is_general_serialization_with_authenticated_zip_and_no_plaintext_hash() -> None:
    import hashlib

    _, recipients = parties(1)
    document = json.loads(encrypt(month_feed(), recipients))
    assert set(document) == {"protected", "recipients", "iv", "ciphertext", "tag"}
    protected = json.loads(unb64(document["protected"]))
    assert protected == {"enc": "A256GCM", "cty": "application/atom+xml", "zip": "DEF"}
    (entry,) = document["recipients"]
    assert entry["header"]["alg"] == "ECDH-ES+A256KW"
    assert entry["header"]["kid"] == CUSTOMER_KID
    assert entry["header"]["epk"]["crv"] == "X25519"
    digest = hashlib.sha256(month_feed()).hexdigest()
    assert digest not in json.dumps(document)


def test_deflate_shrinks_the_feed_and_can_be_turned_off() -> None:
    keys, recipients = parties(2)
    compressed = encrypt(month_feed(), recipients)
    plain = encrypt(month_feed(), recipients, compress=False)
    assert len(compressed) * 5 < len(month_feed()) < len(plain)
    assert "zip" not in json.loads(unb64(json.loads(plain)["protected"]))
    assert decrypt(plain, keys[1]) == month_feed()


def test_a_year_of_15_minute_readings_decrypts_beyond_jwcrypto_s_256_kib_inflate_limit() -> None:
    keys, recipients = parties(3)
    token = encrypt(year_15min_feed(), recipients)
    assert len(unb64(json.loads(token)["ciphertext"])) > 256 * 1024
    assert decrypt(token, keys[2]) == year_15min_feed()


def test_plaintext_limit_bounds_inflation() -> None:
    keys, recipients = parties(1)
    token = encrypt(bytes(10 * 1024 * 1024), recipients)  # a tiny ciphertext that inflates to 10 MiB
    with pytest.raises(MalformedJwe, match="limit"):
        decrypt(token, keys[0], max_plaintext=1024 * 1024)


def test_another_jose_library_reads_it() -> None:
    """jwcrypto's own JWE decryption (not our composition) accepts what we write: it is standard."""
    keys, recipients = parties(2)
    token = encrypt(b"<feed/>", recipients)
    reader = JWE()
    reader.deserialize(token.decode(), key=JWK.from_pyca(keys[1]))
    assert reader.payload == b"<feed/>"


def test_wrong_key_is_not_a_recipient() -> None:
    _, recipients = parties(3)
    token = encrypt(month_feed(), recipients)
    with pytest.raises(NotARecipient, match="opens none of the JWE's 3 recipient entries"):
        decrypt(token, generate_private_key())


def test_asking_for_a_recipient_not_in_the_jwe() -> None:
    keys, recipients = parties(2)
    token = encrypt(month_feed(), recipients)
    with pytest.raises(NotARecipient, match="no recipient with the requested kid"):
        decrypt(token, keys[0], kid="Auditor3MSP")
    with pytest.raises(NotARecipient, match="opens none"):
        decrypt(token, keys[0], kid=AUDITOR_KIDS[0])  # right JWE, someone else's entry


def _flip(text: str, at: int) -> str:
    data = bytearray(unb64(text))
    data[at] ^= 0x01
    return b64(bytes(data))


@pytest.mark.parametrize("member", ["ciphertext", "tag", "iv"])
@pytest.mark.parametrize("where", [0, -1])
def test_a_flipped_bit_in_the_content_is_detected(member: str, where: int) -> None:
    keys, recipients = parties(2)
    document = json.loads(encrypt(month_feed(), recipients))
    document[member] = _flip(document[member], where)
    with pytest.raises(TamperedCiphertext, match="altered"):
        decrypt(json.dumps(document), keys[0])


def test_an_edited_protected_header_is_detected() -> None:
    keys, recipients = parties(2)
    document = json.loads(encrypt(month_feed(), recipients))
    protected = json.loads(unb64(document["protected"]))
    document["protected"] = b64(json.dumps(protected | {"cty": "text/plain"}).encode())
    with pytest.raises(TamperedCiphertext, match="protected header"):
        decrypt(json.dumps(document), keys[1])


def test_a_flipped_byte_in_the_protected_header_is_refused() -> None:
    keys, recipients = parties(1)
    document = json.loads(encrypt(month_feed(), recipients))
    # Byte 2 is inside the key name "enc": the header stays JSON but names no encryption.
    document["protected"] = _flip(document["protected"], 2)
    with pytest.raises(MalformedJwe, match="content encryption"):
        decrypt(json.dumps(document), keys[0])


def test_removing_compression_from_the_header_is_detected() -> None:
    keys, recipients = parties(1)
    document = json.loads(encrypt(month_feed(), recipients))
    document["protected"] = b64(json.dumps({"enc": "A256GCM", "cty": "application/atom+xml"}).encode())
    with pytest.raises(TamperedCiphertext):
        decrypt(json.dumps(document), keys[0])


def test_a_swapped_ephemeral_key_fails_as_not_a_recipient() -> None:
    keys, recipients = parties(1)
    document = json.loads(encrypt(month_feed(), recipients))
    other = json.loads(encrypt(month_feed(), recipients))
    document["recipients"][0]["header"]["epk"] = other["recipients"][0]["header"]["epk"]
    with pytest.raises(NotARecipient, match="recipient header was altered"):
        decrypt(json.dumps(document), keys[0])


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda d: d.pop("ciphertext"), "'ciphertext'"),
        (lambda d: d.update(recipients=[]), "no recipients"),
        (lambda d: d["recipients"][0]["header"].update(alg="RSA-OAEP"), "ECDH-ES\\+A256KW"),
        (lambda d: d.update(unprotected={"enc": "A128GCM"}), "must not repeat"),
        (lambda d: d.update(aad="eA"), "aad"),
    ],
)
def test_documents_of_another_shape_are_refused(edit, problem: str) -> None:
    keys, recipients = parties(1)
    document = json.loads(encrypt(b"<feed/>", recipients))
    edit(document)
    with pytest.raises(MalformedJwe, match=problem):
        decrypt(json.dumps(document), keys[0])


def test_not_json_at_all() -> None:
    with pytest.raises(MalformedJwe, match="not JSON"):
        decrypt(b"\x00\x01", generate_private_key())


def test_duplicate_kids_and_no_recipients_are_refused() -> None:
    _, recipients = parties(1)
    with pytest.raises(ValueError, match="unique"):
        encrypt(b"x", [recipients[0], recipients[0]])
    with pytest.raises(ValueError, match="at least one"):
        encrypt(b"x", [])
