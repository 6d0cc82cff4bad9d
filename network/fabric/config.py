"""The nodes' settings: configtx.yaml for the channel, core.yaml per peer, orderer.yaml per orderer.

core.yaml and orderer.yaml start from the release's sample files (`config/` beside `bin/`) with
only what this network needs changed: loopback addresses from the base port, TLS on every
listener, this node's MSP, its data folder, no Docker (chaincode runs as a service through the
ccaas builder), channel participation without a system channel, and short intervals (raft ticks,
gossip reconnects, block cutting) so that a small local network is usable within seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from network.fabric.binaries import FabricDist
from network.fabric.layout import AUDITOR_ORGS, HOST, ORGS, NetworkLayout, Org

__all__ = ["CHANNEL_PROFILE", "orderer_settings", "peer_settings", "write_configtx", "write_yaml"]

CHANNEL_PROFILE = "UtilityEmissionsChannel"


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_yaml(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(document, Dumper=_NoAliases, sort_keys=False, default_flow_style=False))
    return path


def _sample(dist: FabricDist, name: str) -> dict[str, Any]:
    return yaml.safe_load((dist.config_dir / name).read_text())


def _signature(rule: str) -> dict[str, str]:
    return {"Type": "Signature", "Rule": rule}


def _implicit(rule: str) -> dict[str, str]:
    return {"Type": "ImplicitMeta", "Rule": rule}


def _org_section(layout: NetworkLayout, org: Org) -> dict[str, Any]:
    m = org.msp_id
    if m == "OperatorMSP":
        # The orderer org's Readers/Writers are "member": with role policies the peers reject every
        # block after genesis ("implicit policy evaluation failed ... Writers sub-policies").
        policies = {"Readers": _signature(f"OR('{m}.member')"), "Writers": _signature(f"OR('{m}.member')"),
                    "Admins": _signature(f"OR('{m}.admin')")}
    else:
        policies = {"Readers": _signature(f"OR('{m}.admin', '{m}.peer', '{m}.client')"),
                    "Writers": _signature(f"OR('{m}.admin', '{m}.client')"),
                    "Admins": _signature(f"OR('{m}.admin')"),
                    "Endorsement": _signature(f"OR('{m}.peer')")}
    section: dict[str, Any] = {"Name": m, "ID": m, "MSPDir": str(layout.org_msp(org)), "Policies": policies}
    if m == "OperatorMSP":
        section["OrdererEndpoints"] = [layout.address(layout.orderer_port(i)) for i in range(layout.orderers)]
    if org.peer_index is not None:
        section["AnchorPeers"] = [{"Host": HOST, "Port": layout.peer_port(org)}]
    return section


def write_configtx(layout: NetworkLayout) -> Path:
    """configtx.yaml with one profile: the application channel, its orderers, its three member orgs."""
    operator = ORGS["OperatorMSP"]
    consenters = [{"Host": HOST, "Port": layout.orderer_port(i),
                   "ClientTLSCert": str(layout.tls_dir(operator, name) / "server.crt"),
                   "ServerTLSCert": str(layout.tls_dir(operator, name) / "server.crt")}
                  for i, name in enumerate(layout.orderer_names())]
    members = [ORGS[m] for m in (*AUDITOR_ORGS, "VerifierMSP")]
    profile = {
        "Policies": {"Readers": _implicit("ANY Readers"), "Writers": _implicit("ANY Writers"),
                     "Admins": _implicit("MAJORITY Admins")},
        "Capabilities": {"V2_0": True},
        "Orderer": {
            "OrdererType": "etcdraft",
            "EtcdRaft": {"Consenters": consenters,
                         # 100 ms ticks: a leader within ~1-2 s of start instead of ~5-10 s.
                         "Options": {"TickInterval": "100ms", "ElectionTick": 10, "HeartbeatTick": 1,
                                     "MaxInflightBlocks": 5, "SnapshotIntervalSize": "16 MB"}},
            "BatchTimeout": "100ms",
            "BatchSize": {"MaxMessageCount": 100, "AbsoluteMaxBytes": "10 MB", "PreferredMaxBytes": "2 MB"},
            "Organizations": [_org_section(layout, operator)],
            "Policies": {"Readers": _implicit("ANY Readers"), "Writers": _implicit("ANY Writers"),
                         "Admins": _implicit("MAJORITY Admins"), "BlockValidation": _implicit("ANY Writers")},
            "Capabilities": {"V2_0": True},
        },
        "Application": {
            "Organizations": [_org_section(layout, org) for org in members],
            # MAJORITY of the three member orgs is two: both auditor orgs (the verifier has no peer).
            "Policies": {"Readers": _implicit("ANY Readers"), "Writers": _implicit("ANY Writers"),
                         "Admins": _implicit("MAJORITY Admins"),
                         "LifecycleEndorsement": _implicit("MAJORITY Endorsement"),
                         "Endorsement": _implicit("MAJORITY Endorsement")},
            "Capabilities": {"V2_5": True},
        },
    }
    return write_yaml(layout.channel_dir / "configtx.yaml", {"Profiles": {CHANNEL_PROFILE: profile}})


def orderer_settings(dist: FabricDist, layout: NetworkLayout, index: int) -> Path:
    """Writes nodes/<orderer>/orderer.yaml; returns the folder (FABRIC_CFG_PATH)."""
    operator = ORGS["OperatorMSP"]
    name = layout.orderer_names()[index]
    node = layout.node_dir(f"{name}.{operator.domain}")
    tls = layout.tls_dir(operator, name)
    ca = str(layout.ca_cert(operator))
    c = _sample(dist, "orderer.yaml")
    g = c["General"]
    g["ListenAddress"], g["ListenPort"] = HOST, layout.orderer_port(index)
    g["TLS"] = {"Enabled": True, "PrivateKey": str(tls / "server.key"), "Certificate": str(tls / "server.crt"),
                "RootCAs": [ca], "ClientAuthRequired": False, "ClientRootCAs": [ca]}
    g["Cluster"].update({"ClientCertificate": str(tls / "server.crt"), "ClientPrivateKey": str(tls / "server.key")})
    g["BootstrapMethod"] = "none"
    g["BootstrapFile"] = ""
    g["LocalMSPDir"], g["LocalMSPID"] = str(layout.msp_dir(operator, name)), "OperatorMSP"
    c["FileLedger"]["Location"] = str(node / "ledger")
    c["Consensus"] = {"WALDir": str(node / "etcdraft" / "wal"), "SnapDir": str(node / "etcdraft" / "snapshot")}
    c["Operations"]["ListenAddress"] = layout.address(layout.orderer_operations_port(index))
    c["Operations"]["TLS"] = {"Enabled": True, "Certificate": str(tls / "server.crt"),
                              "PrivateKey": str(tls / "server.key"), "ClientAuthRequired": False, "ClientRootCAs": []}
    c["Metrics"]["Provider"] = "disabled"
    c["Admin"]["ListenAddress"] = layout.address(layout.orderer_admin_port(index))
    c["Admin"]["TLS"] = {"Enabled": True, "Certificate": str(tls / "server.crt"), "PrivateKey": str(tls / "server.key"),
                         "RootCAs": [ca], "ClientAuthRequired": True, "ClientRootCAs": [ca]}
    c["ChannelParticipation"] = {"Enabled": True, "MaxRequestBodySize": "1 MB"}
    write_yaml(node / "orderer.yaml", c)
    return node


def peer_settings(dist: FabricDist, layout: NetworkLayout, org: Org) -> Path:
    """Writes nodes/<peer>/core.yaml; returns the folder (FABRIC_CFG_PATH, also for the peer CLI)."""
    node = layout.node_dir(layout.peer_name(org))
    tls = layout.tls_dir(org, "peer0")
    address = layout.address(layout.peer_port(org))
    c = _sample(dist, "core.yaml")
    p = c["peer"]
    p["id"], p["networkId"] = layout.peer_name(org), "utilityemissions"
    p["listenAddress"] = p["address"] = address
    p["addressAutoDetect"] = False
    p["chaincodeListenAddress"] = p["chaincodeAddress"] = layout.address(layout.peer_port(org, 1))
    gossip = p["gossip"]
    gossip.update({"bootstrap": address, "endpoint": address, "externalEndpoint": address,
                   "useLeaderElection": False, "orgLeader": True,
                   # Cross-org endorsement needs gossip to have met the other org's peer: be quick about it.
                   "reconnectInterval": "2s", "aliveTimeInterval": "2s", "aliveExpirationTimeout": "10s",
                   "membershipTrackerInterval": "1s", "pullInterval": "2s", "requestStateInfoInterval": "1s",
                   "publishStateInfoInterval": "1s"})
    p["tls"].update({"enabled": True, "clientAuthRequired": False, "cert": {"file": str(tls / "server.crt")},
                     "key": {"file": str(tls / "server.key")}, "rootcert": {"file": str(tls / "ca.crt")},
                     "clientRootCAs": {"files": [str(tls / "ca.crt")]},
                     "clientCert": {"file": str(tls / "server.crt")}, "clientKey": {"file": str(tls / "server.key")}})
    p["fileSystemPath"] = str(node / "data")
    p["mspConfigPath"], p["localMspId"] = str(layout.msp_dir(org, "peer0")), org.msp_id
    p.setdefault("gateway", {})["enabled"] = True
    c["vm"]["endpoint"] = ""
    c["chaincode"]["externalBuilders"] = [{"name": "ccaas_builder", "path": str(dist.ccaas_builder),
                                           "propagateEnvironment": ["CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG"]}]
    c["ledger"]["snapshots"]["rootDir"] = str(node / "data" / "snapshots")
    c["operations"]["listenAddress"] = layout.address(layout.peer_port(org, 2))
    c["operations"]["tls"].update({"enabled": True, "cert": {"file": str(tls / "server.crt")},
                                   "key": {"file": str(tls / "server.key")}, "clientAuthRequired": False})
    c["metrics"]["provider"] = "disabled"
    write_yaml(node / "core.yaml", c)
    return node
