"""The embedded ledger's shape: which orgs, where their crypto material and identities live, and
the dev peer configuration that serves them.

Two auditor orgs run peers (they endorse and hold the record detail collection); the verifier org
is a channel member without a peer, as a bank or regulator would be: it reads, it never endorses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controllers.ledger import ConnectionProfile, dump_profile
from network.msp import CryptoConfig, generate_crypto_material, parse_crypto_config

__all__ = ["AUDITOR_ORGS", "CHANNEL", "CHAINCODE", "ORGS", "VERIFIER_ORG", "LedgerLayout"]

CHANNEL = "utilityemissions"
CHAINCODE = "emissions"
AUDITOR_ORGS = ("Auditor1MSP", "Auditor2MSP")
VERIFIER_ORG = "VerifierMSP"
ORGS = {"Auditor1MSP": "auditor1.example.com", "Auditor2MSP": "auditor2.example.com",
        "VerifierMSP": "verifier.example.com"}
_PROJECT = Path(__file__).resolve().parents[2]
COLLECTIONS = _PROJECT / "network" / "collections" / "emissions-collections.json"


@dataclass(frozen=True)
class LedgerLayout:
    """Paths of one stack's ledger under its data directory."""

    root: Path  # <data_dir>/ledger

    @property
    def crypto(self) -> Path:
        return self.root / "crypto"

    @property
    def peer_data(self) -> Path:
        return self.root / "devpeer"

    @property
    def index_secret(self) -> Path:
        return self.root / "index.secret"

    @staticmethod
    def crypto_config() -> CryptoConfig:
        return parse_crypto_config({"peer_orgs": [
            {"msp_id": msp, "domain": domain, "peers": 1 if msp in AUDITOR_ORGS else 0, "users": ["User1"]}
            for msp, domain in ORGS.items()]})

    def ensure_crypto(self) -> None:
        """Generate the MSP material once; a restart keeps every key (the ledger holds their certs)."""
        generate_crypto_material(self.crypto, self.crypto_config())

    def _org(self, msp_id: str) -> Path:
        return self.crypto / "peerOrganizations" / ORGS[msp_id]

    def devpeer_mapping(self, *, listen: str = "127.0.0.1:0", batch_timeout: str = "20ms") -> dict[str, Any]:
        orgs = []
        for msp, domain in ORGS.items():
            org: dict[str, Any] = {"msp_id": msp, "msp_dir": str(self._org(msp) / "msp")}
            if msp in AUDITOR_ORGS:
                org["peer_msp_dir"] = str(self._org(msp) / "peers" / f"peer0.{domain}" / "msp")
            orgs.append(org)
        return {
            "channel": CHANNEL,
            "data_dir": str(self.peer_data),
            "listen": {"address": listen},
            "orgs": orgs,
            "chaincodes": [{"name": CHAINCODE, "version": "1.0", "endorsement_policy": "MAJORITY",
                            "collections_config": str(COLLECTIONS),
                            "python": "chaincode.emissions.chaincode:chaincode"}],
            "block_cutting": {"max_message_count": 100, "batch_timeout": batch_timeout},
        }

    def profile(self, gateway: str, msp_id: str, user: str = "User1") -> ConnectionProfile:
        domain = ORGS[msp_id]
        return ConnectionProfile(gateway=gateway, msp_id=msp_id,
                                 msp_dir=self._org(msp_id) / "users" / f"{user}@{domain}" / "msp",
                                 channel=CHANNEL, chaincode=CHAINCODE, endorsing_orgs=AUDITOR_ORGS)

    def admin_profiles(self, gateway: str) -> dict[str, ConnectionProfile]:
        return {msp: self.profile(gateway, msp, "Admin") for msp in AUDITOR_ORGS}

    @property
    def profiles(self) -> Path:
        return self.root / "profiles"

    def write_profiles(self, gateway: str) -> Path:
        """A connection profile per org client and admin (`<msp>.toml`, `<msp>-Admin.toml`), so
        `emissions ledger --profile` reaches this ledger as any of them; returns the folder."""
        self.profiles.mkdir(parents=True, exist_ok=True)
        for msp in ORGS:
            for user, suffix in (("User1", ""), ("Admin", "-Admin")):
                if (self._org(msp) / "users" / f"{user}@{ORGS[msp]}").is_dir():
                    (self.profiles / f"{msp}{suffix}.toml").write_text(dump_profile(self.profile(gateway, msp, user)))
        return self.profiles
