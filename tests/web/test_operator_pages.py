"""The operators' sign-in and pages of the auditor, the utility and the verifier, through real aiohttp
servers on their real service classes (a fake agent admin; no ledger). The auditor's pages are also
exercised with real agents in tests/consent/test_consent_flow.py."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from controllers.acapy.invitation_url import invitation_url
from controllers.verifier import pages as verifier_pages
from controllers.verifier.service import DONE, KIND
from controllers.verifier.verdict import REJECTED, VERIFIED, Check, Verdict
from tests.pages.checks import Parsed, check_page
from tests.web import operator_fixtures as fx

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def _hrefs(page: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', page)


# ---------------------------------------------------------------------------- invitation links

def test_invitation_url_is_the_agents_endpoint_with_the_invitation_as_unpadded_base64url():
    invitation = fx.fake_invitation("3fa85f64-5717-4562-b3fc-2c963f66afa6")
    url = invitation_url(invitation)
    assert url.startswith(fx.AGENT_ENDPOINT + "?oob=")
    assert fx.decoded(url) == invitation
    inline = {**invitation, "services": [{"id": "#inline", "type": "did-communication",
                                          "serviceEndpoint": "https://agent.example/didcomm"}]}
    assert invitation_url(inline).startswith("https://agent.example/didcomm?oob=")
    assert invitation_url({**invitation, "services": ["did:web:example.org"]}).startswith("didcomm://invite?oob=")
    with pytest.raises(ValueError):
        invitation_url({"@type": "https://didcomm.org/connections/1.0/request"})


# ---------------------------------------------------------------------------- auditor

async def test_auditor_pages_need_the_operator_and_the_api_takes_the_key(tmp_path):
    app, manager, admin, store = fx.auditor(tmp_path)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/audits", allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"].startswith("/signin?next=")
        assert (await client.get("/audits/new", allow_redirects=False)).status == 303
        # The stylesheet and the agent's webhooks are public (the webhook checks its own secret).
        assert (await client.get("/static/style.css")).status == 200
        hook = await client.post("/webhooks/topic/connections/", json={})
        assert hook.status == 401 and (await hook.json())["error"] == "invalid webhook secret"

        # Scripts: the key in a header, nothing else; no key, or a wrong one, is a 401 in JSON.
        resp = await client.get("/api/audits")
        assert resp.status == 401 and "error" in await resp.json()
        resp = await client.get("/api/audits", headers={"X-Operator-Key": "wrong"})
        assert resp.status == 401 and (await resp.json())["error"] == "operator key missing or wrong"
        key = {"X-Operator-Key": fx.AUDITOR_KEY}
        assert await (await client.get("/api/audits", headers=key)).json() == []
        created = await client.post("/api/audits", headers=key, json={
            "period_start": "2024-01-01", "period_end": "2024-03-31", "purpose": "Scope 2 audit"})
        assert created.status == 201
        body = await created.json()
        assert fx.decoded(body["invitation_url"]) == body["invitation"]
        bad = await client.post("/api/audits", headers=key, json={
            "period_start": "2024-03-31", "period_end": "2024-01-01", "purpose": "backwards"})
        assert bad.status == 400 and "before it starts" in (await bad.json())["error"]

        # People: "operator" and the key as password; anything else is refused with a 401.
        assert (await fx.sign_in(client, "not the key")).status == 401
        assert (await fx.sign_in(client, fx.AUDITOR_KEY, username="admin")).status == 401
        odd = await client.post("/api/session", json={"username": "operator", "password": "\ud800"})
        assert odd.status == 401  # a lone surrogate is just a wrong password
        resp = await fx.sign_in(client, fx.AUDITOR_KEY, next_="/audits/new")
        assert resp.status == 303 and resp.headers["Location"] == "/audits/new"
        csrf = (await (await client.get("/api/session")).json())["csrf_token"]
        page = await client.get("/audits")
        text = await page.text()
        assert page.status == 200 and body["audit_id"][:8] in text
        check_page(text)
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        form = await client.get("/audits/new")
        parsed = check_page(await form.text())
        assert {i.get("name"): i.get("type") for i in parsed.all("input")}.items() >= {
            "period_start": "date", "period_end": "date", "account": "text", "purpose": "text",
            "consent_days": "text", "csrf_token": "hidden"}.items()

        fields = {"account": "ACCT-1", "period_start": "2024-01-01", "period_end": "2024-03-31",
                  "purpose": "Scope 2 audit 2024", "consent_days": "45"}
        forged = await client.post("/audits/new", data=fields, headers=SAME_ORIGIN)
        assert forged.status == 403 and len(manager.audits()) == 1  # no CSRF token: nothing started
        started = await client.post("/audits/new", data={**fields, "csrf_token": csrf}, headers=SAME_ORIGIN)
        text = await started.text()
        assert started.status == 200, text
        check_page(text)
        assert "<svg" in text and 'class="qr"' in text
        url = fx.textarea_url(text)
        invitation = fx.decoded(url)
        assert "invitation" in invitation["@type"] and invitation["@id"] == admin.invitations[-1]
        assert url.startswith(fx.AGENT_ENDPOINT + "?oob=") and f'href="{url}"' in text
        [audit] = [a for a in manager.audits() if a.audit_id != body["audit_id"]]
        assert audit.request == {"period_start": "2024-01-01", "period_end": "2024-03-31", "scope": audit.request["scope"],
                                 "purpose": "Scope 2 audit 2024", "consent_days": 45, "account": "ACCT-1"}
        assert f'href="/audits/{audit.audit_id}"' in text
        assert all("ACCT-1" not in href for href in _hrefs(text))

        refused = await client.post("/audits/new", headers=SAME_ORIGIN, data={
            **fields, "period_end": "2023-12-01", "csrf_token": csrf})
        assert refused.status == 400 and "before it starts" in await refused.text() and len(manager.audits()) == 2

        detail = await client.get(f"/audits/{audit.audit_id}")
        text = await detail.text()
        assert detail.status == 200 and "requested" in text and "2024-01-01 to 2024-03-31" in text
        check_page(text)
        assert 'http-equiv="refresh"' in text  # not final: the page refreshes itself
        missing = await client.get("/audits/no-such-audit")
        assert missing.status == 404 and "no such audit" in (await missing.text()).lower()

        # A retry from the page needs the token too; with it, a not-failed audit is shown as it is.
        url = f"/audits/{audit.audit_id}/retry"
        assert (await client.post(url, data={}, headers=SAME_ORIGIN, allow_redirects=False)).status == 403
        resp = await client.post(url, data={"csrf_token": csrf}, headers=SAME_ORIGIN, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"] == "/audits"

        out = await client.post("/signout", data={"csrf_token": csrf}, headers=SAME_ORIGIN, allow_redirects=False)
        assert out.status == 303
        assert (await client.get("/audits", allow_redirects=False)).status == 303
    store.close()


async def test_the_auditor_keeps_operator_sessions_in_its_store(tmp_path):
    app, manager, _admin, store = fx.auditor(tmp_path)
    async with TestClient(TestServer(app)) as client:
        await fx.signed_in(client, fx.AUDITOR_KEY)
        assert len(store.list("session")) == 1
        assert manager.audits() == []  # sessions are not audits
    store.close()


async def test_guessing_the_operator_key_in_the_header_is_rate_limited_like_the_form(tmp_path):
    app, _manager, _admin, store = fx.auditor(tmp_path)
    async with TestClient(TestServer(app)) as client:
        for n in range(5):
            resp = await client.get("/api/audits", headers={"X-Operator-Key": f"guess-{n}"})
            assert resp.status == 401
        resp = await client.get("/api/audits", headers={"X-Operator-Key": fx.AUDITOR_KEY})
        assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1  # even the right key, for now
        assert (await fx.sign_in(client, fx.AUDITOR_KEY)).status == 429  # the form counts the same guesses
    store.close()


# ---------------------------------------------------------------------------- utility

async def test_utility_consent_endpoints_stay_public_and_onboarding_needs_the_operator(tmp_path):
    app, service, admin = await fx.utility(tmp_path)
    async with TestClient(TestServer(app)) as client:
        # What wallets and auditors call server to server answers them, in JSON, with no sign-in.
        challenge = await client.get("/consent/challenge")
        assert challenge.status == 200 and "challenge" in await challenge.json()
        token = await client.post("/consent/token", json={})
        assert token.status == 400 and "verifiablePresentation" in (await token.json())["error"]
        revoke = await client.post("/consent/revocations", data=b"not json", headers={"Content-Type": "text/plain"})
        assert revoke.status == 400 and (await revoke.json())["error"] == "body must be JSON"
        feed = await client.get("/espi/1_1/resource/Batch/Subscription/" + "a" * 24)
        assert feed.status == 401 and (await feed.json())["error"] == "a Bearer access token is required"

        # The onboarding API: the key, or 401 in JSON.
        for headers in ({}, {"X-Operator-Key": "wrong"}):
            resp = await client.post("/admin/onboardings", json={"account": "A-1", "service_point": "SP-1"},
                                     headers=headers)
            assert resp.status == 401 and (await resp.json())["error"] == "operator key missing or wrong"
        key = {"X-Operator-Key": fx.UTILITY_KEY}
        created = await client.post("/admin/onboardings", json={"account": "A-1", "service_point": "SP-1"}, headers=key)
        assert created.status == 201
        body = await created.json()
        assert fx.decoded(body["invitation_url"]) == body["invitation"]
        state = await client.get(f"/admin/onboardings/{body['onboarding_id']}", headers=key)
        assert await state.json() == {"state": "invited", "reason": None}
        assert (await client.get("/admin/onboardings/nope", headers=key)).status == 404

        # The pages: sign in first.
        resp = await client.get("/onboardings", allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"].startswith("/signin")
        assert (await fx.sign_in(client, "wrong")).status == 401
        csrf = await fx.signed_in(client, fx.UTILITY_KEY)
        home = await client.get("/", allow_redirects=False)
        assert home.status == 303 and home.headers["Location"] == "/onboardings"
        check_page(await (await client.get("/onboardings/new")).text())

        fields = {"account": "ACCT-77", "service_point": "SP-9"}
        assert (await client.post("/onboardings/new", data=fields, headers=SAME_ORIGIN)).status == 403
        empty = await client.post("/onboardings/new", data={"account": "", "service_point": "", "csrf_token": csrf},
                                  headers=SAME_ORIGIN)
        assert empty.status == 400
        made = await client.post("/onboardings/new", data={**fields, "csrf_token": csrf}, headers=SAME_ORIGIN)
        text = await made.text()
        assert made.status == 200, text
        check_page(text)
        assert "<svg" in text
        invitation = fx.decoded(fx.textarea_url(text))
        assert "invitation" in invitation["@type"] and invitation["@id"] == admin.invitations[-1]
        assert service.store.account("ACCT-77") is not None

        listing = await client.get("/onboardings")
        text = await listing.text()
        check_page(text)
        [made_now] = [o for o, _ in service.onboardings() if o.account == "ACCT-77"]
        assert made_now.onboarding_id[:8] in text and "ACCT-77" in text and "A-1" in text
        assert all("ACCT-77" not in href and "A-1" not in href for href in _hrefs(text))
        one = await client.get(f"/onboardings/{made_now.onboarding_id}")
        assert one.status == 200 and "ACCT-77" in await one.text()
        assert (await client.get("/onboardings/nope")).status == 404


# ---------------------------------------------------------------------------- verifier

def _verdicts() -> list[dict]:
    good = Verdict(VERIFIED, (Check("credential proof", True, "Ed25519Signature2020 by the issuer verifies"),
                              Check("detail hash", True, "matches the private data hash on the ledger")),
                   "urn:uuid:1", "ab" * 32, {"period_start": "2024-01-01", "period_end": "2024-01-31", "kwh": "812"})
    bad = Verdict(REJECTED, (Check("credential proof", True, "verifies"),
                             Check("current", False, "superseded by record cd")), "urn:uuid:2", "cd" * 32)
    return [good.to_json(), bad.to_json()]


async def test_verifier_operator_invites_a_wallet_asks_it_and_reads_the_verdicts(tmp_path):
    app, service, admin, store = fx.verifier(tmp_path)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/", allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"].startswith("/signin")
        # Anyone may check a credential; everything else wants the operator.
        checked = await client.post("/api/verify", json={"nothing": 1})
        assert checked.status == 400 and "verifiableCredential" in (await checked.json())["error"]
        assert (await client.post("/api/invitations")).status == 401
        assert (await client.get("/api/requests/x")).status == 401
        key = {"X-Operator-Key": fx.VERIFIER_KEY}
        api = await client.post("/api/invitations", headers=key)
        assert api.status == 201
        made = await api.json()
        assert fx.decoded(made["invitation_url"]) == made["invitation"]
        waiting = await client.get(f"/api/invitations/{made['invitation_id']}", headers=key)
        assert await waiting.json() == {"state": "waiting", "connection_id": None}

        assert (await fx.sign_in(client, "wrong")).status == 401
        csrf = await fx.signed_in(client, fx.VERIFIER_KEY)
        index = await client.get("/")
        text = await index.text()
        check_page(text)
        assert "Invite a wallet" in text
        assert (await client.post("/invitations", data={}, headers=SAME_ORIGIN)).status == 403
        invited = await client.post("/invitations", data={"csrf_token": csrf}, headers=SAME_ORIGIN,
                                    allow_redirects=False)
        assert invited.status == 303
        invitation_page = invited.headers["Location"]
        invitation_id = invitation_page.rsplit("/", 1)[1]
        assert invitation_id == admin.invitations[-1]

        page = await client.get(invitation_page)
        text = await page.text()
        check_page(text)
        assert "<svg" in text and invitation_id in text and 'http-equiv="refresh"' in text
        assert fx.decoded(fx.textarea_url(text))["@id"] == invitation_id
        assert 'name="record_ids"' not in text  # nothing to ask before the wallet connects

        connection_id = admin.connect(invitation_id)
        page = await client.get(invitation_page)
        text = await page.text()
        check_page(text)
        assert "connected" in text and 'name="record_ids"' in text and connection_id not in text
        ask = f"{invitation_page}/requests"
        assert (await client.post(ask, data={"record_ids": ""}, headers=SAME_ORIGIN)).status == 403
        bad = await client.post(ask, data={"record_ids": "not-a-record", "csrf_token": csrf}, headers=SAME_ORIGIN)
        assert bad.status == 400 and "64 hexadecimal" in await bad.text()
        asked = await client.post(ask, data={"record_ids": "AB" * 32, "csrf_token": csrf}, headers=SAME_ORIGIN,
                                  allow_redirects=False)
        assert asked.status == 303 and asked.headers["Location"].startswith("/requests/")
        assert admin.requests[-1]["connection_id"] == connection_id
        fields = admin.requests[-1]["definition"]["input_descriptors"][0]["constraints"]["fields"]
        assert fields[0]["filter"] == {"type": "string", "const": "ab" * 32}
        request_page = asked.headers["Location"]
        request_id = request_page.rsplit("/", 1)[1]

        pending = await (await client.get(request_page)).text()
        check_page(pending)
        assert "Waiting" in pending and 'http-equiv="refresh"' in pending and f'href="{request_page}"' in pending

        record = store.get(KIND, request_id)
        store.update(KIND, request_id, expected_version=record.version, state=DONE,
                     data={**record.data, "verdicts": _verdicts()})
        done = await (await client.get(request_page)).text()
        check_page(done)
        assert 'http-equiv="refresh"' not in done
        assert "Verified" in done and "Rejected" in done and "Every check passed" in done
        assert "detail hash" in done and "matches the fingerprint kept on the ledger" in done
        assert "No newer record has replaced it" in done and "superseded by record cd" in done
        assert "Failed" in done and "Passed" in done
        assert (await client.get("/requests/unknown")).status == 404
        listed = await (await client.get("/")).text()
        assert request_id[:8] in listed and invitation_id[:8] in listed
    store.close()


async def test_a_verifier_without_an_operator_key_stays_open(tmp_path):
    app, _service, _admin, store = fx.verifier(tmp_path, operator_key=None)
    async with TestClient(TestServer(app)) as client:
        index = await client.get("/")
        assert index.status == 200 and "Invite a wallet" in await index.text()
        assert (await client.post("/api/invitations")).status == 201
        assert (await client.get("/signin")).status == 404
    store.close()



def test_a_verdict_on_a_gas_credential_shows_its_scope_fuel_quantity_and_tonnes():
    summary = {"issuer": "did:key:z6MkAuditor", "utility_id": 14328, "period_start": "2024-01-01",
               "period_end": "2024-02-01", "scope": 1, "fuel": "natural_gas", "fuel_quantity": "50", "fuel_unit": "therm",
               "scope1_tco2e": "0.265572", "block_number": 9}
    verdict = Verdict(VERIFIED, (Check("consistent", True, "claims agree with the record detail"),),
                      "urn:uuid:gas", "ef" * 32, summary)
    page = verifier_pages.request(None, "", "req-gas", [verdict])
    text = Parsed(page).text
    check_page(page)
    assert "GHG Protocol scope Scope 1: fuel burned on site" in text
    assert "Fuel natural gas" in text and "Fuel used (as billed) 50 therm" in text
    assert "Scope 1 emissions (tCO2e) 0.265572" in text
    assert "kWh" not in text and "Location-based" not in text
    electricity = Verdict(VERIFIED, verdict.checks, "urn:uuid:el", "ab" * 32,
                          {"scope": 2, "kwh": "812", "location_tco2e": "0.158", "market_tco2e": "0.158"})
    text = Parsed(verifier_pages.request(None, "", "req-el", [electricity])).text
    assert "Scope 2: purchased electricity" in text and "Electricity (kWh) 812" in text
    assert "Location-based emissions (tCO2e) 0.158" in text and "Market-based emissions (tCO2e) 0.158" in text
