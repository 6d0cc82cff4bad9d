"""The credential's shape and strict reading, and the verdict's invariants (no agents, no ledger)."""

from __future__ import annotations

import copy

import pytest

from credentials import (
    CredentialFormatError,
    LedgerAnchor,
    credential_id_for,
    emissions_credential,
    read_emissions_credential,
)
from controllers.issuance.progress import ProgressBar
from controllers.verifier import Check, Verdict

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


def credential():
    return emissions_credential(issuer_did="did:key:z6MkAuditor", record=RECORD, detail=DETAIL, anchor=ANCHOR)


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
