"""OpenID for Verifiable Presentations (draft 20, what Credo 0.5.19 speaks): the verifier asks for
the emissions SD-JWT VC and checks what the wallet posts, then checks it against the ledger.

    verifier = PresentationVerifier(admin, verifier_did, "https://verifier.example", EmissionsVerifier(...))
    app.add_routes(verifier.routes())
    request = await verifier.create_request()      # request.uri for the wallet (QR code or link)
    outcome = await verifier.outcome(request.request_id, timeout=60)

The authorization request is a request object signed by the verifier's agent (EdDSA, its did:key),
passed by reference: `openid4vp://?client_id=<did>&request_uri=<url>`, `client_id_scheme` `did`. It
asks (`presentation_definition`, `limit_disclosure: required`) for the SD-JWT VC of our `vct` and its
plain claims only: the account and service point are not asked for. `response_mode` is
`direct_post` to this request's own `response_uri`; the nonce and state are fresh per request, and
each request is answered once.

A response is refused with one line (400, `invalid_request`) before any ledger check when the
request is unknown, expired or already answered, the presentation is no SD-JWT VC, a disclosure is
not one the issuer signed, or the key-binding JWT is wrong (signature, nonce, audience, freshness,
sd_hash). Otherwise the verdict carries the ledger checks of `EmissionsVerifier`: the issuer a
registered auditor active when it recorded, the record on the ledger and agreeing, its transaction
VALID in the named block, the detail hash the issuer signed matching the ledger's, not superseded.

Endpoints: GET /oid4vp/requests/{request_id} (the signed request object), POST
/oid4vp/responses/{request_id} (form: vp_token, presentation_submission, state). Only opaque ids.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

from controllers.acapy import AcaPyAdmin
from controllers.oid4vc.sd_jwt_vc import FORMAT, SELECTIVE, VCT, PresentationRefused, read_claims, verify_presentation
from controllers.oid4vc.store import EXPIRED, Expiring, new_id
from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.verdict import REJECTED, Check, Verdict
from credentials.emissions import CredentialFormatError

__all__ = ["AuthorizationRequest", "Outcome", "PresentationVerifier", "presentation_definition"]

LOGGER = logging.getLogger(__name__)
REQUEST_TYP = "oauth-authz-req+jwt"
# The claims asked for: what the ledger checks need, and the figures. Never the account.
ASKED = ("iss", "recordedAt", "utilityEiaId", "periodStart", "periodEnd", "ghgScope", "emissionFactor",
         "billSha256", "ledgerAnchor", "detailSha256")


def presentation_definition(definition_id: str) -> dict[str, Any]:
    return {
        "id": definition_id,
        "name": "Audited emissions",
        "purpose": "Check your audited emissions against the ledger",
        "input_descriptors": [{
            "id": "utility-emissions",
            "format": {FORMAT: {"sd-jwt_alg_values": ["EdDSA"], "kb-jwt_alg_values": ["EdDSA"]}},
            "constraints": {
                "limit_disclosure": "required",
                "fields": [{"path": ["$.vct"], "filter": {"type": "string", "const": VCT}},
                           *({"path": [f"$.{claim}"]} for claim in ASKED)],
            },
        }],
    }


@dataclass(frozen=True)
class AuthorizationRequest:
    request_id: str
    uri: str  # openid4vp://?client_id=...&request_uri=...
    expires_in: float


@dataclass(frozen=True)
class Outcome:
    """What came of a request: a verdict, or a refusal before any ledger check (`reason`)."""

    verdict: Verdict | None = None
    reason: str | None = None
    disclosed: frozenset[str] = frozenset()

    @property
    def refused(self) -> bool:
        return self.verdict is None

    def to_json(self) -> dict[str, Any]:
        if self.verdict is None:
            return {"status": "refused", "reason": self.reason}
        return {**self.verdict.to_json(), "disclosed": sorted(self.disclosed)}


@dataclass
class _Request:
    nonce: str
    state: str
    definition_id: str
    request_object: str = field(repr=False)
    answered: bool = False
    outcome: Outcome | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class PresentationVerifier:
    def __init__(self, admin: AcaPyAdmin, verifier_did: str, base_url: str, emissions: EmissionsVerifier, *,
                 request_ttl: float = 300.0) -> None:
        if not verifier_did.startswith("did:key:z6Mk"):
            raise ValueError("the verifier must be an Ed25519 did:key held by its agent")
        self.admin = admin
        self.client_id = verifier_did
        self.base_url = base_url.rstrip("/")
        self.emissions = emissions
        self.request_ttl = request_ttl
        self._requests: Expiring[_Request] = Expiring()

    async def create_request(self, *, ttl: float | None = None) -> AuthorizationRequest:
        ttl = self.request_ttl if ttl is None else ttl
        request_id, nonce, state, definition_id = new_id(), new_id(), new_id(), new_id()
        now = int(time.time())
        payload = {
            "iss": self.client_id,
            "aud": "https://self-issued.me/v2",
            "iat": now,
            "exp": now + int(ttl),
            "client_id": self.client_id,
            "client_id_scheme": "did",
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "response_uri": f"{self.base_url}/oid4vp/responses/{request_id}",
            "nonce": nonce,
            "state": state,
            "presentation_definition": presentation_definition(definition_id),
            "client_metadata": {
                "client_name": "Emissions verifier",
                "response_types_supported": ["vp_token"],
                "subject_syntax_types_supported": ["did:key"],
                "vp_formats": {FORMAT: {"sd-jwt_alg_values": ["EdDSA"], "kb-jwt_alg_values": ["EdDSA"]}},
            },
        }
        answer = await self.admin.request("POST", "/wallet/jwt/sign", json={
            "verificationMethod": f"{self.client_id}#{self.client_id.removeprefix('did:key:')}",
            "headers": {"typ": REQUEST_TYP}, "payload": payload,
        })
        request_object = answer.get("results")
        if not isinstance(request_object, str):
            raise ValueError("the agent did not answer with a signed request object")
        self._requests.put(_Request(nonce, state, definition_id, request_object), ttl, key=request_id)
        request_uri = f"{self.base_url}/oid4vp/requests/{request_id}"
        uri = f"openid4vp://?client_id={quote(self.client_id, safe='')}&request_uri={quote(request_uri, safe='')}"
        LOGGER.info("presentation request %s made, valid %.0f s", request_id, ttl)
        return AuthorizationRequest(request_id, uri, ttl)

    def request_object(self, request_id: str) -> str:
        state, request = self._requests.lookup(request_id)
        if request is None:
            raise PresentationRefused("the authorization request has expired" if state == EXPIRED
                                      else "no such authorization request")
        return request.request_object

    def answered(self, request_id: str) -> Outcome | None:
        """The request's outcome, or None while the wallet has not answered (KeyError: unknown or expired)."""
        _, request = self._requests.lookup(request_id)
        if request is None:
            raise KeyError("no such authorization request, or it expired unanswered")
        return request.outcome

    async def outcome(self, request_id: str, *, timeout: float = 60.0) -> Outcome:
        """The request's outcome once the wallet has answered (TimeoutError if it does not)."""
        _, request = self._requests.lookup(request_id)
        if request is None:
            raise KeyError("no such authorization request, or it expired unanswered")
        await asyncio.wait_for(request.done.wait(), timeout)
        assert request.outcome is not None
        return request.outcome

    async def receive(self, request_id: str, form: Mapping[str, str]) -> Outcome:
        """A wallet's direct_post response. A refusal of the request itself (unknown, expired,
        answered) raises PresentationRefused and is not recorded; any other outcome is the request's."""
        state, request = self._requests.lookup(request_id)
        if request is None:
            raise PresentationRefused("the authorization request has expired" if state == EXPIRED
                                      else "no such authorization request")
        if request.answered:
            raise PresentationRefused("this authorization request was already answered (replay)")
        if not hmac.compare_digest(str(form.get("state", "")), request.state):
            raise PresentationRefused("the response's state is not this request's")
        request.answered = True
        try:
            outcome = await self._check(request, form)
        except PresentationRefused as refused:
            outcome = Outcome(reason=refused.reason)
        request.outcome = outcome
        request.done.set()
        LOGGER.info("presentation request %s answered: %s", request_id,
                    "refused" if outcome.refused else outcome.verdict.status)  # type: ignore[union-attr]
        return outcome

    async def _check(self, request: _Request, form: Mapping[str, str]) -> Outcome:
        token = _one_token(form.get("vp_token"))
        _check_submission(form.get("presentation_submission"), request.definition_id)
        presented = verify_presentation(token, audience=self.client_id, nonce=request.nonce)
        checks = [Check("presentation", True, "issuer signature, disclosures and key binding to this request verify"),
                  Check("holder", True, "presented with the key the credential is bound to")]
        withheld = [claim for claim in SELECTIVE if claim not in presented.disclosed]
        try:
            claims, digest = read_claims(presented.claims)
        except CredentialFormatError as exc:
            return Outcome(Verdict(REJECTED, (*checks, Check("format", False, str(exc)))),
                           disclosed=presented.disclosed)
        checks.append(Check("format", True, "an emissions SD-JWT VC" + (f" ({', '.join(withheld)} withheld)"
                                                                         if withheld else "")))
        verdict = await self.emissions.check_anchored(claims, detail_sha256=digest, prior=tuple(checks))
        return Outcome(verdict, disclosed=presented.disclosed)

    # -- HTTP -------------------------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        async def request_object(request: web.Request) -> web.Response:
            try:
                body = self.request_object(request.match_info["request_id"])
            except PresentationRefused as refused:
                return web.json_response({"error": "invalid_request", "error_description": refused.reason}, status=404)
            return web.Response(text=body, content_type=f"application/{REQUEST_TYP}",
                                headers={"Cache-Control": "no-store"})

        async def response(request: web.Request) -> web.Response:
            form = await request.post()
            try:
                outcome = await self.receive(request.match_info["request_id"], {k: str(v) for k, v in form.items()})
            except PresentationRefused as refused:
                return web.json_response({"error": "invalid_request", "error_description": refused.reason}, status=400)
            if outcome.refused:
                return web.json_response({"error": "invalid_request", "error_description": outcome.reason}, status=400)
            return web.json_response({}, headers={"Cache-Control": "no-store"})

        return [
            web.get("/oid4vp/requests/{request_id}", request_object),
            web.post("/oid4vp/responses/{request_id}", response),
        ]


def _one_token(value: Any) -> str:
    """The vp_token: one SD-JWT, sent as the string or as a JSON array of one."""
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            raise PresentationRefused("the vp_token is not an SD-JWT") from None
    if isinstance(value, list):
        if len(value) != 1:
            raise PresentationRefused("the vp_token must hold exactly one presentation")
        value = value[0]
    if not isinstance(value, str) or not value:
        raise PresentationRefused("the response carries no vp_token")
    return value


def _check_submission(value: Any, definition_id: str) -> None:
    try:
        submission = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        submission = None
    if not isinstance(submission, Mapping):
        raise PresentationRefused("the response carries no presentation_submission")
    if submission.get("definition_id") != definition_id:
        raise PresentationRefused("the presentation_submission answers another presentation definition")
    descriptors = submission.get("descriptor_map")
    if not isinstance(descriptors, list) or not any(isinstance(d, Mapping) and d.get("format") == FORMAT
                                                    for d in descriptors):
        raise PresentationRefused(f"the presentation_submission maps no {FORMAT} presentation")
