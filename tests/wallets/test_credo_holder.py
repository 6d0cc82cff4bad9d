"""A stock Credo-ts 0.5 wallet (testkit/credo) against the project's real ACA-Py agents.

What Credo needs from our side, found here and kept as assertions so a change shows up:
- ld_proof offers must name `proofPurpose` (Credo compares it with its request) and sign with
  Ed25519Signature2018 (Credo's did:key document has only an Ed25519VerificationKey2018, so it
  cannot verify an Ed25519Signature2020 proof); Credo presents with Ed25519Signature2018 too.
- DIF `schema` entries: Credo (Sphereon PEX, definitions v1) matches a `uri` against the
  credential's `@context` entries and its literal `type` strings, never expanded type IRIs; ACA-Py's
  verifier matches expanded IRIs. A definition both accept lists the type IRI *and* the literal type.
- The customer DID a credential is bound to is the did:key of the Ed25519 key authenticating the
  holder's connection DID (Credo's did:peer:1 for DID Exchange, a key in its wallet): Credo's request
  must equal the offer, so the holder cannot put a DID of its choosing in it. The holder treats any
  did:key whose key it holds as its own (test_connection_did_key_is_the_customer_did).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import base58
import nacl.bindings
import pytest

from controllers.acapy import AcaPyAdmin, new_challenge
from credentials import vocabulary as v
from credentials.account import AccountClaims, account_credential
from credentials.consent import ConsentTerms, Period, consent_credential, new_consent_id
from custody.jwe import encrypt, recipient_kids
from custody.keys import Recipient, generate_private_key, public_multibase
from testkit.consent_stack import eventually
from testkit.credo_holder import CredoHolder, CredoHolderError, require_credo

pytestmark = pytest.mark.slow

LD_OPTIONS = {"proofType": "Ed25519Signature2018", "proofPurpose": "assertionMethod"}


@pytest.fixture(autouse=True)
def _credo_available():
    require_credo()


async def issued_by_the_wallet(holder: CredoHolder, auditor: AcaPyAdmin, cred_ex_id: str,
                               consent_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The wallet takes the auditor's proposal (found by the consent's id) as issuer; the auditor
    requests once the wallet's offer arrives. Returns (the proposal as the wallet saw it, what it issued)."""
    async def proposal():
        found = [p for p in await holder.credential_proposals() if p["credential"]["id"] == consent_id]
        return found[0] if found else None

    at_holder = await eventually(proposal, what="the proposal at the wallet")

    async def request_when_offered():
        record = await auditor.credential_exchange(cred_ex_id)
        if record.state == "offer-received":
            await auditor.send_credential_request(cred_ex_id)
            return True
        return False

    accepting = asyncio.create_task(holder.accept_credential_proposal(at_holder["id"]))
    await eventually(request_when_offered, what="the wallet's offer at the auditor")
    return at_holder, await accepting


async def connect(agent: AcaPyAdmin, holder: CredoHolder) -> str:
    """The agent invites (OOB 1.1, DID Exchange 1.1), the holder accepts; the agent's connection id."""
    invitation = await agent.create_invitation(auto_accept=True)
    assert invitation.invitation_url
    await holder.receive_invitation(invitation.invitation_url)

    async def active():
        found = await agent.connections(invitation_msg_id=invitation.invitation_msg_id)
        return found[0] if found and found[0].is_active else None

    return (await eventually(active, what="the agent's side of the connection")).connection_id


async def offer(agent: AcaPyAdmin, conn_id: str, credential: dict[str, Any], options: dict[str, str] = LD_OPTIONS) -> str:
    """A free ld_proof offer the agent issues by itself once requested; its cred_ex_id."""
    body = {
        "connection_id": conn_id,
        "filter": {"ld_proof": {"credential": credential, "options": options}},
        "auto_issue": True,
        "auto_remove": False,
    }
    return (await agent.request("POST", "/issue-credential-2.0/send-offer", json=body))["cred_ex_id"]


async def exchange_state(agent: AcaPyAdmin, cred_ex_id: str, states: set[str], *, timeout: float = 20.0):
    async def reached():
        record = await agent.credential_exchange(cred_ex_id)
        return record if record.state in states else None

    return await eventually(reached, timeout=timeout, what=f"credential exchange in {sorted(states)}")


def account_for(issuer: str, holder: str, account: str = "ACCT-0001") -> dict[str, Any]:
    credential = account_credential(issuer, holder, AccountClaims("14328", account, "SP-0001"), datetime(2025, 1, 1, tzinfo=UTC))
    return {**credential, "id": f"urn:uuid:{uuid.uuid4()}"}


def account_definition(schema: list[dict[str, str]]) -> dict[str, Any]:
    """The shape of the auditor's account proof request (controllers/auditor/manager.py)."""
    return {
        "id": str(uuid.uuid4()),
        "input_descriptors": [{
            "id": "utility-account",
            "name": "Utility account",
            "schema": schema,
            "constraints": {"fields": [{"path": ["$.credentialSubject.accountId"], "filter": {"type": "string", "const": "ACCT-0001"}}]},
        }],
    }


PROJECT_SCHEMA = [{"uri": v.VC_TYPE_IRI}, {"uri": v.ACCOUNT_TYPE_IRI}]  # what the auditor asks today
INTEROP_SCHEMA = [*PROJECT_SCHEMA, {"uri": v.ACCOUNT_TYPE}]  # the same plus the literal type: Credo and ACA-Py


async def pending_request(holder: CredoHolder, definition_id: str) -> dict[str, Any]:
    async def arrived():
        found = [r for r in await holder.proof_requests() if r["presentationDefinition"]["id"] == definition_id]
        return found[0] if found else None

    return await eventually(arrived, what="the proof request at the holder")


async def test_connect_receive_present_and_decrypt(agent_network, tmp_path):
    started = time.monotonic()
    async with CredoHolder.start(tmp_path / "alice", label="Alice") as holder, agent_network.admin("utility") as utility:
        startup = time.monotonic() - started
        assert holder.did.startswith("did:key:z6Mk")
        status = await holder.status()
        assert status["did"] == holder.did and status["keyAgreement"].startswith("z6LS")

        conn_id = await connect(utility, holder)
        assert [c["state"] for c in await holder.connections()] == ["completed"]

        # Issue: ld_proof, Ed25519Signature2018, proofPurpose named; the holder accepts (subject = its DID).
        issuer = await utility.create_did_key()
        credential = account_for(issuer.did, holder.did)
        cred_ex_id = await offer(utility, conn_id, credential)
        await exchange_state(utility, cred_ex_id, {"done"})
        [held] = await holder.credentials()
        assert held["id"] == credential["id"] and held["credentialSubject"]["id"] == holder.did
        assert held["proof"]["type"] == "Ed25519Signature2018" and held["proof"]["proofPurpose"] == "assertionMethod"
        assert held["proof"]["verificationMethod"].startswith(issuer.did + "#")

        # An offer for someone else's DID is declined with a problem report: the agent abandons it.
        other = await utility.create_did_key()
        declined = await offer(utility, conn_id, account_for(issuer.did, other.did, "ACCT-0002"))
        record = await exchange_state(utility, declined, {"abandoned"})
        assert "subject" in (record.error_msg or "")
        assert len(await holder.credentials()) == 1

        # Present: the auditor's definition as it is today finds nothing in Credo...
        today = account_definition(PROJECT_SCHEMA)
        await utility.send_presentation_request(conn_id, today, challenge=new_challenge())
        stale = await pending_request(holder, today["id"])
        with pytest.raises(CredoHolderError, match="Could not find the required credentials"):
            await holder.accept_proof_request(stale["id"])

        # ...the same with the literal type added is presented, and ACA-Py verifies it.
        definition = account_definition(INTEROP_SCHEMA)
        challenge = new_challenge()
        request = await utility.send_presentation_request(conn_id, definition, challenge=challenge)
        pending = await pending_request(holder, definition["id"])
        assert pending["connectionId"] and pending["options"]["challenge"] == challenge
        assert await holder.accept_proof_request(pending["id"]) in {"presentation-sent", "done"}

        async def received():
            record = await utility.presentation_exchange(request.pres_ex_id)
            return record if record.state in {"presentation-received", "done", "abandoned"} else None

        record = await eventually(received, what="the presentation at the agent")
        if record.state == "presentation-received":  # the utility agent does not auto-verify
            record = await utility.verify_presentation(request.pres_ex_id)
        assert record.state == "done" and record.verified is True
        vp = record.presentation
        assert vp["proof"]["type"] == "Ed25519Signature2018" and vp["proof"]["proofPurpose"] == "authentication"
        assert vp["proof"]["challenge"] == challenge and vp["holder"] == holder.did
        assert vp["verifiableCredential"][0]["id"] == credential["id"]

        # Decrypt: a bill JWE (custody/jwe.py) to the X25519 key of the holder's did:key.
        kid = f"{holder.did}#{status['keyAgreement']}"
        bill = b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b"<entry>kWh</entry>" * 500 + b"</feed>"
        for compress in (True, False):
            jwe = encrypt(bill, [Recipient.of("did:web:auditor.example#x25519", _other_key()), Recipient.of(kid, status["keyAgreement"])],
                          compress=compress)
            assert recipient_kids(jwe)[1] == kid
            assert await holder.decrypt(jwe) == bill
        not_mine = encrypt(bill, [Recipient.of("someone", _other_key())])
        with pytest.raises(CredoHolderError, match="opens none"):
            await holder.decrypt(not_mine)
    assert startup < 30, f"holder took {startup:.1f} s to start"


async def connection_did_key(agent: AcaPyAdmin, connection_id: str) -> str:
    """The did:key of the Ed25519 key the holder authenticates its side of the connection with."""
    their_did = (await agent.connection(connection_id)).their_did
    assert their_did, "the connection has no their_did"
    document = (await agent.resolve(their_did))["did_document"]
    method = document["authentication"][0]
    if isinstance(method, str):  # a reference to one of the document's verification methods
        method = next(m for m in document["verificationMethod"] if m["id"] in {method, document["id"] + method})
    raw = base58.b58decode(method["publicKeyBase58"])
    assert len(raw) == 32
    return "did:key:z" + base58.b58encode(b"\xed\x01" + raw).decode("ascii")


def x25519_of_did_key(did_key: str) -> str:
    """The did:key's X25519 key-agreement key (multibase z6LS...), converted from its Ed25519 key."""
    data = base58.b58decode(did_key.removeprefix("did:key:z"))
    assert data[:2] == b"\xed\x01"
    x25519 = nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(data[2:])
    return "z" + base58.b58encode(b"\xec\x01" + x25519).decode("ascii")


async def resolved_key_agreement(agent: AcaPyAdmin, did_key: str) -> set[str]:
    """The X25519 keys (multibase) of the did:key's keyAgreement as ACA-Py resolves it."""
    document = (await agent.resolve(did_key))["did_document"]
    declared = {m["id"]: m for m in document.get("verificationMethod") or ()}
    found = set()
    for method in document.get("keyAgreement") or ():
        if isinstance(method, str):
            method = declared.get(method) or declared.get(document["id"] + method) or {}
        if method.get("publicKeyMultibase"):
            found.add(method["publicKeyMultibase"])
        if method.get("publicKeyBase58"):
            found.add("z" + base58.b58encode(b"\xec\x01" + base58.b58decode(method["publicKeyBase58"])).decode("ascii"))
    return found


async def test_connection_did_key_is_the_customer_did(agent_network, tmp_path):
    """Everything the holder does as "its DID" works with the connection-derived did:key: it accepts
    the account credential bound to it, presents it (Credo signs with it), issues a consent proposed
    with it as issuer, decrypts a JWE to its X25519 key and signs a presentation with it."""
    async with (
        CredoHolder.start(tmp_path / "erin", label="Erin") as holder,
        agent_network.admin("utility") as utility,
        agent_network.admin("auditor") as auditor,
        agent_network.admin("verifier") as verifier,
    ):
        conn_id = await connect(utility, holder)
        assert (await utility.connection(conn_id)).their_did.startswith("did:peer:1")
        customer = await connection_did_key(utility, conn_id)
        assert customer.startswith("did:key:z6Mk") and customer != holder.did
        dids = await holder.dids()
        assert dids[0] == holder.did and customer in dids

        # The account credential bound to the connection's did:key is accepted and stored.
        issuer = await utility.create_did_key()
        credential = account_for(issuer.did, customer)
        await exchange_state(utility, await offer(utility, conn_id, credential), {"done"})
        [held] = await holder.credentials()
        assert held["id"] == credential["id"] and held["credentialSubject"]["id"] == customer

        # A DIF request (the auditor's): Credo signs with the credential's subject did:key, ACA-Py verifies.
        audit_conn = await connect(auditor, holder)
        definition = account_definition(INTEROP_SCHEMA)
        challenge = new_challenge()
        request = await auditor.send_presentation_request(audit_conn, definition, challenge=challenge)
        pending = await pending_request(holder, definition["id"])
        await holder.accept_proof_request(pending["id"])

        async def verified():  # the auditor's agent verifies by itself (--auto-verify-presentation)
            record = await auditor.presentation_exchange(request.pres_ex_id)
            return record if record.state in {"done", "abandoned"} else None

        record = await eventually(verified, what="the presentation verified at the auditor")
        assert record.state == "done" and record.verified is True, record.error_msg
        vp = record.presentation
        assert vp["holder"] == customer and vp["proof"]["verificationMethod"].startswith(customer + "#")
        assert vp["proof"]["challenge"] == challenge

        # A consent the auditor proposes with the customer DID as issuer: the holder signs it with that key.
        key_agreement = x25519_of_did_key(customer)
        assert key_agreement in await resolved_key_agreement(auditor, customer)
        terms = ConsentTerms(
            utility_id="14328", account="ACCT-0001", period=Period(date(2024, 1, 1), date(2024, 3, 31)),
            scope=frozenset({v.SCOPE_USAGE}), purpose="Scope 2 emissions audit",
            expires=datetime(2030, 1, 1, tzinfo=UTC), key_agreement=key_agreement,
        )
        consent = consent_credential(consent_id=new_consent_id(), issuer=customer, subject=(await auditor.create_did_key()).did,
                                     terms=terms, issued=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1))
        proposed = await auditor.send_credential_proposal(audit_conn, consent)

        at_holder, issued = await issued_by_the_wallet(holder, auditor, proposed.cred_ex_id, consent["id"])
        assert at_holder["credential"]["issuer"] == customer and at_holder["issuerHeld"] is True
        assert issued["credential"]["proof"]["verificationMethod"] == f"{customer}#{customer.removeprefix('did:key:')}"
        done = await exchange_state(auditor, proposed.cred_ex_id, {"done"})
        assert done.credential["issuer"] == customer
        assert (await verifier.vc_verify(done.credential))["verified"] is True

        # Decrypt: a JWE to the customer DID's X25519 key, opened with "did" given (the kid names no DID)...
        bill = b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b"<entry>kWh</entry>" * 50 + b"</feed>"
        jwe = encrypt(bill, [Recipient.of("did:web:auditor.example#x25519", _other_key()), Recipient.of("customer", key_agreement)])
        assert await holder.decrypt_with(jwe, did=customer) == (bill, customer)
        with pytest.raises(CredoHolderError, match="opens none"):
            await holder.decrypt(jwe)  # without "did", nor a kid naming it, only the startup key is tried
        with pytest.raises(CredoHolderError, match="opens none"):
            await holder.decrypt(jwe, did=holder.did)
        with pytest.raises(CredoHolderError, match="422 .*not a did:key whose private key"):
            await holder.decrypt(jwe, did=issuer.did)
        # ...and without "did" when the recipient's kid is a DID URL of it.
        named = encrypt(bill, [Recipient.of(f"{customer}#{key_agreement}", key_agreement)], compress=False)
        assert await holder.decrypt_with(named) == (bill, customer)

        # A presentation signed outside DIDComm by the customer DID verifies at ACA-Py.
        challenge = new_challenge()
        presentation = {"@context": [v.CREDENTIALS_V1], "type": ["VerifiablePresentation"], "verifiableCredential": [held]}
        signed = await holder.sign_presentation(presentation, challenge=challenge, domain="auditor.example", did=customer)
        assert signed["holder"] == customer and signed["proof"]["verificationMethod"].startswith(customer + "#")
        checked = await verifier.vp_verify(signed, challenge=challenge, domain="auditor.example")
        assert checked["verified"] is True, checked
        # The holder named in the presentation is the default signer; a DID it does not hold is refused.
        by_holder = await holder.sign_presentation({**presentation, "holder": customer}, challenge=challenge)
        assert by_holder["proof"]["verificationMethod"].startswith(customer + "#")
        with pytest.raises(CredoHolderError, match="422"):
            await holder.sign_presentation(presentation, challenge=challenge, did=issuer.did)


def _other_key() -> str:
    return public_multibase(generate_private_key().public_key())


async def test_issues_a_proposed_consent(agent_network, tmp_path):
    """The auditor's agent proposes a consent credential whose issuer is the wallet's DID; the wallet
    offers it, signs it on request with its did:key, and the auditor stores a credential that verifies."""
    async with (
        CredoHolder.start(tmp_path / "bob", label="Bob") as holder,
        agent_network.admin("auditor") as auditor,
        agent_network.admin("verifier") as verifier,
    ):
        conn_id = await connect(auditor, holder)
        auditor_did = (await auditor.create_did_key()).did
        status = await holder.status()
        terms = ConsentTerms(
            utility_id="14328", account="ACCT-0001", period=Period(date(2024, 1, 1), date(2024, 3, 31)),
            scope=frozenset({v.SCOPE_USAGE}), purpose="Scope 2 emissions audit",
            expires=datetime(2030, 1, 1, tzinfo=UTC), key_agreement=status["keyAgreement"],
        )
        consent = consent_credential(consent_id=new_consent_id(), issuer=holder.did, subject=auditor_did, terms=terms,
                                     issued=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1))
        proposed = await auditor.send_credential_proposal(conn_id, consent)

        at_holder, issued = await issued_by_the_wallet(holder, auditor, proposed.cred_ex_id, consent["id"])
        assert at_holder["options"] == LD_OPTIONS and at_holder["credential"]["issuer"] == holder.did
        assert issued["state"] in {"credential-issued", "done"}
        signed = issued["credential"]
        assert signed["proof"]["type"] == "Ed25519Signature2018" and signed["proof"]["proofPurpose"] == "assertionMethod"
        assert signed["proof"]["verificationMethod"] == f"{holder.did}#{holder.did.removeprefix('did:key:')}"

        done = await exchange_state(auditor, proposed.cred_ex_id, {"done"})
        assert done.credential["id"] == consent["id"] and done.credential["issuer"] == holder.did
        assert (await verifier.vc_verify(done.credential))["verified"] is True

        # A counter-offer (the wallet changes the purpose) is issued as offered, not as proposed.
        counter = {**consent, "id": new_consent_id(), "credentialSubject": {**consent["credentialSubject"], "purpose": "Narrower audit"}}
        proposed2 = await auditor.send_credential_proposal(conn_id, {**consent, "id": counter["id"]})

        async def proposal2():
            found = [p for p in await holder.credential_proposals() if p["credential"]["id"] == counter["id"]]
            return found[0] if found else None

        at_holder2 = await eventually(proposal2, what="the second proposal at the wallet")

        async def request_when_offered2():
            record = await auditor.credential_exchange(proposed2.cred_ex_id)
            if record.state == "offer-received":
                await auditor.send_credential_request(proposed2.cred_ex_id)
                return True
            return False

        accepting2 = asyncio.create_task(holder.accept_credential_proposal(at_holder2["id"], credential=counter))
        await eventually(request_when_offered2, what="the counter-offer at the auditor")
        issued2 = await accepting2
        assert issued2["credential"]["credentialSubject"]["purpose"] == "Narrower audit"


async def test_restart_keeps_wallet_sign_presentation_and_auto_present(agent_network, tmp_path):
    data = tmp_path / "carol"
    async with CredoHolder.start(data, label="Carol") as holder, agent_network.admin("utility") as utility:
        first_did = holder.did
        conn_id = await connect(utility, holder)
        issuer = await utility.create_did_key()
        cred_ex_id = await offer(utility, conn_id, account_for(issuer.did, holder.did))
        await exchange_state(utility, cred_ex_id, {"done"})

    async with (
        CredoHolder.start(data, label="Carol", auto_present=True) as holder,
        agent_network.admin("utility") as utility,
        agent_network.admin("verifier") as verifier,
    ):
        assert holder.did == first_did
        [held] = await holder.credentials()

        # A presentation signed outside DIDComm (proofPurpose authentication) verifies at ACA-Py.
        challenge = new_challenge()
        vp = await holder.sign_presentation(
            {"@context": [v.CREDENTIALS_V1], "type": ["VerifiablePresentation"], "verifiableCredential": [held]},
            challenge=challenge, domain="auditor.example",
        )
        assert vp["holder"] == holder.did and vp["proof"]["proofPurpose"] == "authentication"
        assert vp["proof"]["type"] == "Ed25519Signature2018"
        checked = await verifier.vp_verify(vp, challenge=challenge, domain="auditor.example")
        assert checked["verified"] is True, checked
        assert (await verifier.vp_verify(vp, challenge=new_challenge(), domain="auditor.example"))["verified"] is False

        # --auto-present: the request is answered without a call, over a connection made after restart.
        conn_id = await connect(utility, holder)
        request = await utility.send_presentation_request(conn_id, account_definition(INTEROP_SCHEMA), challenge=new_challenge())

        async def received():
            record = await utility.presentation_exchange(request.pres_ex_id)
            return record if record.state in {"presentation-received", "done", "abandoned"} else None

        record = await eventually(received, what="the automatic presentation")
        if record.state == "presentation-received":
            record = await utility.verify_presentation(request.pres_ex_id)
        assert record.verified is True
        assert await holder.proof_requests() == []


async def test_start_failure_names_the_reason(tmp_path):
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "wallet.key").write_text("not a raw askar key")
    with pytest.raises(CredoHolderError, match="stderr tail"):
        async with CredoHolder.start(tmp_path / "w", timeout=60):
            pass


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        # Without the purpose in the options, Credo's request lacks it and the signed proof differs.
        ({"proofType": "Ed25519Signature2018"}, "proof purpose does not match"),
        # Credo's did:key document describes the key as Ed25519VerificationKey2018 only.
        ({"proofType": "Ed25519Signature2020", "proofPurpose": "assertionMethod"}, "Failed to validate credential"),
    ],
    ids=["no-proofPurpose", "Ed25519Signature2020"],
)
async def test_credo_refuses_what_the_project_avoids(agent_network, tmp_path, options, reason):
    async with CredoHolder.start(tmp_path / "dave", label="Dave") as holder, agent_network.admin("utility") as utility:
        conn_id = await connect(utility, holder)
        issuer = await utility.create_did_key()
        cred_ex_id = await offer(utility, conn_id, account_for(issuer.did, holder.did), options)
        await exchange_state(utility, cred_ex_id, {"credential-issued", "done"})

        async def refused():
            return reason in holder.stderr_tail()

        await eventually(refused, timeout=10, what=f"Credo to refuse the credential ({reason})")
        assert await holder.credentials() == []
        assert (await utility.credential_exchange(cred_ex_id)).state == "credential-issued"  # no ack, no problem report
