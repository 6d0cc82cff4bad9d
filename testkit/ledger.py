"""An in-process dev peer running the emissions chaincode for two auditor orgs and a verifier org.

The verifier org (VerifierMSP) is a channel member without a peer, as on a real network: it is
not in the record detail collection and never endorses, yet its clients evaluate, read commit
status and events. MAJORITY counts it (2 of 3 application orgs), which the two auditor peers
satisfy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from chaincode.emissions.shipped import load_editions, load_utilities
from controllers.ledger import ConnectionProfile, LedgerClient, open_ledger
from network.devpeer import DevPeer
from network.msp import parse_crypto_config

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / "network" / "collections" / "emissions-collections.json"
CHANNEL = "utilityemissions"
ORGS = {"Auditor1MSP": "auditor1.example.com", "Auditor2MSP": "auditor2.example.com",
        "VerifierMSP": "verifier.example.com"}
AUDITORS = ("Auditor1MSP", "Auditor2MSP")  # the orgs with peers; VerifierMSP has none
PGE = 14328  # Pacific Gas & Electric: CAMX subregion
TEST_UTILITIES = (PGE, 5416, 17609)


def crypto_config():
    return parse_crypto_config({
        "peer_orgs": [{"msp_id": msp, "domain": domain, "peers": 1 if msp in AUDITORS else 0, "users": ["User1"]}
                      for msp, domain in ORGS.items()],
    })


def devpeer_mapping(crypto: Path, data_dir: Path, chaincode: dict | None = None) -> dict:
    org_dir = lambda domain: crypto / "peerOrganizations" / domain  # noqa: E731
    return {
        "channel": CHANNEL,
        "data_dir": str(data_dir),
        "listen": {"address": "127.0.0.1:0"},
        "orgs": [{"msp_id": msp, "msp_dir": str(org_dir(d) / "msp"),
                  **({"peer_msp_dir": str(org_dir(d) / "peers" / f"peer0.{d}" / "msp")} if msp in AUDITORS else {})}
                 for msp, d in ORGS.items()],
        "chaincodes": [{"name": "emissions", "version": "1.0", "endorsement_policy": "MAJORITY",
                        "collections_config": str(COLLECTIONS),
                        **(chaincode or {"python": "chaincode.emissions.chaincode:chaincode"})}],
        "block_cutting": {"max_message_count": 50, "batch_timeout": "20ms"},
    }


@dataclasses.dataclass
class LedgerNetwork:
    peer: DevPeer
    crypto: Path

    def profile(self, msp_id: str = "Auditor1MSP", user: str = "User1") -> ConnectionProfile:
        domain = ORGS[msp_id]
        msp_dir = self.crypto / "peerOrganizations" / domain / "users" / f"{user}@{domain}" / "msp"
        return ConnectionProfile(gateway=self.peer.address, msp_id=msp_id, msp_dir=msp_dir,
                                 endorsing_orgs=AUDITORS)

    @asynccontextmanager
    async def client(self, msp_id: str = "Auditor1MSP", user: str = "User1") -> AsyncIterator[LedgerClient]:
        async with open_ledger(self.profile(msp_id, user)) as session:
            yield session.client


def small_edition():
    """eGRID2023 restricted to what the test utilities need: fast to load, same factors."""
    edition = load_editions()[-1]
    utilities = {eia: load_utilities()[eia] for eia in TEST_UTILITIES}
    subregions = {u.subregion.chosen for u in utilities.values() if u.subregion}
    states = {s for u in utilities.values() for s in u.states}
    return dataclasses.replace(
        edition,
        subregions={c: r for c, r in edition.subregions.items() if c in subregions},
        states={c: r for c, r in edition.states.items() if c in states},
    ), utilities
