"""What a client needs to call the emissions chaincode, without the chaincode's runtime: the
contracts and their functions, the transient keys, the private collection, and the digest that
names a factor edition. The contracts take the transient keys, the collection and the digest from
here; a test pins that each contract serves exactly the functions listed, and that the ledger
client calls no other, so a client and the chaincode cannot drift apart."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from chaincode.emissions.canonical import canonical_json

__all__ = ["CHAINCODE", "CONTRACTS", "DETAILS_COLLECTION", "INDEX_SECRET_BYTES", "TRANSIENT_DETAIL",
           "TRANSIENT_INDEX_SECRET", "edition_digest", "fuel_edition_digest"]

CHAINCODE = "emissions"
CONTRACTS: Mapping[str, frozenset[str]] = {
    "AuditorRegistry": frozenset({"Bootstrap", "GetGovernance", "ProposeAuditor", "ProposeStatusChange",
                                  "ApproveProposal", "GetProposal", "ListProposals", "GetAuditor", "GetAuditorByDid",
                                  "AuditorHistory", "ListAuditors", "IsActiveAuditor"}),
    "FactorRegistry": frozenset({"CreateEdition", "LoadRegions", "LoadUtilities", "SealEdition", "GetEdition",
                                 "ListEditions", "GetUtility", "GetFactor", "SetMarketFactor", "GetMarketFactors",
                                 "LoadFuelEdition", "GetFuelEdition"}),
    "EmissionsRecords": frozenset({"RecordEmissions", "GetRecord", "GetRecordDetail", "QueryRecords", "RecordHistory",
                                   "VerifyRecord"}),
}
DETAILS_COLLECTION = "emissionsRecordDetails"  # the auditor orgs' private data: who, which account, kWh
TRANSIENT_DETAIL = "detail"  # RecordEmissions: the record's private detail (JSON)
TRANSIENT_INDEX_SECRET = "indexSecret"  # Bootstrap: the secret that keys the private customer index
INDEX_SECRET_BYTES = 32


def edition_digest(edition: Mapping[str, Any], utilities: Mapping[str, Any]) -> str:
    """The content digest of an edition (FactorEdition.to_json_dict() form) and its utilities."""
    return hashlib.sha256(canonical_json({"edition": dict(edition), "utilities": dict(utilities)})).hexdigest()


def fuel_edition_digest(edition: Mapping[str, Any]) -> str:
    """The content digest of a fuel edition (FuelEdition.to_json_dict() form)."""
    return hashlib.sha256(canonical_json({"fuel_edition": dict(edition)})).hexdigest()
