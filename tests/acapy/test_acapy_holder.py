"""The holder's typed calls against real agents: a DID that survives restarts, a presentation signed
by the holder's did:key for authentication, and one connection per invitation."""

from __future__ import annotations

import pytest

from controllers.acapy import new_challenge
from controllers.acapy.admin import did_key_verification_method
from tests.acapy.flows import account_credential, connect


async def test_ensure_did_key_keeps_a_held_did_and_replaces_a_lost_one(agent_network):
    async with agent_network.holder() as customer:
        first = await customer.ensure_did_key()
        assert first.did.startswith("did:key:z6Mk") and first.key_type == "ed25519"
        assert await customer.ensure_did_key(first.did) == first
        assert [d.did for d in await customer.wallet_dids(did=first.did)] == [first.did]
        # A DID this wallet never held (as after a wallet reset) is replaced, not trusted.
        async with agent_network.admin("verifier") as verifier:
            foreign = (await verifier.create_did_key()).did
        replaced = await customer.ensure_did_key(foreign)
        assert replaced.did not in {foreign, first.did}


async def test_vc_present_signs_for_authentication_with_the_holders_key(agent_network):
    async with agent_network.admin("utility") as utility, agent_network.holder() as customer:
        issuer = (await utility.create_did_key()).did
        holder = (await customer.create_did_key()).did
        credential = await utility.vc_issue(account_credential(issuer))
        challenge = new_challenge()
        vp = await customer.vc_present(holder, [credential], challenge=challenge)
        assert vp["holder"] == holder and vp["verifiableCredential"] == [credential]
        proof = vp["proof"]
        assert proof["proofPurpose"] == "authentication" and proof["challenge"] == challenge
        assert proof["verificationMethod"] == did_key_verification_method(holder)
        assert (await utility.vp_verify(vp, challenge=challenge))["verified"] is True
        assert (await utility.vp_verify(vp, challenge=new_challenge()))["verified"] is False


def test_did_key_verification_method():
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    assert did_key_verification_method(did) == f"{did}#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    with pytest.raises(ValueError, match="did:key"):
        did_key_verification_method("did:peer:2.Ez6LS")


async def test_each_invitation_gets_its_own_connection(agent_network):
    """A second invitation between the same two agents is a new connection, found by its own
    invitation id, not a handshake-reuse of the first (see receive_invitation)."""
    async with (
        agent_network.webhooks("auditor", "customer") as hooks,
        agent_network.admin("auditor") as auditor,
        agent_network.holder() as customer,
    ):
        first, _ = await connect(auditor, hooks["auditor"], customer, hooks["customer"])
        second, theirs = await connect(auditor, hooks["auditor"], customer, hooks["customer"])
        assert second.connection_id != first.connection_id and second.invitation_msg_id != first.invitation_msg_id
        assert theirs.my_did and theirs.my_did.startswith("did:peer:2")
