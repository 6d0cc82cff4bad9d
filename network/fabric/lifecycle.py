"""Chaincode lifecycle on the network: a chaincode definition (name, version, sequence, collections,
endorsement policy) installed on every auditor peer, approved by both auditor orgs and committed.

The emissions chaincode runs as a service (CCaaS): one `emissions chaincode serve` per peer org. Each
org's package names its own chaincode server (address, TLS root, and the peer's TLS client
certificate for mutual TLS), so the two orgs install different packages and each approves its own
package id; the definition they approve is the same. `deploy` takes any definition and packages, so
other chaincodes (the conformance suite's) and upgrades (a higher sequence) go the same way.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from network.chaincode_package import CcaasConnection, build_ccaas_package, read_pem
from network.fabric.binaries import PROJECT_ROOT, FabricDist
from network.fabric.channel import admin_env
from network.fabric.errors import FabricError
from network.fabric.layout import (
    CHAINCODE,
    CHAINCODE_LABEL,
    CHAINCODE_VERSION,
    CHANNEL,
    ORGS,
    NetworkLayout,
    Org,
)
from network.fabric.processes import ProcessSpec, in_parallel, run

__all__ = ["COLLECTIONS", "EMISSIONS", "ChaincodeDefinition", "Package", "approve", "chaincode_process", "commit",
           "committed", "deploy", "install", "package_for", "readiness"]

COLLECTIONS = PROJECT_ROOT / "network" / "collections" / "emissions-collections.json"
CHAINCODE_OBJECT = "chaincode.emissions.chaincode:chaincode"


@dataclass(frozen=True)
class ChaincodeDefinition:
    """What the orgs approve; `signature_policy` None leaves the channel's default (MAJORITY Endorsement)."""

    name: str
    version: str
    sequence: int = 1
    collections: Path | None = None
    signature_policy: str | None = None

    def args(self) -> list[str]:
        args = ["--channelID", CHANNEL, "--name", self.name, "--version", self.version, "--sequence",
                str(self.sequence)]
        if self.collections is not None:
            args += ["--collections-config", str(self.collections)]
        if self.signature_policy is not None:
            args += ["--signature-policy", self.signature_policy]
        return args


EMISSIONS = ChaincodeDefinition(CHAINCODE, CHAINCODE_VERSION, 1, COLLECTIONS)

Package = tuple[Path, str]  # the package file and its package id
_TRANSIENT = ("SERVICE_UNAVAILABLE", "no Raft leader", "connection refused", "context deadline exceeded",
              "failed to connect", "not found leader")


def package_for(layout: NetworkLayout, org: Org) -> Package:
    """Writes the org's CCaaS package (reproducible bytes); its path and package id."""
    tls = layout.tls_dir(org, "peer0")
    connection = CcaasConnection(
        address=layout.address(layout.chaincode_server_port(org)), tls_required=True, client_auth_required=True,
        root_cert=read_pem(layout.ca_cert(org), "chaincode server TLS CA", "certificate"),
        client_cert=read_pem(tls / "server.crt", "peer TLS client certificate", "certificate"),
        client_key=read_pem(tls / "server.key", "peer TLS client key", "private key"))
    package = build_ccaas_package(CHAINCODE_LABEL, connection)
    path = package.write(layout.chaincode_dir / org.domain / f"{CHAINCODE_LABEL}.tar.gz")
    return path, package.package_id


def chaincode_process(layout: NetworkLayout, org: Org, package_id: str) -> ProcessSpec:
    tls = layout.identity_dir(org, "peer0") / "chaincode-tls"
    return ProcessSpec(
        name=f"chaincode.{org.domain}",
        argv=[sys.executable, "-m", "emissions.cli", "chaincode", "serve", "--chaincode", CHAINCODE_OBJECT,
              "--address", layout.address(layout.chaincode_server_port(org)), "--id", package_id,
              "--tls-cert", str(tls / "server.crt"), "--tls-key", str(tls / "server.key"),
              "--tls-client-ca", str(layout.ca_cert(org))],
        env={"PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"},
        cwd=PROJECT_ROOT,
        ready_port=layout.chaincode_server_port(org),
    )


def _peer(dist: FabricDist, layout: NetworkLayout, org: Org, *args: str, what: str, retry: bool = False) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            return run([dist.tool("peer"), "lifecycle", "chaincode", *args], env=admin_env(layout, org), what=what,
                       timeout=60)
        except FabricError as exc:
            if not retry or time.monotonic() > deadline or not any(t in str(exc) for t in _TRANSIENT):
                raise
            time.sleep(0.5)


def _orderer_args(layout: NetworkLayout) -> list[str]:
    return ["-o", layout.address(layout.orderer_port(0)), "--tls", "--cafile", str(layout.ca_cert(ORGS["OperatorMSP"]))]


def install(dist: FabricDist, layout: NetworkLayout, org: Org, package: Path, package_id: str) -> bool:
    installed = json.loads(_peer(dist, layout, org, "queryinstalled", "--output", "json",
                                 what=f"peer lifecycle chaincode queryinstalled ({org.msp_id})") or "{}")
    if any(c.get("package_id") == package_id for c in installed.get("installed_chaincodes", [])):
        return False
    _peer(dist, layout, org, "install", str(package), what=f"peer lifecycle chaincode install ({org.msp_id})")
    return True


def committed(dist: FabricDist, layout: NetworkLayout, org: Org, name: str = CHAINCODE) -> dict | None:
    """The committed definition of chaincode `name` ({"sequence", "version", "approvals", ...}), or None."""
    try:
        output = _peer(dist, layout, org, "querycommitted", "--channelID", CHANNEL, "--name", name, "--output",
                       "json", what="peer lifecycle chaincode querycommitted")
    except FabricError as exc:
        if "not defined" in str(exc) or "404" in str(exc):
            return None
        raise
    return json.loads(output)


def readiness(dist: FabricDist, layout: NetworkLayout, org: Org,
              definition: ChaincodeDefinition = EMISSIONS) -> dict[str, bool]:
    output = _peer(dist, layout, org, "checkcommitreadiness", *definition.args(), "--output", "json",
                   what="peer lifecycle chaincode checkcommitreadiness")
    return json.loads(output)["approvals"]


def approve(dist: FabricDist, layout: NetworkLayout, org: Org, package_id: str,
            definition: ChaincodeDefinition = EMISSIONS) -> None:
    _peer(dist, layout, org, "approveformyorg", *_orderer_args(layout), *definition.args(), "--package-id",
          package_id, "--waitForEvent", what=f"peer lifecycle chaincode approveformyorg ({org.msp_id})", retry=True)


def commit(dist: FabricDist, layout: NetworkLayout, org: Org, definition: ChaincodeDefinition = EMISSIONS) -> None:
    peers: list[str] = []
    for other in layout.peer_orgs():
        peers += ["--peerAddresses", layout.address(layout.peer_port(other)),
                  "--tlsRootCertFiles", str(layout.ca_cert(other))]
    _peer(dist, layout, org, "commit", *_orderer_args(layout), *definition.args(), *peers, "--waitForEvent",
          what="peer lifecycle chaincode commit", retry=True)


def deploy(dist: FabricDist, layout: NetworkLayout, definition: ChaincodeDefinition, packages: dict[str, Package],
           *, say: Callable[[str], None] = lambda _: None, lap: Callable[[str], float] = lambda _: 0.0) -> dict:
    """Install each auditor org's package, approve what is not approved yet, commit; the committed
    definition. A definition already committed at this sequence is left as it is (idempotent)."""
    first = layout.peer_orgs()[0]
    current = committed(dist, layout, first, definition.name)
    if current is not None and current["sequence"] >= definition.sequence:
        if current["sequence"] > definition.sequence:
            raise FabricError(f"chaincode {definition.name} is already at sequence {current['sequence']}, "
                              f"past {definition.sequence}")
        say(f"chaincode: {definition.name} {current['version']} sequence {current['sequence']} already committed")
        return current
    in_parallel(lambda org: install(dist, layout, org, *packages[org.msp_id]), layout.peer_orgs())
    say(f"chaincode: {definition.name} installed on both peers [{lap('install'):.1f} s]")
    approvals = readiness(dist, layout, first, definition)
    missing = [org for org in layout.peer_orgs() if not approvals.get(org.msp_id)]
    if missing:
        in_parallel(lambda org: approve(dist, layout, org, packages[org.msp_id][1], definition), missing)
    say(f"chaincode: {definition.name} approved by {', '.join(o.msp_id for o in missing) or 'both orgs already'} "
        f"[{lap('approve'):.1f} s]")
    commit(dist, layout, first, definition)
    current = committed(dist, layout, first, definition.name)
    say(f"chaincode: {definition.name} {current['version']} sequence {current['sequence']} committed "
        f"[{lap('commit'):.1f} s]")
    return current
