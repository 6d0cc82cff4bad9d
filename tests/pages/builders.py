"""Credentials and records shaped as the wallet holds them, built with the project's own builders."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from controllers.customer.emissions import MatchingCredential, SharingRequest
from controllers.customer.store import ConsentRecord
from chaincode.emissions.combustion import calculate_combustion
from chaincode.emissions.shipped import load_fuel_editions
from credentials import LedgerAnchor, emissions_credential
from credentials.account import AccountClaims, account_credential
from datetime import UTC, datetime

CUSTOMER = "did:key:z6MkCustomerWallet"
AUDITOR = "did:key:z6MkAuditorGreenAudit"
UTILITY = 14328


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def monthly_vc(year: int, month: int, kwh: str, location: str, market: str | None = None, *,
               account: str = "ACCT-1", service_point: str = "SP-1", utility: int = UTILITY,
               recorded_at: str | None = None, market_method: str = "location-fallback",
               market_factor: str = "0.19504", salt: str = "", hourly: int = 0) -> dict[str, Any]:
    """One month's UtilityEmissionsCredential, as the auditor issues it (periods are UTC instants
    of local midnight; the detail is what the ledger hashed)."""
    market = location if market is None else market
    record_id = hashlib.sha256(f"{account}{service_point}{year}{month}{recorded_at}{salt}".encode()).hexdigest()
    ny, nm = _next_month(year, month)
    start, end = f"{year}-{month:02d}-01T08:00:00Z", f"{ny}-{nm:02d}-01T08:00:00Z"
    location_source = "eGRID2023 subregion CAMX"
    bill = {"format": "espi-atom+xml", "content_id": "bafkrei" + record_id[:20],
            "sha256": hashlib.sha256(record_id.encode()).hexdigest()}
    detail = {
        "record_id": record_id, "salt": hashlib.sha256(record_id.encode() + b"salt").hexdigest()[:32],
        "customer_did": CUSTOMER, "account_id": account, "service_point_id": service_point, "bill": bill,
        "emissions": {
            "start": start, "end": end, "kwh": kwh,
            "location": {"basis": "location", "method": "subregion", "source": location_source, "fallback": False,
                         "factor": {"co2e_lb_per_mwh": "429.992", "co2e_kg_per_kwh": "0.19504"},
                         "emissions": {"co2e_t": location}},
            "market": {"basis": "market", "method": market_method,
                       "source": location_source if market_method == "location-fallback" else "Utility disclosure 2024",
                       "fallback": market_method == "location-fallback",
                       "factor": {"co2e_lb_per_mwh": "429.992", "co2e_kg_per_kwh": market_factor},
                       "emissions": {"co2e_t": market}},
            "hourly": [{"start": start, "kwh": "1", "location_co2e_kg": "0.195", "market_co2e_kg": "0.195"}] * hourly,
        },
    }
    record = {
        "record_id": record_id, "recorded_at": recorded_at or f"{ny}-{nm:02d}-05T10:00:00Z", "utility_id": utility,
        "period_start": start, "period_end": end, "edition": "eGRID2023",
    }
    anchor = LedgerAnchor("utilityemissions", "emissions", record_id, "f" * 63 + str(month % 10), 7 + month)
    return emissions_credential(issuer_did=AUDITOR, record=record, detail=detail, anchor=anchor)


def monthly_gas_vc(year: int, month: int, quantity: str = "50", unit: str = "therm", *, account: str = "GAS-1",
                   service_point: str = "SP-GAS-1", utility: int = UTILITY, fuel: str = "natural_gas",
                   recorded_at: str | None = None, salt: str = "") -> dict[str, Any]:
    """One month's Scope 1 UtilityEmissionsCredential for gas burned on site, its figures computed
    as the chaincode computes them (the Hub's shipped edition)."""
    hub = load_fuel_editions()[-1]
    record_id = hashlib.sha256(f"gas{account}{service_point}{year}{month}{recorded_at}{salt}".encode()).hexdigest()
    ny, nm = _next_month(year, month)
    start = datetime(year, month, 1, 8, tzinfo=UTC)
    end = datetime(ny, nm, 1, 8, tzinfo=UTC)
    emissions = calculate_combustion(Decimal(quantity), unit, fuel, hub, start=start, end=end).to_json_dict()
    detail = {
        "record_id": record_id, "salt": hashlib.sha256(record_id.encode() + b"salt").hexdigest()[:32],
        "customer_did": CUSTOMER, "account_id": account, "service_point_id": service_point,
        "bill": {"format": "espi-atom+xml", "content_id": "bafkrei" + record_id[:20],
                 "sha256": hashlib.sha256(record_id.encode()).hexdigest()},
        "factor_reason": f"{hub.source}: {fuel}, per mmBtu",
        "emissions": emissions,
    }
    record = {
        "record_id": record_id, "recorded_at": recorded_at or f"{ny}-{nm:02d}-05T10:00:00Z", "utility_id": utility,
        "period_start": emissions["start"], "period_end": emissions["end"], "year": year, "scope": 1, "fuel": fuel,
        "edition": hub.edition, "gwp_set": hub.gwp.name,
    }
    anchor = LedgerAnchor("utilityemissions", "emissions", record_id, "e" * 63 + str(month % 10), 100 + month)
    return emissions_credential(issuer_did=AUDITOR, record=record, detail=detail, anchor=anchor)


def year_of_vcs(year: int, months: range = range(1, 13), **kwargs: Any) -> list[dict[str, Any]]:
    out = []
    for month in months:
        kwh = Decimal(500 + 10 * month)
        location = (kwh * Decimal("0.00019504")).quantize(Decimal("0.000001"))
        out.append(monthly_vc(year, month, str(kwh), str(location), **kwargs))
    return out


def account_vc(account: str = "ACCT-1", service_point: str = "SP-1") -> dict[str, Any]:
    vc = account_credential("did:key:z6MkUtilityIssuer", CUSTOMER,
                            AccountClaims(str(UTILITY), account, service_point), datetime(2024, 1, 3, tzinfo=UTC))
    return {**vc, "id": f"urn:uuid:acct-{account}"}


def consent_record(state: str = "pending", *, cred_ex_id: str = "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                   purpose: str = "Scope 2 emissions audit", account: str = "ACCT-1",
                   scope: tuple[str, ...] = ("billing", "usage"), reason: str | None = None) -> ConsentRecord:
    proposal = {
        "type": ["VerifiableCredential", "DataAccessConsentCredential"],
        "issuer": CUSTOMER,
        "credentialSubject": {
            "id": AUDITOR, "utilityEiaId": str(UTILITY), "accountId": account,
            "periodStart": "2024-01-01", "periodEnd": "2024-12-31", "scope": list(scope),
            "purpose": purpose, "consentExpires": "2025-06-30T00:00:00Z",
            "keyAgreementPublicKeyMultibase": "zPlaceholder",
        },
    }
    return ConsentRecord(cred_ex_id, "conn-1", state, proposal, None, None, reason, 1)


def sharing(vcs: list[dict[str, Any]], *, requester: str = "Green Bank", asked: tuple[str, ...] | None = None,
            comment: str = "For your green mortgage") -> SharingRequest:
    matches = []
    for vc in vcs:
        subject = vc["credentialSubject"]
        record = subject["ledgerAnchor"]["recordId"]
        if asked is None or record in asked:
            matches.append(MatchingCredential(f"w3c-{record[:8]}", record, subject["periodStart"],
                                              subject["periodEnd"], vc["issuer"]))
    return SharingRequest("pres-ex-1", requester, comment, asked, tuple(matches))
