"""A real Hyperledger Fabric 2.5 network from native binaries (no Docker), for `emissions network`.

One module per concept: `binaries` (where peer, orderer, ... are), `layout` (orgs, paths, ports
from one base port), `processes` (start, stop, pid files), `ca` (fabric-ca servers and the
identities they issue), `config` (configtx.yaml, core.yaml, orderer.yaml), `channel` (genesis
block, osnadmin, peer channel join), `lifecycle` (the emissions chaincode as a service), `profiles`
(what each org's clients connect with) and `network` (up, down, status).
"""

from network.fabric.binaries import FabricDist, locate_fabric
from network.fabric.errors import FabricError
from network.fabric.layout import AUDITOR_ORGS, CHAINCODE, CHANNEL, ORGS, NetworkLayout
from network.fabric.network import NetworkStatus, down, status, up

__all__ = ["AUDITOR_ORGS", "CHAINCODE", "CHANNEL", "ORGS", "FabricDist", "FabricError", "NetworkLayout",
           "NetworkStatus", "down", "locate_fabric", "status", "up"]
