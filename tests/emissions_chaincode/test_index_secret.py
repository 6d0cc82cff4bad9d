"""The customer index is keyed by an HMAC under a secret that lives only in the private collection.

Fabric writes SHA-256 of every private key into the public read-write set. With a plain hash of
(DID, account, service point) as the key, anyone guessing a customer could recompute that hash and
find the customer's transactions in the blocks. Under the HMAC, the SHA-256 of the index key still
appears in the blocks — that is expected and harmless: without the secret it cannot be recomputed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from types import SimpleNamespace

import pytest

from chaincode.emissions.contracts import index_secret, state
from chaincode.runtime import ContractError
from controllers.ledger import LedgerError, SecretFileError, create_secret_file, read_secret_file

from testkit.ledger import AUDITORS
from tests.emissions_chaincode.setup import (
    ACCOUNT,
    CUSTOMER_DID,
    INDEX_SECRET,
    SERVICE_POINT,
    customer,
    governed_with_factors,
    record_request,
)


def public_bytes(peer) -> bytes:
    """Every public table of the dev peer's ledger (blocks, state, history, index), concatenated."""
    blob = b""
    with sqlite3.connect(peer.config.data_dir / "ledger.sqlite") as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if table == "pvt":  # private cleartext: collection members' store
                continue
            for row in db.execute(f"SELECT * FROM {table}"):  # noqa: S608 - names from sqlite_master
                blob += b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
    return blob


def forms(text: str) -> list[bytes]:
    """How a key could show up: itself, as a composite index key, and that key's SHA-256 (the
    private key hash Fabric puts in the public read-write set), raw and hex."""
    composite = state.key(state.CUSTOMER, text)
    digest = hashlib.sha256(composite.encode()).digest()
    return [text.encode(), composite.encode(), digest, digest.hex().encode()]


def plain_hashes() -> list[str]:
    """Guessable keys: SHA-256 of the customer's DID, account and service point, two ways."""
    length_prefixed = hashlib.sha256(b"emissions-customer\x00")
    for part in (CUSTOMER_DID, ACCOUNT, SERVICE_POINT):
        length_prefixed.update(len(part.encode()).to_bytes(4, "big") + part.encode())
    concatenated = hashlib.sha256((CUSTOMER_DID + ACCOUNT + SERVICE_POINT).encode())
    return [length_prefixed.hexdigest(), concatenated.hexdigest()]


async def test_index_key_is_unguessable_and_the_secret_stays_private(network):
    await governed_with_factors(network)
    async with network.client() as client:
        outcome = await client.record_emissions(record_request(), customer())
        replay = await client.record_emissions(record_request(), customer())
    assert replay.replayed and replay.record_id == outcome.record_id  # the index still works

    public = public_bytes(network.peer)
    for guess in plain_hashes():
        for form in forms(guess):
            assert form not in public, "a plain hash of the customer's identifiers is linkable on the ledger"
    hmac_key = index_secret.customer_key(INDEX_SECRET, CUSTOMER_DID, ACCOUNT, SERVICE_POINT, "2024-01")
    text, composite, digest, digest_hex = forms(hmac_key)
    assert text not in public and composite not in public
    # Expected: the rwset carries SHA-256 of the HMAC index key (unguessable without the secret).
    assert digest in public
    assert INDEX_SECRET not in public and INDEX_SECRET.hex().encode() not in public
    with sqlite3.connect(network.peer.config.data_dir / "ledger.sqlite") as db:
        private = {value for (value,) in db.execute("SELECT value FROM pvt")}
    assert INDEX_SECRET in private  # it lives in the collection, nowhere else


@pytest.mark.fabric_too
async def test_first_bootstrap_must_bring_a_32_byte_secret(network):
    async with network.client("Auditor1MSP", "Admin") as admin1:
        with pytest.raises(LedgerError, match="transient 'indexSecret' \\(32 random bytes\\) is missing"):
            await admin1.bootstrap(AUDITORS)
        with pytest.raises(LedgerError, match="must be exactly 32 random bytes, got 31"):
            await admin1._submit("AuditorRegistry", "Bootstrap", '["Auditor1MSP","Auditor2MSP"]',
                                 transient={"indexSecret": INDEX_SECRET[:31]})
        await admin1.bootstrap(AUDITORS, INDEX_SECRET)
    async with network.client("Auditor2MSP", "Admin") as admin2:
        with pytest.raises(LedgerError, match="differs from the secret an earlier Bootstrap set"):
            await admin2.bootstrap(AUDITORS, bytes(32))
        active = await admin2.bootstrap(AUDITORS, INDEX_SECRET)  # the same secret is accepted
    assert active["status"] == "active" and "indexSecret" not in str(active)


async def test_record_emissions_refuses_to_run_without_the_secret():
    """A ledger bootstrapped before the secret existed: RecordEmissions stops with a clear error."""

    async def no_private_data(collection: str, key: str):
        assert (collection, key) == ("emissionsRecordDetails", state.key(state.INDEX_SECRET))
        return None

    ctx = SimpleNamespace(stub=SimpleNamespace(get_private_data=no_private_data))
    with pytest.raises(ContractError, match="the customer index secret is not set: Bootstrap with transient"):
        await index_secret.load(ctx)


def test_customer_key_depends_on_the_secret_and_every_part():
    base = index_secret.customer_key(INDEX_SECRET, "did:key:a", "acct", "sp", "2024-01")
    assert base != index_secret.customer_key(bytes(32), "did:key:a", "acct", "sp", "2024-01")
    assert base != index_secret.customer_key(INDEX_SECRET, "did:key:a", "acc", "tsp", "2024-01")  # length-prefixed parts
    assert base != index_secret.customer_key(INDEX_SECRET, "did:key:a", "acct", "sp", "2024-02")  # a key per month
    assert len(base) == 64


def test_secret_file_round_trip_and_permissions(tmp_path):
    path = tmp_path / "index.secret"
    secret = create_secret_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(secret) == 32
    assert read_secret_file(path) == secret
    with pytest.raises(SecretFileError, match="cannot create"):
        create_secret_file(path)  # never overwrites an existing secret
    os.chmod(path, 0o644)
    with pytest.raises(SecretFileError, match="accessible to others \\(mode 0644\\); chmod 600"):
        read_secret_file(path)
    os.chmod(path, 0o600)
    path.write_text("abcd\n")
    with pytest.raises(SecretFileError, match="must hold 64 hex characters"):
        read_secret_file(path)
