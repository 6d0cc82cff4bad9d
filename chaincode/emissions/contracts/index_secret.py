"""The secret that keys the private customer index.

The index of a customer's records (overlap and idempotency rules) lives in the private collection,
but Fabric puts SHA-256 of every private KEY into the public read-write set. Were the key a plain
hash of (customer DID, account, service point), anyone who can guess those could hash them and
find the customer's transactions in the blocks. So the key is HMAC-SHA256 under a 32-byte secret
that exists only in the collection: without it the hashed key in the blocks is unguessable.

The secret arrives once, as transient data "indexSecret" of the first `Bootstrap` call, and is
stored as private data. Later bootstrapping admins may present it again (it must then be the same:
compared through the private data hash, so non-member founders can check it too) or omit it; the
first one is kept. Transient data is identical on every endorser, so endorsement stays
deterministic; the secret never enters public state, arguments, events or return payloads —
public blocks carry only SHA-256 of it, as for every private value.
"""

from __future__ import annotations

import hashlib
import hmac

from chaincode.emissions.contracts import state
from chaincode.emissions.interface import INDEX_SECRET_BYTES, TRANSIENT_INDEX_SECRET
from chaincode.runtime import Context, ContractError

TRANSIENT_KEY = TRANSIENT_INDEX_SECRET
SECRET_BYTES = INDEX_SECRET_BYTES
_KEY = state.key(state.INDEX_SECRET)
_DOMAIN = b"emissions-customer\x00"


async def install(ctx: Context) -> bool:
    """Store the transient secret if none is set yet; True when this call stored it."""
    presented = ctx.stub.transient.get(TRANSIENT_KEY)
    if presented is not None and len(presented) != SECRET_BYTES:
        raise ContractError(f"transient {TRANSIENT_KEY!r} must be exactly {SECRET_BYTES} random bytes, "
                            f"got {len(presented)}")
    stored_hash = await ctx.stub.get_private_data_hash(state.DETAILS_COLLECTION, _KEY)
    if stored_hash is None:
        if presented is None:
            raise ContractError(f"transient {TRANSIENT_KEY!r} ({SECRET_BYTES} random bytes) is missing: the first "
                                "Bootstrap sets the secret that keys the private customer index")
        await ctx.stub.put_private_data(state.DETAILS_COLLECTION, _KEY, presented)
        return True
    if presented is not None and not hmac.compare_digest(hashlib.sha256(presented).digest(), stored_hash):
        raise ContractError(f"transient {TRANSIENT_KEY!r} differs from the secret an earlier Bootstrap set; "
                            "present that secret or none")
    return False


async def load(ctx: Context) -> bytes:
    secret = await ctx.stub.get_private_data(state.DETAILS_COLLECTION, _KEY)
    if secret is None:
        raise ContractError(f"the customer index secret is not set: Bootstrap with transient {TRANSIENT_KEY!r} "
                            "before recording emissions")
    return secret


def customer_key(secret: bytes, customer_did: str, account_id: str, service_point_id: str, month: str) -> str:
    """HMAC-SHA256 over length-prefixed parts, so ("a", "bc") and ("ab", "c") differ; one key per
    customer account and calendar month (see `customer_index`)."""
    mac = hmac.new(secret, _DOMAIN, hashlib.sha256)
    for part in (customer_did, account_id, service_point_id, month):
        data = part.encode()
        mac.update(len(data).to_bytes(4, "big") + data)
    return mac.hexdigest()
