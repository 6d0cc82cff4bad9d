"""Real agents over loopback DIDComm: connect, issue a UtilityAccountCredential, present it (DIF)."""

from __future__ import annotations

from agents.contexts import CONTEXT_URL
from controllers.acapy import new_challenge
from tests.acapy.flows import account_credential, account_definition, connect


async def test_connect_issue_and_present(agent_network):
    async with (
        agent_network.webhooks("utility", "customer", "verifier") as hooks,
        agent_network.admin("utility") as utility,
        agent_network.holder() as customer,
        agent_network.admin("verifier") as verifier,
    ):
        # Connect utility <-> customer; the invitee answers with did:peer:2, not did:peer:4.
        u_conn, c_conn = await connect(utility, hooks["utility"], customer, hooks["customer"])
        assert u_conn.is_active and c_conn.is_active
        assert c_conn.my_did and c_conn.my_did.startswith("did:peer:2")

        issuer = await utility.create_did_key()
        holder = await customer.create_did_key()
        assert issuer.did.startswith("did:key:z6Mk")
        resolved = await utility.resolve(holder.did)
        assert resolved["did_document"]["id"] == holder.did

        # Issue: free offer -> request binding the holder's did:key -> issue -> auto-store.
        offer = await utility.send_credential_offer(u_conn.connection_id, account_credential(issuer.did))
        assert offer.role == "issuer" and offer.state == "offer-sent"
        received = await hooks["customer"].waiter.wait_for_thread(
            "issue_credential_v2_0", offer.thread_id, {"offer-received"}, timeout=15
        )
        c_ex = await customer.credential_exchange(received.record_id)
        assert c_ex.role == "holder" and c_ex.offer is not None
        await customer.send_credential_request(c_ex.cred_ex_id, holder_did=holder.did)
        await hooks["utility"].waiter.wait_for("issue_credential_v2_0", offer.cred_ex_id, {"request-received"}, timeout=15)
        await utility.issue_credential(offer.cred_ex_id)
        await hooks["customer"].waiter.wait_for("issue_credential_v2_0", c_ex.cred_ex_id, {"done"}, timeout=15)
        stored = (await customer.credential_exchange(c_ex.cred_ex_id)).credential
        assert stored is not None
        assert stored["credentialSubject"]["id"] == holder.did
        assert stored["proof"]["type"] == "Ed25519Signature2018" and stored["proof"]["proofPurpose"] == "assertionMethod"
        assert CONTEXT_URL in stored["@context"]

        # Anyone with the plugin verifies it; a tampered claim fails.
        assert (await verifier.vc_verify(stored))["verified"] is True
        tampered = {**stored, "credentialSubject": {**stored["credentialSubject"], "accountId": "ACCT-9999"}}
        assert (await verifier.vc_verify(tampered))["verified"] is False

        # Present: verifier asks (DIF, schema list, challenge), customer picks the record, verifier verifies.
        v_conn, c2_conn = await connect(verifier, hooks["verifier"], customer, hooks["customer"])
        challenge = new_challenge()
        request = await verifier.send_presentation_request(v_conn.connection_id, account_definition(), challenge=challenge)
        got = await hooks["customer"].waiter.wait_for_thread("present_proof_v2_0", request.thread_id, {"request-received"}, timeout=15)
        c_pres = await customer.presentation_exchange(got.record_id)
        assert c_pres.request is not None and c_pres.request["options"]["challenge"] == challenge
        matches = await customer.matching_credentials(c_pres.pres_ex_id)
        mine = [m for m in matches if m.get("id") == stored["id"]]
        assert len(mine) == 1
        await customer.send_presentation(c_pres.pres_ex_id, {"account": [mine[0]["record_id"]]})
        await hooks["verifier"].waiter.wait_for("present_proof_v2_0", request.pres_ex_id, {"done"}, timeout=15)
        done = await verifier.presentation_exchange(request.pres_ex_id)
        assert done.verified is True
        vp = done.presentation
        assert vp is not None and vp["proof"]["challenge"] == challenge
        assert vp["verifiableCredential"][0]["credentialSubject"]["accountId"] == "ACCT-0001"
        assert c2_conn.is_active
