"""The UtilityEmissionsCredential: what the auditor signs for one anchored billing period, and how
anyone reads it back.

Two layers, both signed:

- claims a person reads, typed by the project context: utility, account, period, which GHG
  Protocol scope the record covers (`ghgScope`), the figures of that scope, the factor, the bill's
  content id and hash, the ledger anchor. Scope 2 (purchased electricity): kWh and tCO2e location-
  and market-based. Scope 1 (fuel burned on site, e.g. natural gas): the fuel, the quantity in the
  bill's unit, its energy in mmBtu and tCO2e, with the fuel edition's per-mmBtu factors and GWP set.
  Every figure's unit is in its name (Kwh, Tco2e = tonnes CO2e, KgPerMmbtu, ...);
- `recordDetail`: the exact private record detail the ledger hashed (JSON-LD `@json`, so it is
  signed as canonical JSON and survives expansion unchanged), salt included: the salt is what lets
  the holder and whoever it presents to recompute the ledger's hash, and nobody else. A verifier
  hashes it and asks the ledger's VerifyRecord; the readable claims must agree with it, and its
  hash with the public record, which carries no figures of its own.

`recordDetail` is a term of the project context (v1), typed `@json`. The credential id is derived from the record id, so reissuing after a crash
offers the same credential, and an auditor can recognise an offer it already made.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credentials import vocabulary as v

__all__ = [
    "CREDENTIAL_TYPE",
    "CREDENTIAL_CONTEXTS",
    "CREDENTIAL_TYPE_IRI",
    "FUEL_FACTOR_TERMS",
    "SCOPE_1_TERMS",
    "SCOPE_2_TERMS",
    "LedgerAnchor",
    "EmissionsClaims",
    "CredentialFormatError",
    "credential_id_for",
    "emissions_credential",
    "read_emissions_credential",
    "record_scope",
]

CREDENTIAL_TYPE = v.EMISSIONS_TYPE
CREDENTIAL_TYPE_IRI = v.EMISSIONS_TYPE_IRI
CREDENTIAL_CONTEXTS = (v.CREDENTIALS_V1, v.PROJECT_CONTEXT)  # the proof suite brings its own
_ID_NAMESPACE = uuid.UUID("5b0f3c3e-8a43-4f0e-9d55-0c1d7a1e6a10")  # this project's credential ids

# The subject's figures of each scope; a credential carries those of its own scope and no other.
SCOPE_2_TERMS = ("electricityKwh", "locationBasedTco2e", "marketBasedTco2e")
SCOPE_1_TERMS = ("fuel", "fuelQuantity", "fuelUnit", "fuelEnergyMmbtu", "scope1Tco2e")
# Scope 1 factor claims -> their keys in the detail's emissions.factor (EPA GHG Hub Table 1, per mmBtu).
FUEL_FACTOR_TERMS: Mapping[str, str] = {
    "co2KgPerMmbtu": "kg_co2_per_mmbtu",
    "ch4GPerMmbtu": "g_ch4_per_mmbtu",
    "n2oGPerMmbtu": "g_n2o_per_mmbtu",
    "heatContentMmbtuPerScf": "heat_content_mmbtu_per_scf",
}
_SCOPES = {"1": 1, "2": 2}


class CredentialFormatError(ValueError):
    """The document is not a UtilityEmissionsCredential this project can read; says which part."""


@dataclass(frozen=True)
class LedgerAnchor:
    """Where the record sits: enough for anyone with channel access to find and check it."""

    channel: str
    chaincode: str
    record_id: str
    transaction_id: str
    block_number: int

    def to_json(self) -> dict[str, str]:
        return {"channel": self.channel, "chaincode": self.chaincode, "recordId": self.record_id,
                "transactionId": self.transaction_id, "blockNumber": str(self.block_number)}


def credential_id_for(record_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, record_id)}"


def _date(instant: str) -> str:
    return instant[:10]  # RFC 3339 UTC text from the ledger: its date part


def record_scope(record: Mapping[str, Any]) -> int:
    """The GHG scope of a public record; records written before Scope 1 existed carry none and
    are electricity (as the chaincode reads them)."""
    return record.get("scope", 2)


def _scope_2_claims(record: Mapping[str, Any], emissions: Mapping[str, Any]) -> dict[str, Any]:
    location, market = emissions["location"], emissions["market"]
    return {
        "electricityKwh": emissions["kwh"],
        "locationBasedTco2e": location["emissions"]["co2e_t"],
        "marketBasedTco2e": market["emissions"]["co2e_t"],
        "emissionFactor": {
            "factorLevel": location["method"],
            "factorEdition": record["edition"],
            "factorSource": location["source"],
            "locationFactorKgPerKwh": location["factor"]["co2e_kg_per_kwh"],
            "marketFactorKgPerKwh": market["factor"]["co2e_kg_per_kwh"],
        },
    }


def _scope_1_claims(record: Mapping[str, Any], detail: Mapping[str, Any]) -> dict[str, Any]:
    emissions = detail["emissions"]
    if emissions.get("scope") != 1 or emissions.get("fuel") != record.get("fuel"):
        raise CredentialFormatError(f"the record is scope 1 {record.get('fuel')} but its detail holds "
                                    f"{emissions.get('fuel') or 'electricity'} figures")
    factor = emissions["factor"]
    return {
        "fuel": emissions["fuel"],
        "fuelQuantity": emissions["quantity"],
        "fuelUnit": emissions["unit"],
        "fuelEnergyMmbtu": emissions["mmbtu"],
        "scope1Tco2e": emissions["emissions"]["co2e_t"],
        "emissionFactor": {
            "factorEdition": record["edition"],
            "factorSource": detail["factor_reason"],
            "gwpSet": emissions["gwp"]["name"],
            **{term: factor[key] for term, key in FUEL_FACTOR_TERMS.items()},
        },
    }


def emissions_credential(*, issuer_did: str, record: Mapping[str, Any], detail: Mapping[str, Any],
                         anchor: LedgerAnchor) -> dict[str, Any]:
    """The unsigned credential for an anchored record (`record`: the public record as the ledger
    returned it; `detail`: the private detail document as the ledger stored it), Scope 1 or 2 as
    the record says."""
    if record["record_id"] != detail.get("record_id") or record["record_id"] != anchor.record_id:
        raise CredentialFormatError("record, detail and anchor name different records")
    scope = record_scope(record)
    bill = detail["bill"]
    if scope == 1:
        figures = _scope_1_claims(record, detail)
    elif scope == 2:
        figures = _scope_2_claims(record, detail["emissions"])
    else:
        raise CredentialFormatError(f"the record's scope must be 1 or 2, got {scope!r}")
    return {
        "@context": list(CREDENTIAL_CONTEXTS),
        "id": credential_id_for(record["record_id"]),
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": issuer_did,
        # The ledger's transaction time: the same on every reissue, and the moment the issuer had
        # to be an active auditor (RecordEmissions refuses inactive ones).
        "issuanceDate": record["recorded_at"],
        "credentialSubject": {
            "id": detail["customer_did"],
            "utilityEiaId": str(record["utility_id"]),
            "accountId": detail["account_id"],
            "servicePointId": detail["service_point_id"],
            "periodStart": _date(record["period_start"]),
            "periodEnd": _date(record["period_end"]),
            "ghgScope": str(scope),
            **figures,
            "billContentId": bill["content_id"],
            "billSha256": bill["sha256"],
            "ledgerAnchor": anchor.to_json(),
            "recordDetail": dict(detail),
        },
    }


@dataclass(frozen=True)
class EmissionsClaims:
    """A received credential's claims, read strictly (each missing or mistyped part is an error).
    The figures of the other scope are None: kwh and the tCO2e location/market for scope 2, the
    fuel fields for scope 1."""

    credential_id: str
    issuer: str
    issued: datetime
    subject: str
    utility_id: int
    account_id: str
    service_point_id: str
    period_start: str
    period_end: str
    kwh: str | None
    location_tco2e: str | None
    market_tco2e: str | None
    factor_edition: str
    bill_content_id: str
    bill_sha256: str
    anchor: LedgerAnchor
    record_detail: dict[str, Any]
    scope: int = 2
    fuel: str | None = None
    fuel_quantity: str | None = None
    fuel_unit: str | None = None
    fuel_mmbtu: str | None = None
    scope1_tco2e: str | None = None
    gwp_set: str | None = None
    factor_source: str | None = None  # scope 1: the detail's factor_reason, e.g. the Hub table and fuel
    fuel_factors: dict[str, str] = field(default_factory=dict)  # FUEL_FACTOR_TERMS keys -> as stated


def _text(document: Mapping[str, Any], key: str, where: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise CredentialFormatError(f"{where}.{key} must be a non-empty string")
    return value


def _object(document: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = document.get(key)
    if not isinstance(value, Mapping):
        raise CredentialFormatError(f"{where}.{key} must be an object")
    return value


def _scope(subject: Mapping[str, Any], where: str) -> int:
    # Credentials issued before Scope 1 existed state no scope, and all of them are electricity.
    stated = subject.get("ghgScope", "2")
    if not isinstance(stated, str) or stated not in _SCOPES:
        raise CredentialFormatError(f'{where}.ghgScope must be "1" or "2", got {stated!r}')
    scope = _SCOPES[stated]
    foreign = [term for term in (SCOPE_2_TERMS if scope == 1 else SCOPE_1_TERMS) if term in subject]
    if foreign:
        raise CredentialFormatError(f"{where} says ghgScope {scope} but carries {', '.join(foreign)} "
                                    f"of scope {3 - scope}")
    return scope


def _scope_figures(subject: Mapping[str, Any], factor: Mapping[str, Any], scope: int, where: str) -> dict[str, Any]:
    if scope == 2:
        return {"kwh": _text(subject, "electricityKwh", where),
                "location_tco2e": _text(subject, "locationBasedTco2e", where),
                "market_tco2e": _text(subject, "marketBasedTco2e", where)}
    return {"kwh": None, "location_tco2e": None, "market_tco2e": None,
            "fuel": _text(subject, "fuel", where),
            "fuel_quantity": _text(subject, "fuelQuantity", where),
            "fuel_unit": _text(subject, "fuelUnit", where),
            "fuel_mmbtu": _text(subject, "fuelEnergyMmbtu", where),
            "scope1_tco2e": _text(subject, "scope1Tco2e", where),
            "gwp_set": _text(factor, "gwpSet", f"{where}.emissionFactor"),
            "factor_source": _text(factor, "factorSource", f"{where}.emissionFactor"),
            "fuel_factors": {term: _text(factor, term, f"{where}.emissionFactor") for term in FUEL_FACTOR_TERMS}}


def read_emissions_credential(credential: Mapping[str, Any]) -> EmissionsClaims:
    if not isinstance(credential, Mapping):
        raise CredentialFormatError("the credential must be a JSON object")
    if CREDENTIAL_TYPE not in (credential.get("type") or []):
        raise CredentialFormatError(f"not a {CREDENTIAL_TYPE} (type is {credential.get('type')!r})")
    issuer = credential.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer, str) or not issuer.startswith("did:"):
        raise CredentialFormatError("issuer must be a DID")
    try:
        issued = datetime.fromisoformat(_text(credential, "issuanceDate", "credential"))
    except ValueError:
        raise CredentialFormatError("issuanceDate is not an RFC 3339 date-time") from None
    if issued.tzinfo is None:
        raise CredentialFormatError("issuanceDate must carry a time zone")
    subject = _object(credential, "credentialSubject", "credential")
    where = "credentialSubject"
    anchor_doc = _object(subject, "ledgerAnchor", where)
    block = _text(anchor_doc, "blockNumber", f"{where}.ledgerAnchor")
    if not block.isdigit():
        raise CredentialFormatError(f"{where}.ledgerAnchor.blockNumber must be digits")
    utility = _text(subject, "utilityEiaId", where)
    if not utility.isdigit():
        raise CredentialFormatError(f"{where}.utilityEiaId must be an EIA utility number")
    factor = _object(subject, "emissionFactor", where)
    scope = _scope(subject, where)
    return EmissionsClaims(
        credential_id=str(credential.get("id", "")),
        issuer=issuer,
        issued=issued,
        subject=_text(subject, "id", where),
        utility_id=int(utility),
        account_id=_text(subject, "accountId", where),
        service_point_id=_text(subject, "servicePointId", where),
        period_start=_text(subject, "periodStart", where),
        period_end=_text(subject, "periodEnd", where),
        factor_edition=_text(factor, "factorEdition", f"{where}.emissionFactor"),
        bill_content_id=_text(subject, "billContentId", where),
        bill_sha256=_text(subject, "billSha256", where),
        anchor=LedgerAnchor(
            channel=_text(anchor_doc, "channel", f"{where}.ledgerAnchor"),
            chaincode=_text(anchor_doc, "chaincode", f"{where}.ledgerAnchor"),
            record_id=_text(anchor_doc, "recordId", f"{where}.ledgerAnchor"),
            transaction_id=_text(anchor_doc, "transactionId", f"{where}.ledgerAnchor"),
            block_number=int(block),
        ),
        record_detail=dict(_object(subject, "recordDetail", where)),
        scope=scope,
        **_scope_figures(subject, factor, scope, where),
    )
