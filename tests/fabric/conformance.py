"""The conformance chaincode (tests/conformance) deployed on the session's real network.

Both editions are deployed under the one name `conformance`, the Node edition first and then the
Python edition at the next sequence: the second deployment is a chaincode upgrade, approved by both
orgs and committed like the first. Each edition runs as a plain-TCP CCaaS server that both peers
dial (one package both orgs install).

The definition's endorsement policy is OR of the two auditor peers, not the channel's MAJORITY: the
scenarios still endorse on both orgs, and one org alone may endorse, which lets a test show that
private data reaches the other org's peer because of the collection's requiredPeerCount (1 here)
and not because that peer endorsed too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from network.chaincode_package import CcaasConnection, build_ccaas_package
from network.fabric import NetworkLayout, locate_fabric
from network.fabric.lifecycle import ChaincodeDefinition, committed, deploy
from testkit.fabric import FabricNetwork
from tests.conformance.devpeer_setup import CHAINCODE, COLLECTION, collections
from tests.conformance.harness import require_node, start_python_ccaas
from tests.conformance.node_tools import start_node_chaincode
from testkit.ports import free_port
from tests.conformance.processes import ServerProcess

__all__ = ["COLLECTION", "EITHER_PEER", "KINDS", "DeployedConformance", "deploy_conformance"]

KINDS = ("node", "python")
EITHER_PEER = "OR('Auditor1MSP.peer','Auditor2MSP.peer')"


@dataclass
class DeployedConformance:
    """One edition committed as `conformance`; what the conformance harness needs from a peer under test."""

    chaincode_kind: str
    network: FabricNetwork
    definition: dict
    servers: list[ServerProcess] = field(default_factory=list)

    def client_config(self, client: str, msp_id: str = "Auditor1MSP") -> dict:
        profile = self.network.profile(msp_id)
        msp = profile.msp_dir
        return {
            "endpoint": profile.gateway,
            "tlsCaCertPath": str(profile.tls_ca),
            "mspId": msp_id,
            "certPath": str(next((msp / "signcerts").glob("*.pem"))),
            "keyPath": str(next((msp / "keystore").iterdir())),
            "channel": profile.channel,
            "chaincode": CHAINCODE,
            "collection": COLLECTION,
            "endorsingOrgs": list(profile.endorsing_orgs),
            "keyPrefix": f"{client}-fabric-{self.chaincode_kind}",
            "mvccSubmits": 8,
            "rangeKeys": 105,
        }

    def logs(self) -> str:
        return "\n".join(f"--- {s.log_path.name}\n{s.log_tail()}" for s in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def _start_server(kind: str, folder: Path, package_id: str, port: int) -> ServerProcess:
    if kind == "node":
        require_node()
        return start_node_chaincode(folder, package_id, port).process
    server, _ = start_python_ccaas(folder, package_id, port)
    return server


def deploy_conformance(network: FabricNetwork, kind: str, folder: Path) -> DeployedConformance:
    """Start the edition's server, then commit it as `conformance` at the next sequence."""
    folder.mkdir(parents=True, exist_ok=True)
    layout, dist = NetworkLayout.open(network.data), locate_fabric()
    port = free_port()
    package = build_ccaas_package(f"conformance_{kind}", CcaasConnection(address=f"127.0.0.1:{port}"))
    path = package.write(folder / "conformance.tar.gz")
    server = _start_server(kind, folder, package.package_id, port)
    try:
        (folder / "collections.json").write_text(json.dumps(collections(required_peers=1), indent=2))
        current = committed(dist, layout, layout.peer_orgs()[0], CHAINCODE)
        definition = ChaincodeDefinition(CHAINCODE, f"{kind}-1.0", 1 if current is None else current["sequence"] + 1,
                                         folder / "collections.json", EITHER_PEER)
        done = deploy(dist, layout, definition, {org.msp_id: (path, package.package_id) for org in layout.peer_orgs()})
    except BaseException:
        server.stop()
        raise
    return DeployedConformance(kind, network, done, [server])
