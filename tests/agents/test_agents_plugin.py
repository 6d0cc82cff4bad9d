"""The offline JSON-LD plugin inside real agents, and the project context itself."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from agents.contexts import CONTEXT_URL, CREDENTIAL_TYPES, VOCAB, context_document, project_contexts, type_iri
from controllers.acapy import AdminApiError

VC_V1 = "https://www.w3.org/2018/credentials/v1"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"


def _credential(issuer: str, contexts: list[str], subject: dict) -> dict:
    return {
        "@context": [VC_V1, ED25519_2020, *contexts],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "UtilityEmissionsCredential"],
        "issuer": issuer,
        "issuanceDate": "2025-02-01T00:00:00Z",
        "credentialSubject": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", **subject},
    }


EMISSIONS_SUBJECT = {
    "utilityEiaId": "14328",
    "periodStart": "2024-01-01",
    "periodEnd": "2024-12-31",
    "electricityKwh": "10234.500",
    "locationBasedTco2e": "3.578",
    "marketBasedTco2e": "3.101",
    "emissionFactor": {
        "type": "EmissionFactor",
        "factorLevel": "subregion",
        "factorRegion": "CAMX",
        "factorEdition": "eGRID2023",
        "factorSource": "US EPA eGRID",
        "locationFactorKgPerKwh": "0.34967",
    },
    "billContentId": "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
    "billSha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "ledgerAnchor": {
        "type": "LedgerAnchor",
        "channel": "utilityemissions",
        "chaincode": "emissions",
        "recordId": "rec-1",
        "transactionId": "4f0c7c3c",
        "blockNumber": "42",
    },
}


async def test_every_agent_reports_the_offline_loader(agent_network):
    for role in agent_network.running:
        async with agent_network.admin(role) as admin:
            report = await admin.jsonld_contexts()
        assert report == {"contexts": [CONTEXT_URL], "offline_loader": True}, role


async def test_project_context_issues_and_verifies_offline(agent_network):
    async with agent_network.admin("auditor") as auditor, agent_network.admin("verifier") as verifier:
        issuer = await auditor.create_did_key()
        vc = await auditor.vc_issue(_credential(issuer.did, [CONTEXT_URL], EMISSIONS_SUBJECT))
        assert vc["proof"]["type"] == "Ed25519Signature2018"
        assert (await verifier.vc_verify(vc))["verified"] is True
        # xsd:decimal strings are signed as written: a changed digit breaks the proof.
        vc["credentialSubject"]["electricityKwh"] = "10234.501"
        assert (await verifier.vc_verify(vc))["verified"] is False


async def test_unknown_context_is_refused_not_fetched(agent_network):
    unknown = "https://example.org/not-a-project-context/v1"
    async with agent_network.admin("verifier") as verifier:
        issuer = await verifier.create_did_key()
        with pytest.raises(AdminApiError) as err:
            await verifier.vc_issue(_credential(issuer.did, [unknown], {}))
    assert err.value.status == 500
    # ACA-Py answers with a bare 500; the plugin's reason is in the agent's log.
    log = agent_network.running["verifier"].log_path.read_text()
    assert f"JSON-LD context {unknown} is not served offline by this agent" in log


async def test_a_did_web_issuer_is_not_resolved(agent_network):
    """SSRF through DIDComm: a holder may present a credential naming any issuer; the agent that
    verifies it must not connect to what a did:web names, and must not tell open ports from closed."""
    connections = []
    listener = await asyncio.start_server(lambda r, w: connections.append(w.close()), "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with agent_network.admin("auditor") as auditor, agent_network.admin("verifier") as verifier:
            issuer = await auditor.create_did_key()
            vc = await auditor.vc_issue(_credential(issuer.did, [CONTEXT_URL], EMISSIONS_SUBJECT))
            forged = {**vc, "issuer": f"did:web:127.0.0.1%3A{port}",
                      "proof": {**vc["proof"], "verificationMethod": f"did:web:127.0.0.1%3A{port}#key-1"}}
            try:
                assert (await verifier.vc_verify(forged))["verified"] is False
            except AdminApiError as refused:  # ACA-Py may answer the loader's refusal as an error
                assert str(port) not in refused.message
            await asyncio.sleep(0.3)
    finally:
        listener.close()
    assert connections == []


async def test_undefined_claim_is_refused(agent_network):
    # @protected + no @vocab: a typo is an error, never a silently invented IRI.
    async with agent_network.admin("auditor") as auditor:
        issuer = await auditor.create_did_key()
        with pytest.raises(AdminApiError):
            await auditor.vc_issue(_credential(issuer.did, [CONTEXT_URL], {"electricityKWh": "1"}))


def test_context_document_shape():
    assert list(project_contexts()) == [CONTEXT_URL]
    ctx = context_document(CONTEXT_URL)["@context"]
    assert ctx["@protected"] is True and ctx["@version"] == 1.1
    assert "@vocab" not in ctx
    for t in CREDENTIAL_TYPES:
        assert ctx[t] == f"ue:{t}" and type_iri(t) == VOCAB + t
    decimals = {"electricityKwh", "locationBasedTco2e", "marketBasedTco2e", "locationFactorKgPerKwh", "marketFactorKgPerKwh"}
    for term in decimals:
        assert ctx[term]["@type"] == "xsd:decimal", term
    assert ctx["periodStart"]["@type"] == ctx["periodEnd"]["@type"] == "xsd:date"
    assert ctx["consentExpires"]["@type"] == "xsd:dateTime"
    needed = {
        "utilityEiaId", "accountId", "servicePointId", "scope", "purpose", "consentExpires",
        "keyAgreementPublicKeyMultibase", "keyAgreementPublicKeyJwk", "factorLevel", "factorEdition", "factorSource",
        "billContentId", "billSha256", "ledgerAnchor", "channel", "chaincode", "recordId", "transactionId", "blockNumber",
    }
    assert needed <= set(ctx)
    # Callers get copies: mutating one must not change what the agents serve.
    context_document(CONTEXT_URL)["@context"]["accountId"] = "tampered"
    assert context_document(CONTEXT_URL)["@context"]["accountId"] != "tampered"


def test_unknown_credential_type_is_named():
    with pytest.raises(ValueError, match="unknown credential type 'Foo'"):
        type_iri("Foo")
    with pytest.raises(KeyError, match="not one of the project's JSON-LD contexts"):
        context_document("https://example.org/x")
    json.dumps(context_document(CONTEXT_URL))
