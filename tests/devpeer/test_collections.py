"""requiredPeerCount on a dev peer: the private data reaches every hosted peer of a member org."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from network.devpeer.collections import CollectionsError, parse_collections

ORGS = ["Auditor1MSP", "Auditor2MSP", "VerifierMSP"]
PROJECT = Path(__file__).resolve().parents[2] / "network" / "collections" / "emissions-collections.json"


def collection(required: int, maximum: int = 1) -> list[dict]:
    return [{"name": "details", "policy": "OR('Auditor1MSP.member','Auditor2MSP.member')",
             "requiredPeerCount": required, "maxPeerCount": maximum}]


def test_the_projects_collection_needs_the_other_auditors_peer_before_endorsing():
    [entry] = json.loads(PROJECT.read_text())
    assert entry["requiredPeerCount"] >= 1
    parsed = parse_collections([entry], ORGS, peer_orgs=["Auditor1MSP", "Auditor2MSP"])
    assert parsed[entry["name"]].required_peer_count == entry["requiredPeerCount"]


def test_a_count_the_hosted_peers_cannot_meet_is_refused_at_start():
    with pytest.raises(CollectionsError, match="runs peers for 1 member org\\(s\\), so an endorser can hand "
                                               "private data to at most 0 other peer\\(s\\)"):
        parse_collections(collection(1), ORGS, peer_orgs=["Auditor1MSP"])
    with pytest.raises(CollectionsError, match="must be from 0 to maxPeerCount \\(1\\)"):
        parse_collections(collection(2), ORGS, peer_orgs=["Auditor1MSP", "Auditor2MSP"])
    assert parse_collections(collection(0), ORGS, peer_orgs=["Auditor1MSP"])["details"].required_peer_count == 0
