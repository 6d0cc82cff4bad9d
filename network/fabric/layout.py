"""The network's shape: orgs, every loopback port (from one base port), every path under the data
folder.

OperatorMSP runs the ordering service (3 etcdraft orderers, or 1); Auditor1MSP and Auditor2MSP each
run a peer and a fabric-ca; VerifierMSP is a channel member without a peer (it reads public state),
with a fabric-ca of its own: an MSP is the set of identities its root CA issued, so a verifier
issued by the operator's CA would share OperatorMSP's root and every identity that CA ever issued
(orderers, the operator's admin) would also validate as a VerifierMSP member.

Ports, base port B (default 7050):
    orderer i       B+i (gRPC), B+10+i (channel participation admin, mutual TLS), B+20+i (operations)
    peer of org k   B+30+10k (gRPC, gateway, gossip), +1 (chaincode), +2 (operations), +3 (CCaaS server)
    fabric-ca j     B+60+j (API), B+70+j (operations); j = Operator, Auditor1, Auditor2, Verifier
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from network.fabric.errors import FabricError

__all__ = ["AUDITOR_ORGS", "CHAINCODE", "CHANNEL", "HOST", "ORGS", "NetworkLayout", "Org", "PORT_SPAN"]

HOST = "127.0.0.1"
CHANNEL = "utilityemissions"
CHAINCODE = "emissions"
CHAINCODE_VERSION = "1.0"
CHAINCODE_LABEL = "emissions_1.0"
AUDITOR_ORGS = ("Auditor1MSP", "Auditor2MSP")
PORT_SPAN = 80  # B .. B+79


@dataclass(frozen=True)
class Org:
    msp_id: str
    domain: str
    index: int  # its fabric-ca's port offset
    peer_index: int | None = None  # orgs with a peer

    @property
    def short(self) -> str:
        return self.domain.split(".")[0]


ORGS = {
    "OperatorMSP": Org("OperatorMSP", "operator.example.com", 0),
    "Auditor1MSP": Org("Auditor1MSP", "auditor1.example.com", 1, 0),
    "Auditor2MSP": Org("Auditor2MSP", "auditor2.example.com", 2, 1),
    "VerifierMSP": Org("VerifierMSP", "verifier.example.com", 3),
}


@dataclass(frozen=True)
class NetworkLayout:
    root: Path
    base_port: int = 7050
    orderers: int = 3

    # --- settings kept with the data: certificates and the genesis block name these ports --------
    @property
    def settings_file(self) -> Path:
        return self.root / "network.json"

    @classmethod
    def open(cls, root: Path, base_port: int | None = None, orderers: int | None = None) -> NetworkLayout:
        """The layout of `root`: what it was created with, or a new one from these options."""
        root = Path(root).resolve()
        settings = root / "network.json"
        if settings.is_file():
            stored = json.loads(settings.read_text())
            for name, given in (("base_port", base_port), ("orderers", orderers)):
                if given is not None and given != stored[name]:
                    raise FabricError(f"{root} holds a network created with {name.replace('_', ' ')} {stored[name]}, "
                                      f"not {given}: its certificates and channel name those; use another --data")
            return cls(root, stored["base_port"], stored["orderers"])
        layout = cls(root, 7050 if base_port is None else base_port, 3 if orderers is None else orderers)
        if layout.orderers not in (1, 3):
            raise FabricError("--orderers must be 1 or 3")
        if not 1024 <= layout.base_port <= 65535 - PORT_SPAN:
            raise FabricError(f"base port {layout.base_port} leaves no room for {PORT_SPAN} ports below 65536")
        return layout

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.settings_file.write_text(json.dumps({"base_port": self.base_port, "orderers": self.orderers}) + "\n")

    @property
    def exists(self) -> bool:
        return self.settings_file.is_file()

    # --- ports ----------------------------------------------------------------------------------
    def orderer_port(self, i: int) -> int:
        return self.base_port + i

    def orderer_admin_port(self, i: int) -> int:
        return self.base_port + 10 + i

    def orderer_operations_port(self, i: int) -> int:
        return self.base_port + 20 + i

    def peer_port(self, org: Org, offset: int = 0) -> int:
        assert org.peer_index is not None, org
        return self.base_port + 30 + 10 * org.peer_index + offset

    def chaincode_server_port(self, org: Org) -> int:
        return self.peer_port(org, 3)

    def ca_port(self, org: Org) -> int:
        return self.base_port + 60 + org.index

    def ca_operations_port(self, org: Org) -> int:
        return self.base_port + 70 + org.index

    def address(self, port: int) -> str:
        return f"{HOST}:{port}"

    # --- names -----------------------------------------------------------------------------------
    def orderer_names(self) -> list[str]:
        return [f"orderer{i}" for i in range(self.orderers)]

    @staticmethod
    def peer_orgs() -> list[Org]:
        return [ORGS[msp] for msp in AUDITOR_ORGS]

    # --- paths -----------------------------------------------------------------------------------
    def org_dir(self, org: Org) -> Path:
        return self.root / "orgs" / org.domain

    def ca_home(self, org: Org) -> Path:
        return self.org_dir(org) / "ca"

    def ca_cert(self, org: Org) -> Path:
        """The org's root: it signs the org's identities and their TLS certificates."""
        return self.ca_home(org) / "ca-cert.pem"

    def org_msp(self, org: Org) -> Path:
        return self.org_dir(org) / "msp"

    def identity_dir(self, org: Org, name: str) -> Path:
        return self.org_dir(org) / "identities" / name

    def msp_dir(self, org: Org, name: str) -> Path:
        return self.identity_dir(org, name) / "msp"

    def tls_dir(self, org: Org, name: str) -> Path:
        return self.identity_dir(org, name) / "tls"

    def node_dir(self, name: str) -> Path:
        """A node's own folder: its config (FABRIC_CFG_PATH) and its ledger."""
        return self.root / "nodes" / name

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def channel_dir(self) -> Path:
        return self.root / "channel"

    @property
    def genesis_block(self) -> Path:
        return self.channel_dir / f"{CHANNEL}.block"

    @property
    def chaincode_dir(self) -> Path:
        return self.root / "chaincode"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def secrets_file(self) -> Path:
        return self.root / "secrets.json"

    @staticmethod
    def peer_name(org: Org) -> str:
        return f"peer0.{org.domain}"

    def ports_of_processes(self) -> dict[str, list[int]]:
        """Every port each process listens on, by process name."""
        ports: dict[str, list[int]] = {}
        for org in ORGS.values():
            ports[f"ca.{org.domain}"] = [self.ca_port(org), self.ca_operations_port(org)]
        for i, name in enumerate(self.orderer_names()):
            ports[f"{name}.{ORGS['OperatorMSP'].domain}"] = [
                self.orderer_port(i), self.orderer_admin_port(i), self.orderer_operations_port(i)]
        for org in self.peer_orgs():
            ports[self.peer_name(org)] = [self.peer_port(org, k) for k in range(3)]
            ports[f"chaincode.{org.domain}"] = [self.chaincode_server_port(org)]
        return ports
