"""The emissions credential as an SD-JWT VC: its claims, signed by the auditor's agent, and a
presentation of it read back and checked.

Format: `vc+sd-jwt` (SD-JWT VC draft 04, the string of OpenID4VCI draft 13 and OpenID4VP draft 20,
what Credo 0.5.19 speaks). Issuer-signed JWT `typ: vc+sd-jwt`, EdDSA, `iss` the auditor's did:key,
`kid` its DID URL; `cnf` the holder's key from its proof of possession. Only the account id and the
service point id are selectively disclosable: a holder proves its emissions without its account.
Every other claim is plain: the period, the figures of the record's scope (kWh, or the fuel quantity
and unit, and tCO2e), the emission factor (edition, source), the bill's hash, the ledger anchor
(record id, transaction id, block), when the ledger recorded it (`recordedAt`) and the SHA-256 of
the record detail the ledger hashed (`detailSha256`). The detail itself (salt, account, figures) is
left out: it names the account. A verifier asks the ledger whether `detailSha256` is the private data
hash of the record; the auditor's signature binds the figures to it.

The signing is the agent's (`POST /wallet/sd-jwt/sign`, ACA-Py's own SD-JWT issuer from the `sd-jwt`
reference implementation); the issuer signature and the disclosures are checked with that library's
verifier, the parts it leaves out (the `typ`, the issuer's kid, unreferenced disclosures, an EdDSA
key-binding JWT with its `sd_hash`) here.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier

from controllers.acapy import AcaPyAdmin
from controllers.ledger import detail_hash
from controllers.oid4vc.jose import (JoseError, b64url, b64url_decode, did_key_of, ed25519_of_did_key, ed25519_of_jwk,
                                     jwk_of, read_jws)
from credentials import vocabulary as v
from credentials.emissions import (FUEL_FACTOR_TERMS, SCOPE_1_TERMS, SCOPE_2_TERMS, CredentialFormatError,
                                   EmissionsClaims, LedgerAnchor, credential_id_for, read_emissions_credential)

__all__ = ["FORMAT", "SELECTIVE", "VCT", "Presented", "PresentationRefused", "read_claims", "sd_jwt_claims",
           "sign_sd_jwt_vc", "verify_presentation"]

FORMAT = "vc+sd-jwt"
VCT = v.EMISSIONS_TYPE_IRI
SELECTIVE = ("accountId", "servicePointId")
_NEVER_SD = ("iss", "iat", "exp", "cnf", "vct")  # plain by ACA-Py's rule (and vct, listed plain)
KB_MAX_AGE = 300.0  # seconds a key-binding JWT is taken as fresh
KB_SKEW = 60.0


class PresentationRefused(Exception):
    """A presentation that is refused before any ledger check; `reason` is one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sd_jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The SD-JWT VC's claims (before `iat` and `cnf`) for a UtilityEmissionsCredential (signed or not)."""
    read_emissions_credential(credential)  # a credential this project can read, or CredentialFormatError
    subject = credential["credentialSubject"]
    scope_terms = SCOPE_1_TERMS if subject.get("ghgScope") == "1" else SCOPE_2_TERMS
    return {
        "vct": VCT,
        "iss": credential["issuer"] if isinstance(credential["issuer"], str) else credential["issuer"]["id"],
        "recordedAt": credential["issuanceDate"],
        "utilityEiaId": subject["utilityEiaId"],
        "periodStart": subject["periodStart"],
        "periodEnd": subject["periodEnd"],
        "ghgScope": subject.get("ghgScope", "2"),
        **{term: subject[term] for term in scope_terms},
        "emissionFactor": dict(subject["emissionFactor"]),
        "billSha256": subject["billSha256"],
        "ledgerAnchor": dict(subject["ledgerAnchor"]),
        "detailSha256": detail_hash(subject["recordDetail"]),
        "accountId": subject["accountId"],
        "servicePointId": subject["servicePointId"],
    }


def _paths(document: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The JSON paths ACA-Py's SD-JWT signer walks (nested objects; no lists in these claims)."""
    found = []
    for key, value in document.items():
        path = f"{prefix}.{key}" if prefix else key
        found.append(path)
        if isinstance(value, Mapping):
            found += _paths(value, path)
    return found


async def sign_sd_jwt_vc(admin: AcaPyAdmin, issuer_did: str, claims: Mapping[str, Any],
                         cnf: Mapping[str, Any]) -> str:
    """The SD-JWT VC (issuer JWT and disclosures, `~`-terminated) signed by the issuer's agent."""
    payload = {**claims, "iss": issuer_did, "iat": int(time.time()), "cnf": dict(cnf)}
    plain = [p for p in _paths(payload) if p.split(".")[0] not in _NEVER_SD and p not in SELECTIVE] + ["vct"]
    answer = await admin.request("POST", "/wallet/sd-jwt/sign", json={
        "verificationMethod": f"{issuer_did}#{issuer_did.removeprefix('did:key:')}",
        "headers": {"typ": FORMAT}, "payload": payload, "non_sd_list": plain,
    })
    signed = answer.get("results")
    if not isinstance(signed, str) or "~" not in signed:
        raise ValueError("the agent did not answer with an SD-JWT")
    return signed


@dataclass(frozen=True)
class Presented:
    claims: dict[str, Any]  # the issuer-signed claims with the disclosed ones in place
    issuer: str
    holder_key: Ed25519PublicKey
    disclosed: frozenset[str]


def _digests(document: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(document, Mapping):
        sd = document.get("_sd")
        if isinstance(sd, list):
            found |= {d for d in sd if isinstance(d, str)}
        for key, value in document.items():
            if key != "_sd":
                found |= _digests(value)
    elif isinstance(document, list):
        for item in document:
            if isinstance(item, Mapping) and set(item) == {"..."}:
                found.add(item["..."])
            else:
                found |= _digests(item)
    return found


def _holder_key(cnf: Any) -> Ed25519PublicKey:
    if not isinstance(cnf, Mapping):
        raise PresentationRefused("the credential is bound to no holder key (no cnf)")
    try:
        if "jwk" in cnf:
            return ed25519_of_jwk(cnf["jwk"])
        if isinstance(cnf.get("kid"), str):
            return ed25519_of_did_key(cnf["kid"])
    except JoseError as exc:
        raise PresentationRefused(f"the credential's holder key cannot be used: {exc}") from None
    raise PresentationRefused("the credential's cnf names neither a jwk nor a did:key kid")


def verify_presentation(token: str, *, audience: str, nonce: str, now: float | None = None) -> Presented:
    """An SD-JWT VC presentation with its key-binding JWT, bound to `audience` and `nonce`."""
    now = time.time() if now is None else now
    if not isinstance(token, str) or token.count("~") < 1:
        raise PresentationRefused("the vp_token is not an SD-JWT")
    parts = token.split("~")
    issuer_jwt, disclosures, kb_jwt = parts[0], parts[1:-1], parts[-1]
    if not kb_jwt:
        raise PresentationRefused("the presentation has no key-binding JWT")
    try:
        jws = read_jws(issuer_jwt, "the SD-JWT")
    except JoseError as exc:
        raise PresentationRefused(str(exc)) from None
    if jws.header.get("typ") not in (FORMAT, "dc+sd-jwt"):
        raise PresentationRefused(f"the SD-JWT's typ is {jws.header.get('typ')!r}, not {FORMAT}")
    issuer = jws.payload.get("iss")
    kid = jws.header.get("kid")
    if not isinstance(issuer, str) or not issuer.startswith("did:key:"):
        raise PresentationRefused("the SD-JWT's issuer is not a did:key")
    if not isinstance(kid, str) or (kid if kid.startswith("did:") else issuer + kid).partition("#")[0] != issuer:
        raise PresentationRefused("the SD-JWT's kid is not a key of its issuer")
    if jws.payload.get("_sd_alg", "sha-256") != "sha-256":
        raise PresentationRefused("the SD-JWT's digests are not SHA-256")
    # Every disclosure must be one the issuer signed a digest of: a changed one matches none.
    signed = _digests(jws.payload)
    for disclosure in disclosures:
        if b64url(hashlib.sha256(disclosure.encode("ascii", "replace")).digest()) not in signed:
            raise PresentationRefused("a disclosure matches no digest the issuer signed (tampered)")
    if len(set(disclosures)) != len(disclosures):
        raise PresentationRefused("a disclosure is repeated")
    try:
        issuer_key = JWK(**jwk_of(ed25519_of_did_key(issuer)))
        verified = SDJWTVerifier(f"{issuer_jwt}~{''.join(d + '~' for d in disclosures)}",
                                 lambda _iss, _header: issuer_key)
        claims = verified.get_verified_payload()
    except JoseError as exc:
        raise PresentationRefused(f"the SD-JWT's issuer key: {exc}") from None
    except JWException:
        raise PresentationRefused("the SD-JWT's issuer signature does not verify") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PresentationRefused(f"the SD-JWT cannot be read: {exc}") from None
    disclosed = set()
    for disclosure in disclosures:
        decoded = json.loads(b64url_decode(disclosure))
        if isinstance(decoded, list) and len(decoded) == 3 and isinstance(decoded[1], str):
            disclosed.add(decoded[1])
    holder_key = _holder_key(claims.get("cnf"))
    _check_key_binding(kb_jwt, token[: len(token) - len(kb_jwt)], holder_key, audience=audience, nonce=nonce, now=now)
    return Presented(claims, did_key_of(issuer), holder_key, frozenset(disclosed))


def _check_key_binding(kb_jwt: str, presented: str, holder_key: Ed25519PublicKey, *, audience: str, nonce: str,
                       now: float) -> None:
    try:
        kb = read_jws(kb_jwt, "the key-binding JWT")
        if kb.header.get("typ") != "kb+jwt":
            raise PresentationRefused("the key-binding JWT's typ is not kb+jwt")
        kb.verify(holder_key, "the key-binding JWT")
    except JoseError as exc:
        reason = str(exc)
        if "signature does not verify" in reason:
            reason = "the key-binding JWT's signature does not verify with the credential's holder key"
        raise PresentationRefused(reason) from None
    payload = kb.payload
    if payload.get("nonce") != nonce:
        raise PresentationRefused("the key-binding JWT's nonce is not this request's (replayed or forged)")
    if payload.get("aud") != audience:
        raise PresentationRefused("the key-binding JWT is addressed to another verifier (aud)")
    iat = payload.get("iat")
    if not isinstance(iat, (int, float)) or not now - KB_MAX_AGE <= iat <= now + KB_SKEW:
        raise PresentationRefused("the key-binding JWT is not fresh (iat)")
    if payload.get("sd_hash") != b64url(hashlib.sha256(presented.encode("ascii", "replace")).digest()):
        raise PresentationRefused("the key-binding JWT's sd_hash does not cover this presentation")


# -- the claims as the ledger checks read them ------------------------------------------------------
def _text(claims: Mapping[str, Any], key: str, where: str = "") -> str:
    value = claims.get(key)
    if not isinstance(value, str) or not value:
        raise CredentialFormatError(f"{where}{key} must be a non-empty string")
    return value


def read_claims(claims: Mapping[str, Any]) -> tuple[EmissionsClaims, str]:
    """The presented claims as `EmissionsClaims` (the withheld account and service point empty; no
    subject DID, no record detail) and the detail hash the issuer signed; CredentialFormatError."""
    if claims.get("vct") != VCT:
        raise CredentialFormatError(f"vct is {claims.get('vct')!r}, not {VCT}")
    anchor = claims.get("ledgerAnchor")
    factor = claims.get("emissionFactor")
    if not isinstance(anchor, Mapping) or not isinstance(factor, Mapping):
        raise CredentialFormatError("ledgerAnchor and emissionFactor must be objects")
    scope_text = claims.get("ghgScope")
    if scope_text not in ("1", "2"):
        raise CredentialFormatError('ghgScope must be "1" or "2"')
    scope = int(scope_text)
    utility, block = _text(claims, "utilityEiaId"), _text(anchor, "blockNumber", "ledgerAnchor.")
    if not utility.isdigit() or not block.isdigit():
        raise CredentialFormatError("utilityEiaId and ledgerAnchor.blockNumber must be digits")
    try:
        issued = datetime.fromisoformat(_text(claims, "recordedAt"))
    except ValueError:
        raise CredentialFormatError("recordedAt is not an RFC 3339 date-time") from None
    if issued.tzinfo is None:
        raise CredentialFormatError("recordedAt must carry a time zone")
    digest = _text(claims, "detailSha256")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise CredentialFormatError("detailSha256 must be 64 lowercase hex digits")
    record_id = _text(anchor, "recordId", "ledgerAnchor.")
    if scope == 2:
        figures: dict[str, Any] = {"kwh": _text(claims, "electricityKwh"),
                                   "location_tco2e": _text(claims, "locationBasedTco2e"),
                                   "market_tco2e": _text(claims, "marketBasedTco2e")}
    else:
        figures = {"kwh": None, "location_tco2e": None, "market_tco2e": None,
                   "fuel": _text(claims, "fuel"), "fuel_quantity": _text(claims, "fuelQuantity"),
                   "fuel_unit": _text(claims, "fuelUnit"), "fuel_mmbtu": _text(claims, "fuelEnergyMmbtu"),
                   "scope1_tco2e": _text(claims, "scope1Tco2e"),
                   "gwp_set": _text(factor, "gwpSet", "emissionFactor."),
                   "factor_source": _text(factor, "factorSource", "emissionFactor."),
                   "fuel_factors": {t: _text(factor, t, "emissionFactor.") for t in FUEL_FACTOR_TERMS}}
    account, service_point = claims.get("accountId", ""), claims.get("servicePointId", "")
    return EmissionsClaims(
        credential_id=credential_id_for(record_id),
        issuer=_text(claims, "iss"),
        issued=issued,
        subject="",
        utility_id=int(utility),
        account_id=account if isinstance(account, str) else "",
        service_point_id=service_point if isinstance(service_point, str) else "",
        period_start=_text(claims, "periodStart"),
        period_end=_text(claims, "periodEnd"),
        factor_edition=_text(factor, "factorEdition", "emissionFactor."),
        bill_content_id="",
        bill_sha256=_text(claims, "billSha256"),
        anchor=LedgerAnchor(channel=_text(anchor, "channel", "ledgerAnchor."),
                            chaincode=_text(anchor, "chaincode", "ledgerAnchor."),
                            record_id=record_id,
                            transaction_id=_text(anchor, "transactionId", "ledgerAnchor."),
                            block_number=int(block)),
        record_detail={},
        scope=scope,
        **figures,
    ), digest
