"""The channel, created through channel participation: a genesis block from configtxgen, joined by
every orderer with osnadmin (mutual TLS to its admin endpoint) and by every peer (`peer channel
join`). No system channel. Anchor peers are in the genesis block, so gossip crosses orgs at once.
"""

from __future__ import annotations

import json
from network.fabric.binaries import FabricDist
from network.fabric.config import CHANNEL_PROFILE, write_configtx
from network.fabric.errors import FabricError
from network.fabric.layout import CHANNEL, ORGS, NetworkLayout, Org
from network.fabric.processes import run

__all__ = ["admin_env", "channel_height", "create_genesis_block", "join_orderer", "join_peer"]


def create_genesis_block(dist: FabricDist, layout: NetworkLayout) -> bool:
    """Writes the channel's genesis block once; whether it did."""
    if layout.genesis_block.is_file():
        return False
    configtx = write_configtx(layout)
    staging = layout.genesis_block.with_suffix(".tmp")
    run([dist.tool("configtxgen"), "-profile", CHANNEL_PROFILE, "-outputBlock", str(staging), "-channelID", CHANNEL],
        env={"FABRIC_CFG_PATH": str(configtx.parent)}, what="configtxgen")
    staging.replace(layout.genesis_block)
    return True


def _osnadmin(dist: FabricDist, layout: NetworkLayout, index: int, *args: str) -> str:
    operator = ORGS["OperatorMSP"]
    tls = layout.tls_dir(operator, "Admin")
    return run([dist.tool("osnadmin"), "channel", *args, "-o", layout.address(layout.orderer_admin_port(index)),
                "--ca-file", str(layout.ca_cert(operator)), "--client-cert", str(tls / "server.crt"),
                "--client-key", str(tls / "server.key")], what=f"osnadmin channel {args[0]}", timeout=30)


def join_orderer(dist: FabricDist, layout: NetworkLayout, index: int) -> bool:
    """Join orderer `index` to the channel unless it is a member already; whether it joined."""
    listed = _osnadmin(dist, layout, index, "list")
    if f'"name": "{CHANNEL}"' in listed or f'"name":"{CHANNEL}"' in listed:
        return False
    _osnadmin(dist, layout, index, "join", "--channelID", CHANNEL, "--config-block", str(layout.genesis_block))
    return True


def admin_env(layout: NetworkLayout, org: Org, user: str = "Admin") -> dict[str, str]:
    """The peer CLI's environment as `user` of `org`, talking to the org's peer over TLS."""
    return {"FABRIC_CFG_PATH": str(layout.node_dir(layout.peer_name(org))),
            "CORE_PEER_LOCALMSPID": org.msp_id,
            "CORE_PEER_MSPCONFIGPATH": str(layout.msp_dir(org, user)),
            "CORE_PEER_ADDRESS": layout.address(layout.peer_port(org)),
            "CORE_PEER_TLS_ENABLED": "true",
            "CORE_PEER_TLS_ROOTCERT_FILE": str(layout.ca_cert(org)),
            "FABRIC_LOGGING_SPEC": "WARN"}


def join_peer(dist: FabricDist, layout: NetworkLayout, org: Org) -> bool:
    try:
        run([dist.tool("peer"), "channel", "join", "-b", str(layout.genesis_block)], env=admin_env(layout, org),
            what=f"peer channel join ({layout.peer_name(org)})", timeout=30)
    except FabricError as exc:
        if "already exists" in str(exc):
            return False
        raise
    return True


def channel_height(dist: FabricDist, layout: NetworkLayout, org: Org) -> int:
    output = run([dist.tool("peer"), "channel", "getinfo", "-c", CHANNEL], env=admin_env(layout, org),
                 what=f"peer channel getinfo ({layout.peer_name(org)})", timeout=15)
    marker = "Blockchain info:"
    if marker not in output:
        raise FabricError(f"peer channel getinfo ({layout.peer_name(org)}) answered no height: {output.strip()[:200]}")
    return int(json.loads(output.split(marker, 1)[1].strip().splitlines()[0])["height"])

