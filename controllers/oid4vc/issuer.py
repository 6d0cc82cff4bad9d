"""OpenID for Verifiable Credential Issuance (draft 13, what Credo 0.5.19 speaks; its draft 11
fields are accepted too): the auditor issues an emissions credential as an SD-JWT VC, pre-authorized
code flow with a transaction code (PIN).

    issuer = CredentialIssuer(admin, auditor_did, "https://auditor.example")
    app.add_routes(issuer.routes())
    offer = issuer.offer(emissions_credential)   # -> offer.uri for the wallet, offer.pin for the person

The PIN goes to the signed-in customer by another channel than the offer (the offer only says one
is needed: `tx_code`). Each offer is used once: its pre-authorized code buys one access token, that
token one credential, bound to the key of the wallet's proof of possession.

Endpoints (the credential issuer identifier is `base_url`, an origin):
- GET  /.well-known/openid-credential-issuer  credential issuer metadata
- GET  /.well-known/oauth-authorization-server  authorization server metadata (pre-authorized grant only)
- GET  /oid4vci/offers/{offer_id}               the credential offer (`credential_offer_uri`)
- POST /oid4vci/token                           form: grant_type, pre-authorized_code, tx_code | user_pin
- POST /oid4vci/credential                      Bearer token; {format, vct, proof: {proof_type: jwt, jwt}}
Ids in URLs are opaque random strings; nothing logged names a customer.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

from controllers.acapy import AcaPyAdmin
from controllers.oid4vc.jose import JoseError, did_key_of, ed25519_of_did_key, ed25519_of_jwk, read_jws
from controllers.oid4vc.sd_jwt_vc import FORMAT, VCT, sd_jwt_claims, sign_sd_jwt_vc
from controllers.oid4vc.store import EXPIRED, Expiring, new_id

__all__ = ["CONFIGURATION_ID", "PRE_AUTHORIZED_GRANT", "CredentialIssuer", "CredentialOffer"]

LOGGER = logging.getLogger(__name__)
CONFIGURATION_ID = "UtilityEmissionsCredential-sd-jwt"
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"
PIN_LENGTH = 6
PROOF_MAX_AGE = 300.0


@dataclass(frozen=True)
class CredentialOffer:
    offer_id: str
    uri: str  # openid-credential-offer://?credential_offer_uri=...
    pin: str  # for the person, never in the offer
    expires_in: float


@dataclass
class _Offer:
    claims: dict[str, Any] = field(repr=False)
    code: str
    pin: str = field(repr=False)
    attempts: int = 0


@dataclass
class _Grant:
    claims: dict[str, Any] = field(repr=False)
    c_nonce: str


class _Refusal(Exception):
    def __init__(self, status: int, error: str, description: str, **extra: Any) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.extra = status, error, description, extra

    def response(self) -> web.Response:
        headers = {"Cache-Control": "no-store"}
        if self.error == "invalid_token":
            headers["WWW-Authenticate"] = f'Bearer error="invalid_token", error_description="{self.description}"'
        return web.json_response({"error": self.error, "error_description": self.description, **self.extra},
                                 status=self.status, headers=headers)


class CredentialIssuer:
    def __init__(self, admin: AcaPyAdmin, issuer_did: str, base_url: str, *, offer_ttl: float = 600.0,
                 token_ttl: float = 300.0, max_pin_attempts: int = 5) -> None:
        if not issuer_did.startswith("did:key:z6Mk"):
            raise ValueError("the issuer must be an Ed25519 did:key held by the agent")
        self.admin = admin
        self.issuer_did = issuer_did
        self.base_url = base_url.rstrip("/")
        self.offer_ttl, self.token_ttl, self.max_pin_attempts = offer_ttl, token_ttl, max_pin_attempts
        self._offers: Expiring[_Offer] = Expiring()
        self._codes: Expiring[str] = Expiring()  # pre-authorized code -> offer id
        self._tokens: Expiring[_Grant] = Expiring()

    # -- offers -----------------------------------------------------------------------------------
    def offer(self, credential: Mapping[str, Any], *, ttl: float | None = None) -> CredentialOffer:
        """An offer of `credential` (a UtilityEmissionsCredential this auditor issued) as an SD-JWT VC."""
        claims = sd_jwt_claims(credential)
        if claims["iss"] != self.issuer_did:
            raise ValueError("the credential was issued by another DID than this issuer's")
        ttl = self.offer_ttl if ttl is None else ttl
        pin = "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))
        code = new_id()
        offer_id = self._offers.put(_Offer(claims, code, pin), ttl)
        self._codes.put(offer_id, ttl, key=code)
        offer_url = self._url(f"/oid4vci/offers/{offer_id}")
        uri = f"openid-credential-offer://?credential_offer_uri={quote(offer_url, safe='')}"
        LOGGER.info("credential offer %s made, valid %.0f s", offer_id, ttl)
        return CredentialOffer(offer_id, uri, pin, ttl)

    def _url(self, path: str) -> str:
        return self.base_url + path

    def metadata(self) -> dict[str, Any]:
        return {
            "credential_issuer": self.base_url,
            "credential_endpoint": self._url("/oid4vci/credential"),
            "token_endpoint": self._url("/oid4vci/token"),
            "display": [{"name": "Utility emissions auditor", "locale": "en-US"}],
            "credential_configurations_supported": {
                CONFIGURATION_ID: {
                    "format": FORMAT,
                    "vct": VCT,
                    "cryptographic_binding_methods_supported": ["jwk", "did:key"],
                    "credential_signing_alg_values_supported": ["EdDSA"],
                    "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}},
                    "display": [{"name": "Audited emissions", "locale": "en-US"}],
                },
            },
        }

    def authorization_server_metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.base_url,
            "token_endpoint": self._url("/oid4vci/token"),
            "grant_types_supported": [PRE_AUTHORIZED_GRANT],
            "pre-authorized_grant_anonymous_access_supported": True,
        }

    def offer_document(self, offer_id: str) -> dict[str, Any]:
        state, offer = self._offers.lookup(offer_id)
        if state == EXPIRED:
            raise _Refusal(410, "expired", "the credential offer has expired")
        if offer is None:
            raise _Refusal(404, "not_found", "no such credential offer")
        return {
            "credential_issuer": self.base_url,
            "credential_configuration_ids": [CONFIGURATION_ID],
            "grants": {PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": offer.code,
                "tx_code": {"input_mode": "numeric", "length": PIN_LENGTH,
                            "description": "The PIN the auditor's site shows you when you are signed in"},
            }},
        }

    # -- token ------------------------------------------------------------------------------------
    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != PRE_AUTHORIZED_GRANT:
            raise _Refusal(400, "unsupported_grant_type", "only the pre-authorized code grant is supported")
        code = form.get("pre-authorized_code") or ""
        state, offer_id = self._codes.lookup(code)
        if state == EXPIRED:
            raise _Refusal(400, "invalid_grant", "the pre-authorized code has expired (the offer is expired)")
        offer = self._offers.lookup(offer_id)[1] if offer_id else None
        if offer is None:
            raise _Refusal(400, "invalid_grant", "unknown or already used pre-authorized code")
        pin = form.get("tx_code") or form.get("user_pin") or ""
        if not pin:
            raise _Refusal(400, "invalid_request", "the offer needs its transaction code (PIN)")
        if not hmac.compare_digest(pin.encode(), offer.pin.encode()):
            offer.attempts += 1
            if offer.attempts >= self.max_pin_attempts:
                self._revoke(offer_id, offer)
                LOGGER.info("credential offer %s revoked after %d wrong PINs", offer_id, offer.attempts)
                raise _Refusal(400, "invalid_grant",
                               "wrong transaction code (PIN); too many tries, the offer is revoked")
            raise _Refusal(400, "invalid_grant", "wrong transaction code (PIN)")
        self._revoke(offer_id, offer)  # a pre-authorized code buys one token
        c_nonce = new_id()
        access_token = self._tokens.put(_Grant(offer.claims, c_nonce), self.token_ttl)
        LOGGER.info("credential offer %s redeemed", offer_id)
        return {"access_token": access_token, "token_type": "bearer", "expires_in": int(self.token_ttl),
                "c_nonce": c_nonce, "c_nonce_expires_in": int(self.token_ttl)}

    def _revoke(self, offer_id: str, offer: _Offer) -> None:
        self._codes.remove(offer.code)
        self._offers.remove(offer_id)

    # -- credential -------------------------------------------------------------------------------
    async def credential(self, authorization: str, body: Any) -> dict[str, Any]:
        scheme, _, access_token = (authorization or "").partition(" ")
        if scheme.lower() not in ("bearer", "dpop") or not access_token:
            raise _Refusal(401, "invalid_token", "a Bearer access token is required")
        state, grant = self._tokens.lookup(access_token.strip())
        if grant is None:
            raise _Refusal(401, "invalid_token", "the access token has expired" if state == EXPIRED
                           else "unknown or already used access token")
        if not isinstance(body, Mapping):
            raise _Refusal(400, "invalid_credential_request", "the credential request must be a JSON object")
        if body.get("format") != FORMAT and body.get("credential_identifier") != CONFIGURATION_ID:
            raise _Refusal(400, "unsupported_credential_format", f"only {FORMAT} is issued")
        if body.get("format") == FORMAT and body.get("vct") not in (None, VCT):
            raise _Refusal(400, "unsupported_credential_type", f"only vct {VCT} is issued")
        cnf = self._proof(body.get("proof"), grant)
        signed = await sign_sd_jwt_vc(self.admin, self.issuer_did, grant.claims, cnf)
        self._tokens.remove(access_token.strip())  # one credential per offer
        LOGGER.info("SD-JWT VC issued (holder bound by %s)", "jwk" if "jwk" in cnf else "did:key")
        return {"credential": signed, "c_nonce": new_id(), "c_nonce_expires_in": int(self.token_ttl)}

    def _proof(self, proof: Any, grant: _Grant) -> dict[str, Any]:
        """The holder's key (the credential's `cnf`) from a valid proof of possession."""
        def refuse(description: str) -> _Refusal:
            grant.c_nonce = new_id()
            return _Refusal(400, "invalid_proof", description, c_nonce=grant.c_nonce,
                            c_nonce_expires_in=int(self.token_ttl))

        if not isinstance(proof, Mapping) or proof.get("proof_type") != "jwt":
            raise refuse("a proof of possession of proof_type jwt is required")
        try:
            jws = read_jws(proof.get("jwt"), "the proof of possession")
            if jws.header.get("typ") != PROOF_TYP:
                raise refuse(f"the proof of possession's typ must be {PROOF_TYP}")
            jwk, kid = jws.header.get("jwk"), jws.header.get("kid")
            if (jwk is None) == (kid is None):
                raise refuse("the proof of possession must name its key by exactly one of jwk and kid")
            if jwk is not None:
                key, cnf = ed25519_of_jwk(jwk), {"jwk": {k: jwk[k] for k in ("kty", "crv", "x")}}
            else:
                if not isinstance(kid, str) or "#" not in kid:
                    raise refuse("the proof of possession's kid must be a did:key URL")
                key, cnf = ed25519_of_did_key(kid), {"kid": f"{did_key_of(kid)}#{kid.partition('#')[2]}"}
            jws.verify(key, "the proof of possession")
        except JoseError as exc:
            raise refuse(str(exc)) from None
        payload = jws.payload
        audience = payload.get("aud")
        if audience != self.base_url and not (isinstance(audience, list) and self.base_url in audience):
            raise refuse("the proof of possession is addressed to another credential issuer (aud)")
        if not isinstance(payload.get("nonce"), str) or not hmac.compare_digest(payload["nonce"], grant.c_nonce):
            raise refuse("the proof of possession does not carry this issuer's c_nonce")
        iat = payload.get("iat")
        if not isinstance(iat, (int, float)) or abs(time.time() - iat) > PROOF_MAX_AGE:
            raise refuse("the proof of possession is not fresh (iat)")
        return cnf

    # -- HTTP -------------------------------------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        async def issuer_metadata(_request: web.Request) -> web.Response:
            return web.json_response(self.metadata())

        async def as_metadata(_request: web.Request) -> web.Response:
            return web.json_response(self.authorization_server_metadata())

        async def offer(request: web.Request) -> web.Response:
            try:
                return web.json_response(self.offer_document(request.match_info["offer_id"]),
                                         headers={"Cache-Control": "no-store"})
            except _Refusal as refusal:
                return refusal.response()

        async def token(request: web.Request) -> web.Response:
            try:
                form = await request.post()
                answer = self.token({k: str(v) for k, v in form.items()})
            except _Refusal as refusal:
                return refusal.response()
            return web.json_response(answer, headers={"Cache-Control": "no-store"})

        async def credential(request: web.Request) -> web.Response:
            try:
                try:
                    body = await request.json()
                except ValueError:
                    body = None
                answer = await self.credential(request.headers.get("Authorization", ""), body)
            except _Refusal as refusal:
                return refusal.response()
            return web.json_response(answer, headers={"Cache-Control": "no-store"})

        return [
            web.get("/.well-known/openid-credential-issuer", issuer_metadata),
            web.get("/.well-known/oauth-authorization-server", as_metadata),
            web.get("/oid4vci/offers/{offer_id}", offer),
            web.post("/oid4vci/token", token),
            web.post("/oid4vci/credential", credential),
        ]
