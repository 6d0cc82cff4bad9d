"""The credential's shape and strict reading, and the verdict's invariants (no agents, no ledger)."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from agents.contexts import context_document
from chaincode.emissions.combustion import calculate_combustion
from chaincode.emissions.shipped import load_fuel_editions
from credentials import (
    CredentialFormatError,
    LedgerAnchor,
    credential_id_for,
    emissions_credential,
    read_emissions_credential,
)
from controllers.issuance.progress import ProgressBar
from controllers.verifier import Check, Verdict, emissions_definition
from controllers.verifier.checks import EmissionsVerifier
from credentials.vocabulary import PROJECT_CONTEXT

RID = "ab" * 32
DETAIL = {"record_id": RID, "salt": "5a" * 16, "customer_did": "did:key:z6MkCustomer", "account_id": "ACCT-1",
          "service_point_id": "SP-1", "bill": {"format": "espi-atom+xml", "content_id": "bafkreiabc", "sha256": "c" * 64},
          "emissions": {"kwh": "600.5", "location": {"method": "subregion", "source": "eGRID2023 subregion CAMX",
                                                     "factor": {"co2e_kg_per_kwh": "0.19504"}, "emissions": {"co2e_t": "0.117123"}},
                        "market": {"factor": {"co2e_kg_per_kwh": "0.19504"}, "emissions": {"co2e_t": "0.117123"}}}}
RECORD = {"record_id": RID, "recorded_at": "2025-03-01T10:00:00.5Z", "utility_id": 14328,
          "period_start": "2024-01-01T08:00:00Z", "period_end": "2024-02-01T08:00:00Z", "edition": "eGRID2023",
          "detail_hash": "d" * 64}
ANCHOR = LedgerAnchor("utilityemissions", "emissions", RID, "f" * 64, 7)


HUB = load_fuel_editions()[-1]
GAS_RID = "cd" * 32
GAS_EMISSIONS = calculate_combustion(Decimal(50), "therm", "natural_gas", HUB, start=datetime(2024, 1, 1, 8, tzinfo=UTC),
                                     end=datetime(2024, 2, 1, 8, tzinfo=UTC)).to_json_dict()
GAS_DETAIL = {"record_id": GAS_RID, "salt": "6b" * 16, "customer_did": "did:key:z6MkCustomer", "account_id": "GAS-1",
              "service_point_id": "SP-1", "bill": {"format": "espi-atom+xml", "content_id": "bafkreigas", "sha256": "e" * 64},
              "factor_reason": f"{HUB.source}: natural_gas, per mmBtu", "emissions": GAS_EMISSIONS}
GAS_RECORD = {**RECORD, "record_id": GAS_RID, "scope": 1, "fuel": "natural_gas", "edition": "GHGHub2024",
              "gwp_set": "AR5"}
GAS_ANCHOR = LedgerAnchor("utilityemissions", "emissions", GAS_RID, "a" * 64, 8)


def credential():
    return emissions_credential(issuer_did="did:key:z6MkAuditor", record=RECORD, detail=DETAIL, anchor=ANCHOR)


def gas_credential():
    return emissions_credential(issuer_did="did:key:z6MkAuditor", record=GAS_RECORD, detail=GAS_DETAIL,
                                anchor=GAS_ANCHOR)


def test_credential_carries_claims_anchor_and_the_exact_detail():
    document = credential()
    subject = document["credentialSubject"]
    assert document["id"] == credential_id_for(RID) == credential()["id"]  # stable across reissues
    assert document["issuanceDate"] == RECORD["recorded_at"]
    assert subject["ledgerAnchor"] == {"channel": "utilityemissions", "chaincode": "emissions", "recordId": RID,
                                       "transactionId": "f" * 64, "blockNumber": "7"}
    assert subject["recordDetail"] == DETAIL and subject["id"] == DETAIL["customer_did"]
    assert (subject["periodStart"], subject["periodEnd"]) == ("2024-01-01", "2024-02-01")
    claims = read_emissions_credential(document)
    assert (claims.anchor, claims.kwh, claims.utility_id) == (ANCHOR, "600.5", 14328)


def test_an_electricity_credential_says_it_covers_scope_2():
    subject = credential()["credentialSubject"]
    assert subject["ghgScope"] == "2" and "fuel" not in subject and "scope1Tco2e" not in subject
    claims = read_emissions_credential(credential())
    assert (claims.scope, claims.fuel, claims.scope1_tco2e) == (2, None, None)


def test_a_gas_credential_states_scope_1_fuel_quantity_unit_and_tonnes():
    document = gas_credential()
    subject = document["credentialSubject"]
    assert (subject["ghgScope"], subject["fuel"], subject["fuelQuantity"], subject["fuelUnit"],
            subject["fuelEnergyMmbtu"], subject["scope1Tco2e"]) == ("1", "natural_gas", "50", "therm", "5.0", "0.265572")
    assert subject["emissionFactor"] == {
        "factorEdition": "GHGHub2024", "factorSource": GAS_DETAIL["factor_reason"], "gwpSet": "AR5",
        "co2KgPerMmbtu": "53.06", "ch4GPerMmbtu": "1.0", "n2oGPerMmbtu": "0.10", "heatContentMmbtuPerScf": "0.001026"}
    assert not {"electricityKwh", "locationBasedTco2e", "marketBasedTco2e"} & set(subject)
    assert subject["recordDetail"] == GAS_DETAIL  # salt included, exactly as the ledger hashed it
    claims = read_emissions_credential(document)
    assert (claims.scope, claims.fuel, claims.fuel_quantity, claims.fuel_unit, claims.scope1_tco2e, claims.gwp_set) == \
        (1, "natural_gas", "50", "therm", "0.265572", "AR5")
    assert (claims.kwh, claims.location_tco2e, claims.market_tco2e) == (None, None, None)
    assert claims.factor_edition == "GHGHub2024" and claims.fuel_factors["co2KgPerMmbtu"] == "53.06"


def _terms(document, path=""):
    for key, value in document.items():
        if key in ("id", "type", "recordDetail"):  # JSON-LD keywords, and the @json detail holds no terms
            continue
        yield key, f"{path}{key}"
        if isinstance(value, dict):
            yield from _terms(value, f"{path}{key}.")


@pytest.mark.parametrize("build", [credential, gas_credential], ids=["scope 2", "scope 1"])
def test_every_claim_is_a_term_of_the_project_context_and_figures_are_decimals(build):
    # The agents and the verifier's offline loader read this one document (agents.contexts); a
    # claim it does not define would make ACA-Py refuse to sign.
    context = context_document(PROJECT_CONTEXT)["@context"]
    for term, where in _terms(build()["credentialSubject"]):
        assert term in context, where
        unit_in_name = re.search(r"(Kwh|Tco2e|Mmbtu|PerKwh|PerMmbtu|PerScf|Quantity)$", term)
        if unit_in_name:
            assert context[term]["@type"] == "xsd:decimal", where


def test_a_credential_from_before_scopes_reads_as_electricity():
    document = credential()
    del document["credentialSubject"]["ghgScope"]
    assert read_emissions_credential(document).scope == 2


def test_a_gas_record_whose_detail_holds_electricity_figures_is_refused():
    with pytest.raises(CredentialFormatError, match="the record is scope 1 natural_gas but its detail holds electricity"):
        emissions_credential(issuer_did="did:key:z6MkA", record={**RECORD, "scope": 1, "fuel": "natural_gas"},
                             detail=DETAIL, anchor=ANCHOR)


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(ghgScope="3"), r'ghgScope must be "1" or "2", got \'3\''),
    (lambda s: s.update(ghgScope=1), r'ghgScope must be "1" or "2", got 1'),
    (lambda s: s.update(ghgScope="2"), "says ghgScope 2 but carries fuel, fuelQuantity, fuelUnit, fuelEnergyMmbtu, "
                                       "scope1Tco2e of scope 1"),
    (lambda s: s.update(electricityKwh="50"), "says ghgScope 1 but carries electricityKwh of scope 2"),
    (lambda s: s.pop("scope1Tco2e"), r"credentialSubject.scope1Tco2e must be a non-empty string"),
    (lambda s: s.pop("fuelUnit"), r"credentialSubject.fuelUnit must be a non-empty string"),
    (lambda s: s["emissionFactor"].pop("gwpSet"), r"credentialSubject.emissionFactor.gwpSet must be"),
    (lambda s: s["emissionFactor"].pop("co2KgPerMmbtu"), r"credentialSubject.emissionFactor.co2KgPerMmbtu must be"),
])
def test_reading_a_gas_credential_names_the_broken_part(change, message):
    document = copy.deepcopy(gas_credential())
    change(document["credentialSubject"])
    with pytest.raises(CredentialFormatError, match=message):
        read_emissions_credential(document)


def _consistent(document) -> Check:
    checks: list[Check] = []
    EmissionsVerifier._consistent(read_emissions_credential(document), checks)
    return checks[0]


def test_a_gas_credential_agrees_with_the_detail_it_carries():
    assert _consistent(gas_credential()) == Check("consistent", True, "claims agree with the record detail")
    assert _consistent(credential()).ok


@pytest.mark.parametrize("change, reason", [
    (lambda s: s.update(scope1Tco2e="0.000001"), "scope1Tco2e differs from the record detail"),
    (lambda s: s.update(fuel="propane"), "fuel differs from the record detail"),
    (lambda s: s.update(fuelQuantity="5", fuelUnit="dekatherm"), "fuelQuantity, fuelUnit differ from the record detail"),
    (lambda s: s["emissionFactor"].update(gwpSet="AR6", co2KgPerMmbtu="1"),
     "gwpSet, co2KgPerMmbtu differ from the record detail"),
    (lambda s: s["recordDetail"]["emissions"].pop("scope"), "ghgScope differs from the record detail"),
])
def test_gas_claims_that_disagree_with_the_carried_detail_are_named(change, reason):
    document = copy.deepcopy(gas_credential())
    change(document["credentialSubject"])
    assert _consistent(document) == Check("consistent", False, reason)


def _resolve(document, path: str):
    for key in path.removeprefix("$.").split("."):
        document = document[key]
    return document


def test_the_verifiers_request_matches_credentials_of_either_scope():
    for record_ids in (None, [RID, GAS_RID]):
        fields = emissions_definition(record_ids)["input_descriptors"][0]["constraints"]["fields"]
        for document in (credential(), gas_credential()):
            for field in fields:
                value = _resolve(document, field["path"][0])  # KeyError: a field one scope lacks
                wanted = field.get("filter") or {}
                if "pattern" in wanted:
                    assert re.fullmatch(wanted["pattern"].strip("^$"), value)
                if "enum" in wanted:
                    assert value in wanted["enum"]


def test_mismatched_record_and_detail_are_refused():
    with pytest.raises(CredentialFormatError, match="different records"):
        emissions_credential(issuer_did="did:key:z6MkA", record=RECORD, detail={**DETAIL, "record_id": "x"}, anchor=ANCHOR)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(type=["VerifiableCredential"]), "not a UtilityEmissionsCredential"),
    (lambda c: c.update(issuer="someone"), "issuer must be a DID"),
    (lambda c: c.update(issuanceDate="2025-03-01T10:00:00"), "time zone"),
    (lambda c: c["credentialSubject"]["ledgerAnchor"].update(blockNumber="seven"), "blockNumber must be digits"),
    (lambda c: c["credentialSubject"].pop("recordDetail"), "recordDetail must be an object"),
    (lambda c: c["credentialSubject"].update(utilityEiaId="PGE"), "EIA utility number"),
])
def test_reading_names_the_broken_part(change, message):
    document = copy.deepcopy(credential())
    change(document)
    with pytest.raises(CredentialFormatError, match=message):
        read_emissions_credential(document)


def test_a_verdict_is_verified_only_with_every_check_passed():
    with pytest.raises(ValueError):
        Verdict("verified", (Check("issuer", False, "unknown"),))
    with pytest.raises(ValueError):
        Verdict("verified", ())
    rejected = Verdict("rejected", (Check("issuer", True), Check("detail hash", False, "differs")))
    assert not rejected.verified and rejected.reasons == ["detail hash: differs"]
    assert rejected.to_json()["verified"] is False


def test_progress_bar_writes_a_line_per_tenth_when_not_a_terminal(capsys):
    import sys

    bar = ProgressBar(20, "issuing", stream=sys.stderr)
    for n in range(20):
        bar.advance(ok=n != 3)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10 and lines[-1].endswith("20/20, 1 failed")
