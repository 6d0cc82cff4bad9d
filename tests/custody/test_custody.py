"""The custody facade end to end: the auditor deposits, the customer retrieves and checks the hash."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date

import pytest

from controllers.consent.keys import load_or_create
from custody import (
    BillCustody,
    ContentMismatch,
    KuboContentStore,
    LocalContentStore,
    NotARecipient,
    PlaintextHashMismatch,
    Recipient,
    generate_private_key,
    load_private_key,
    public_jwk,
    recipient_kids,
    save_private_key,
)
from greenbutton import generate_feed
from tests.custody.kubo_fake import FakeKubo

CUSTOMER_KID = "did:key:z6LScustomer#key-agreement"
ACCOUNT = "ACCT-0042-7781"  # what must never show up in stored names or ciphertext documents


@pytest.fixture(scope="module")
def feed() -> bytes:
    return generate_feed(seed=3, start=date(2024, 1, 1), days=92)


@pytest.fixture
def parties(tmp_path):
    customer = load_or_create(tmp_path / "customer" / "ka.key")  # the consent package's key file
    auditors = {msp: generate_private_key() for msp in ("Auditor1MSP", "Auditor2MSP")}
    recipients = [Recipient.of(CUSTOMER_KID, customer.public_multibase)] + [
        Recipient.of(msp, public_jwk(key.public_key())) for msp, key in auditors.items()
    ]
    return customer.private, auditors, recipients


async def test_customer_retrieves_its_bill_and_the_hash_matches(tmp_path, feed, parties) -> None:
    customer_key, auditors, recipients = parties
    custody = BillCustody(LocalContentStore(tmp_path / "bills"))
    receipt = await custody.deposit(feed, recipients)
    assert receipt.plaintext_sha256 == hashlib.sha256(feed).hexdigest()  # the bytes as served
    assert receipt.recipients_kids == (CUSTOMER_KID, "Auditor1MSP", "Auditor2MSP")
    assert receipt.cid.startswith("b")
    stored = (tmp_path / "bills").rglob(receipt.cid)
    (path,) = list(stored)
    assert path.stat().st_size == receipt.ciphertext_size < len(feed) // 5
    assert recipient_kids(path.read_bytes()) == receipt.recipients_kids

    assert await custody.retrieve(receipt.cid, customer_key, receipt.plaintext_sha256) == feed
    assert await custody.retrieve(receipt.cid, customer_key, receipt.plaintext_sha256.upper(), kid=CUSTOMER_KID) == feed
    for key in auditors.values():
        assert await custody.retrieve(receipt.cid, key, receipt.plaintext_sha256) == feed


async def test_the_customer_key_saved_by_custody_helpers_works_too(tmp_path, feed) -> None:
    key = generate_private_key()
    save_private_key(key, tmp_path / "customer.jwk")
    custody = BillCustody(LocalContentStore(tmp_path / "bills"))
    receipt = await custody.deposit(feed, [Recipient.of(CUSTOMER_KID, public_jwk(key.public_key()))])
    loaded = load_private_key(tmp_path / "customer.jwk")
    assert await custody.retrieve(receipt.cid, loaded, receipt.plaintext_sha256) == feed


async def test_a_hash_that_does_not_match_the_credential_is_rejected(tmp_path, feed, parties) -> None:
    customer_key, _, recipients = parties
    custody = BillCustody(LocalContentStore(tmp_path))
    receipt = await custody.deposit(feed, recipients)
    other = hashlib.sha256(feed + b"\n").hexdigest()
    with pytest.raises(PlaintextHashMismatch, match=f"the bill under {receipt.cid} decrypts, but its SHA-256"):
        await custody.retrieve(receipt.cid, customer_key, other)
    with pytest.raises(ValueError, match="64 hexadecimal"):
        await custody.retrieve(receipt.cid, customer_key, "sha256:" + other)


async def test_someone_else_cannot_open_the_bill(tmp_path, feed, parties) -> None:
    _, _, recipients = parties
    custody = BillCustody(LocalContentStore(tmp_path))
    receipt = await custody.deposit(feed, recipients)
    with pytest.raises(NotARecipient):
        await custody.retrieve(receipt.cid, generate_private_key(), receipt.plaintext_sha256)


async def test_a_replaced_ciphertext_is_caught_by_the_store_before_decryption(tmp_path, feed, parties) -> None:
    customer_key, _, recipients = parties
    store = LocalContentStore(tmp_path)
    custody = BillCustody(store)
    first = await custody.deposit(feed, recipients)
    second = await custody.deposit(feed, recipients)
    assert first.cid != second.cid  # fresh keys each time: equal bills are not linkable by CID
    store.path_of(first.cid).write_bytes(store.path_of(second.cid).read_bytes())
    with pytest.raises(ContentMismatch):
        await custody.retrieve(first.cid, customer_key, first.plaintext_sha256)


async def test_through_kubo_rpc(feed, parties) -> None:
    customer_key, _, recipients = parties
    node = await FakeKubo().start()
    try:
        async with KuboContentStore(node.url) as store:
            custody = BillCustody(store)
            receipt = await custody.deposit(feed, recipients)
            assert await custody.retrieve(receipt.cid, customer_key, receipt.plaintext_sha256) == feed
    finally:
        await node.stop()
    assert [request["command"] for request in node.requests] == ["add", "cat"]
    assert node.requests[1]["query"]["arg"] == receipt.cid


async def test_nothing_personal_in_names_documents_or_logs(tmp_path, parties, caplog) -> None:
    customer_key, _, recipients = parties
    feed = f'<feed><title>{ACCOUNT}</title><value>1234.5</value></feed>'.encode()
    caplog.set_level(logging.DEBUG)
    custody = BillCustody(LocalContentStore(tmp_path))
    receipt = await custody.deposit(feed, recipients)
    with pytest.raises(PlaintextHashMismatch) as refused:
        await custody.retrieve(receipt.cid, customer_key, "0" * 64)
    names = [p.name for p in tmp_path.rglob("*")]
    document = json.loads(next(p for p in tmp_path.rglob(receipt.cid)).read_bytes())
    for text in (*names, json.dumps(document), caplog.text, str(refused.value)):
        assert ACCOUNT not in text and "1234.5" not in text
