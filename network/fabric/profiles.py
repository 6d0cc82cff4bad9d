"""What each org's clients connect with: the fields of a connection profile (controllers.ledger
writes them as TOML; this package stays below the services).

Auditor orgs reach their own peer's gateway; the verifier has no peer and reaches Auditor1's. Peers
serve TLS certificates for 127.0.0.1, so no server name override is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from network.fabric.layout import AUDITOR_ORGS, CHAINCODE, CHANNEL, ORGS, NetworkLayout

__all__ = ["ProfileSpec", "profile_specs"]


@dataclass(frozen=True)
class ProfileSpec:
    file_name: str  # e.g. Auditor1MSP.toml, Auditor1MSP-Admin.toml
    gateway: str
    msp_id: str
    msp_dir: Path
    tls_ca: Path
    channel: str = CHANNEL
    chaincode: str = CHAINCODE
    endorsing_orgs: tuple[str, ...] = AUDITOR_ORGS


def profile_specs(layout: NetworkLayout) -> list[ProfileSpec]:
    specs = []
    for msp_id, users in (("Auditor1MSP", ("User1", "Admin")), ("Auditor2MSP", ("User1", "Admin")),
                          ("VerifierMSP", ("User1", "Admin"))):
        org = ORGS[msp_id]
        gateway_org = org if org.peer_index is not None else ORGS["Auditor1MSP"]
        for user in users:
            specs.append(ProfileSpec(
                file_name=f"{msp_id}{'-Admin' if user == 'Admin' else ''}.toml",
                gateway=layout.address(layout.peer_port(gateway_org)), msp_id=msp_id,
                msp_dir=layout.msp_dir(org, user), tls_ca=layout.ca_cert(gateway_org)))
    return specs
