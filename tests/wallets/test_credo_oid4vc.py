"""A stock Credo-ts wallet that speaks only OpenID for VC, end to end with the real services.

The customer's audit runs as usual (the project's hosted wallet consents; the auditor anchors the
bill's periods on the dev-peer ledger). The auditor then offers one period's emissions credential
over OpenID4VCI (draft 13, pre-authorized code; the PIN goes to the signed-in person, not in the
offer); the Credo wallet takes it as an SD-JWT VC signed by the auditor's agent and bound to a key of
its own, and presents it over OpenID4VP (draft 20, direct_post) to a verifier whose agent signs the
request, without disclosing the account. The verdict carries the DIDComm verifier's ledger checks.
What the wallet cannot be made to send (a replay, a wrong nonce, a changed disclosure, another key's
key-binding JWT) is crafted here from what it sent; each is refused with its reason.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from controllers.auditor import build_app as auditor_app
from controllers.oid4vc import FORMAT, VCT, CredentialIssuer
from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.oid4vp import PresentationVerifier
from controllers.verifier.service import VerifierService
from controllers.verifier.service import build_app as verifier_app
from controllers.workflow import WorkflowStore
from controllers.verifier.verdict import VERIFIED
from testkit.ports import free_port
from testkit.consent_stack import AUDITOR_KEY, Stack, eventually
from testkit.credo_holder import CredoHolder, CredoHolderError, require_credo

pytestmark = pytest.mark.slow

ACCOUNT, SERVICE_POINT = "ACCT-OID4VC-1", "SP-OID4VC-77"


@pytest.fixture(autouse=True)
def _credo_available():
    require_credo()


@dataclass
class World:
    stack: Stack
    issuer: CredentialIssuer
    verifier: PresentationVerifier
    audit_id: str
    credentials: list[dict[str, Any]]  # the audit's emissions credentials, as the auditor issued them
    http: aiohttp.ClientSession


async def _audited(stack: Stack) -> tuple[str, list[dict[str, Any]]]:
    """An audit run to its end by the hosted wallet; the auditor's credentials of its periods."""
    stack.private_values.add(ACCOUNT)
    await stack.onboard(ACCOUNT, SERVICE_POINT)
    audit_id = await stack.start_audit()
    await stack.customer.approve(await stack.pending_consent(audit_id))
    audit = await stack.audit_state(audit_id, "done", "failed", "declined", timeout=90)
    assert audit.state == "done", audit.reason
    return audit_id, [stack.auditor.issuer.credential(p["anchored"]) for p in audit.periods]


@pytest.fixture
async def world(agent_network, tmp_path: Path, caplog) -> AsyncIterator[World]:
    caplog.set_level(logging.DEBUG)
    stack = await Stack.start(agent_network, tmp_path / "stack")
    runners: list[web.AppRunner] = []
    try:
        audit_id, credentials = await _audited(stack)
        issuer_port, verifier_port = free_port(), free_port()
        issuer = CredentialIssuer(stack.auditor.admin, stack.auditor.issuer.settings.auditor_did,
                                  f"http://127.0.0.1:{issuer_port}")
        async with agent_network.admin("verifier", timeout=30) as verifier_admin:
            verifier_did = (await verifier_admin.create_did_key()).did
            emissions = EmissionsVerifier(verifier_admin, stack.auditor.issuer.ledger)
            verifier = PresentationVerifier(verifier_admin, verifier_did, f"http://127.0.0.1:{verifier_port}",
                                            emissions)
            # The auditor's and the verifier's own apps serve the wallet's OpenID4VCI and OpenID4VP
            # endpoints, and their operators' offers and requests.
            store = WorkflowStore(tmp_path / "verifier.sqlite3")
            stack.closing.callback(store.close)
            apps = (auditor_app(stack.auditor, agent_network.specs["auditor"].webhook_secret, AUDITOR_KEY,
                                oid4vci=issuer),
                    verifier_app(VerifierService(emissions, store), agent_network.specs["verifier"].webhook_secret,
                                 VERIFIER_KEY, oid4vp=verifier))
            for app, port in zip(apps, (issuer_port, verifier_port), strict=True):
                runner = web.AppRunner(app)
                await runner.setup()
                await web.TCPSite(runner, "127.0.0.1", port).start()
                runners.append(runner)
            async with aiohttp.ClientSession() as http:
                yield World(stack, issuer, verifier, audit_id, credentials, http)
        customer = {ACCOUNT, SERVICE_POINT, stack.customer.did}
        leaks = [r.getMessage() for r in caplog.records if any(value in r.getMessage() for value in customer)]
        assert not leaks, f"customer identifiers in log lines: {leaks[:3]}"
    finally:
        for runner in runners:
            await runner.cleanup()
        await stack.stop()


VERIFIER_KEY = "verifier-operator-test-key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _jwt_part(token: str, index: int) -> dict[str, Any]:
    return json.loads(_unb64(token.split(".")[index]))


def _disclosed_names(token: str) -> set[str]:
    return {json.loads(_unb64(d))[1] for d in token.split("~")[1:-1]}


async def _request_parts(world: World) -> tuple[str, dict[str, Any]]:
    """A fresh authorization request: its URI for a wallet, and its request object's claims."""
    request = await world.verifier.create_request()
    request_uri = parse_qs(urlsplit(request.uri).query)["request_uri"][0]
    async with world.http.get(request_uri) as resp:
        assert resp.status == 200 and resp.content_type == "application/oauth-authz-req+jwt"
        request_object = await resp.text()
    return request.request_id, _jwt_part(request_object, 1)


async def _post_response(world: World, claims: dict[str, Any], vp_token: str, submission: Any) -> tuple[int, dict]:
    form = {"vp_token": vp_token, "presentation_submission": json.dumps(submission), "state": claims["state"]}
    async with world.http.post(claims["response_uri"], data=form) as resp:
        return resp.status, await resp.json()


def _key_binding(private: Ed25519PrivateKey, presented: str, *, nonce: str, audience: str) -> str:
    header = _b64(json.dumps({"typ": "kb+jwt", "alg": "EdDSA"}).encode())
    payload = _b64(json.dumps({"iat": int(time.time()), "nonce": nonce, "aud": audience,
                               "sd_hash": _b64(hashlib.sha256(presented.encode()).digest())}).encode())
    return f"{header}.{payload}.{_b64(private.sign(f'{header}.{payload}'.encode()))}"


async def test_credo_takes_the_sd_jwt_vc_with_its_pin_and_proves_emissions_without_its_account(
        agent_network, world: World, tmp_path: Path):
    credential = world.credentials[0]
    subject = credential["credentialSubject"]
    async with CredoHolder.start(tmp_path / "wallet", label="OpenID wallet") as wallet:
        # Issuance: the auditor's operator API makes the offer of an anchored period; the offer (a URI for
        # the wallet) and the PIN (for the signed-in person) go separately.
        record_id = subject["ledgerAnchor"]["recordId"]
        async with world.http.post(f"{world.issuer.base_url}/api/audits/{world.audit_id}/oid4vci-offers",
                                   json={"record_id": record_id}, headers={"X-Operator-Key": AUDITOR_KEY}) as resp:
            assert resp.status == 201, await resp.text()
            offer = await resp.json()
        async with world.http.post(f"{world.issuer.base_url}/api/audits/{world.audit_id}/oid4vci-offers",
                                   json={"record_id": record_id}) as resp:
            assert resp.status == 401  # the operator's, not anyone's
        assert offer["pin"] not in offer["offer_uri"] and ACCOUNT not in offer["offer_uri"]
        async with world.http.get(parse_qs(urlsplit(offer["offer_uri"]).query)["credential_offer_uri"][0]) as resp:
            offered = await resp.json()
        assert offered["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["tx_code"]["length"] == 6
        assert offer["pin"] not in json.dumps(offered)

        [held] = await wallet.accept_oid4vci_offer(offer["offer_uri"], pin=offer["pin"])
        assert held["header"]["typ"] == FORMAT and held["header"]["alg"] == "EdDSA"
        claims = held["claims"]
        assert claims["iss"] == world.stack.auditor.issuer.settings.auditor_did and claims["vct"] == VCT
        assert held["header"]["kid"].startswith(claims["iss"] + "#")
        assert claims["cnf"]["jwk"]["crv"] == "Ed25519"  # bound to the key of the wallet's proof of possession
        assert claims["accountId"] == ACCOUNT and claims["servicePointId"] == subject["servicePointId"]
        assert claims["ledgerAnchor"] == subject["ledgerAnchor"] and claims["periodStart"] == subject["periodStart"]
        assert claims["electricityKwh"] == subject["electricityKwh"]
        # Only the account and the service point are selectively disclosable.
        issuer_jwt = _jwt_part(held["compact"], 1)
        assert len(issuer_jwt["_sd"]) == 2 and "accountId" not in issuer_jwt and "servicePointId" not in issuer_jwt
        assert issuer_jwt["ledgerAnchor"]["recordId"] == subject["ledgerAnchor"]["recordId"]
        assert _disclosed_names(held["compact"]) == {"accountId", "servicePointId"}
        assert [c["id"] for c in await wallet.sd_jwt_vcs()] == [held["id"]]

        # The offer was used: its pre-authorized code buys nothing more.
        with pytest.raises(CredoHolderError) as used:
            await wallet.accept_oid4vci_offer(offer["offer_uri"], pin=offer["pin"])
        assert used.value.status == 422 and "no such credential offer" in str(used.value)

        # Presentation: the verifier's operator asks (its API); the wallet discloses what the
        # request names, never the account.
        operator = {"X-Operator-Key": VERIFIER_KEY}
        async with world.http.post(f"{world.verifier.base_url}/api/oid4vp-requests", headers=operator) as resp:
            assert resp.status == 201, await resp.text()
            asked = await resp.json()
        assert ACCOUNT not in asked["uri"] and asked["uri"].startswith("openid4vp://")
        answer = await wallet.present_oid4vp(asked["uri"])
        assert answer["status"] == 200, answer
        assert answer["clientId"] == world.verifier.client_id

        async def settled():
            async with world.http.get(f"{world.verifier.base_url}/api/oid4vp-requests/{asked['request_id']}",
                                      headers=operator) as resp:
                body = await resp.json()
                return body if body["state"] == "done" else None

        shown = await eventually(settled, what="the verifier's verdict")
        assert shown["outcome"]["status"] == VERIFIED, shown
        outcome = await world.verifier.outcome(asked["request_id"], timeout=30)
        assert outcome.verdict is not None, outcome.reason
        assert outcome.verdict.status == VERIFIED, outcome.verdict.reasons
        assert not outcome.disclosed & {"accountId", "servicePointId"}
        vp_token = answer["submitted"]["vp_token"]
        assert isinstance(vp_token, str) and ACCOUNT not in vp_token and not _disclosed_names(vp_token)
        names = [c.name for c in outcome.verdict.checks]
        for check in ("presentation", "holder", "format", "ledger", "issuer", "record", "current", "transaction",
                      "detail hash"):
            assert check in names, names
        assert outcome.verdict.record_id == subject["ledgerAnchor"]["recordId"]
        assert outcome.verdict.summary["kwh"] == subject["electricityKwh"]
        submission = answer["submitted"]["presentation_submission"]  # sent form-encoded as JSON text
        assert submission["descriptor_map"][0]["format"] == FORMAT

    # Replayed: to the request it answered, and to a fresh request (whose nonce it does not carry).
    status, body = await _post_response(world, {"state": answer["submitted"]["state"],
                                                "response_uri": f"{world.verifier.base_url}/oid4vp/responses/"
                                                                f"{asked['request_id']}"}, vp_token, submission)
    assert status == 400 and "already answered" in body["error_description"]
    request_id, fresh = await _request_parts(world)
    submission = {**submission, "definition_id": fresh["presentation_definition"]["id"]}
    status, body = await _post_response(world, fresh, vp_token, submission)
    assert status == 400 and body["error_description"] == \
        "the key-binding JWT's nonce is not this request's (replayed or forged)"
    refused = await world.verifier.outcome(request_id, timeout=1)
    assert refused.refused and "nonce" in refused.reason

    # A key-binding JWT with this request's nonce, but signed by another key than the credential's.
    request_id, fresh = await _request_parts(world)
    submission = {**submission, "definition_id": fresh["presentation_definition"]["id"]}
    presented = vp_token[: vp_token.rindex("~") + 1]
    forged = presented + _key_binding(Ed25519PrivateKey.generate(), presented, nonce=fresh["nonce"],
                                      audience=fresh["client_id"])
    status, body = await _post_response(world, fresh, forged, submission)
    assert status == 400 and body["error_description"] == \
        "the key-binding JWT's signature does not verify with the credential's holder key"

    # A disclosure changed: the account disclosure of the issued credential, with another account.
    request_id, fresh = await _request_parts(world)
    submission = {**submission, "definition_id": fresh["presentation_definition"]["id"]}
    issuer_part, *disclosures, _ = held["compact"].split("~")
    account = next(d for d in disclosures if json.loads(_unb64(d))[1] == "accountId")
    salt, name, _value = json.loads(_unb64(account))
    tampered = _b64(json.dumps([salt, name, "ACCT-SOMEONE-ELSE"]).encode())
    status, body = await _post_response(world, fresh, f"{issuer_part}~{tampered}~{vp_token.rsplit('~', 1)[1]}",
                                        submission)
    assert status == 400 and body["error_description"] == \
        "a disclosure matches no digest the issuer signed (tampered)"

    # A plain claim changed in the issuer-signed part (more kWh): the auditor's signature no longer holds.
    request_id, fresh = await _request_parts(world)
    submission = {**submission, "definition_id": fresh["presentation_definition"]["id"]}
    head, payload, signature = vp_token.split("~")[0].split(".")
    claims = json.loads(_unb64(payload))
    claims["electricityKwh"] = str(float(claims["electricityKwh"]) * 2)
    status, body = await _post_response(world, fresh, f"{head}.{_b64(json.dumps(claims).encode())}.{signature}~"
                                        + vp_token.rsplit("~", 1)[1], submission)
    assert status == 400 and body["error_description"] == "the SD-JWT's issuer signature does not verify"


async def test_a_wrong_pin_and_an_expired_offer_are_refused(agent_network, world: World, tmp_path: Path):
    credential = world.credentials[0]
    async with CredoHolder.start(tmp_path / "wallet", label="OpenID wallet") as wallet:
        offer = world.issuer.offer(credential)
        wrong = "000000" if offer.pin != "000000" else "111111"
        with pytest.raises(CredoHolderError) as err:
            await wallet.accept_oid4vci_offer(offer.uri, pin=wrong)
        assert err.value.status == 422 and "invalid_grant: wrong transaction code (PIN)" in str(err.value)
        assert await wallet.sd_jwt_vcs() == []
        # The person types it again, right this time.
        [held] = await wallet.accept_oid4vci_offer(offer.uri, pin=offer.pin)
        assert held["claims"]["ledgerAnchor"] == credential["credentialSubject"]["ledgerAnchor"]

        # An offer past its time: the wallet cannot fetch it, and its code buys no token.
        expired = world.issuer.offer(credential, ttl=1.0)
        offer_url = parse_qs(urlsplit(expired.uri).query)["credential_offer_uri"][0]
        async with world.http.get(offer_url) as resp:
            code = (await resp.json())["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"][
                "pre-authorized_code"]
        await asyncio.sleep(1.2)
        with pytest.raises(CredoHolderError) as err:
            await wallet.accept_oid4vci_offer(expired.uri, pin=expired.pin)
        assert err.value.status == 422 and "the credential offer has expired" in str(err.value), err.value
        async with world.http.get(offer_url) as resp:
            assert resp.status == 410 and (await resp.json())["error_description"] == "the credential offer has expired"
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code", "pre-authorized_code": code,
                "tx_code": expired.pin}
        async with world.http.post(f"{world.issuer.base_url}/oid4vci/token", data=form) as resp:
            body = await resp.json()
        assert resp.status == 400 and body == {
            "error": "invalid_grant", "error_description": "the pre-authorized code has expired (the offer is expired)"}
        assert len(await wallet.sd_jwt_vcs()) == 1


async def test_the_signed_in_customer_gets_the_offer_and_its_pin_and_nobody_else_does(world: World, tmp_path: Path):
    stack = world.stack
    stack.host.config.auditor_urls[stack.auditor.did] = world.issuer.base_url
    held = [c for c in await stack.customer.held_credentials() if "UtilityEmissionsCredential" in c["type"]]
    credential = held[0]
    path = f"/credentials/{quote(credential['id'], safe='')}/openid-offer"
    async with world.http.post(f"{stack.urls['customer']}/api{path}") as resp:
        assert resp.status in (401, 403)  # no session, no offer
    async with stack.wallet_http.post(f"{stack.urls['customer']}{path}") as resp:
        assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
        page = await resp.text()
    async with stack.wallet_http.post(f"{stack.urls['customer']}/api{path}") as resp:
        assert resp.status == 201, await resp.text()
        offer = await resp.json()
    assert "<svg" in page and "PIN" in page  # the page shows the code and its PIN
    assert offer["pin"] not in offer["offer_uri"] and ACCOUNT not in offer["offer_uri"]

    async with CredoHolder.start(tmp_path / "other-wallet", label="OpenID wallet") as wallet:
        [taken] = await wallet.accept_oid4vci_offer(offer["offer_uri"], pin=offer["pin"])
    assert taken["claims"]["ledgerAnchor"]["recordId"] == credential["credentialSubject"]["ledgerAnchor"]["recordId"]

    # The auditor answers only the credential's own subject, once per challenge.
    base = world.issuer.base_url
    async with world.http.post(f"{base}/oid4vci/holder-challenges") as resp:
        challenge = (await resp.json())["challenge"]
    stranger = (await stack.customer.admin.create_did_key()).did
    theirs = await stack.customer.admin.vc_present(stranger, [credential], challenge=challenge)
    async with world.http.post(f"{base}/oid4vci/holder-offers",
                               json={"verifiablePresentation": theirs, "challenge": challenge}) as resp:
        assert resp.status == 403 and "not the presenter's" in (await resp.json())["error"]
    async with world.http.post(f"{base}/oid4vci/holder-offers",
                               json={"verifiablePresentation": theirs, "challenge": challenge}) as resp:
        assert resp.status == 400 and "already used" in (await resp.json())["error"]
