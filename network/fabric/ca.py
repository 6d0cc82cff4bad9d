"""Each org's fabric-ca: the server, and the identities it registers and enrolls.

One CA per org signs both its members' enrollment certificates and their TLS certificates (the
`tls` enrollment profile), so the org's MSP root and TLS root are the same certificate. The CA
itself serves HTTPS with a certificate it signs at first start, for 127.0.0.1.

Every step is idempotent: a registration that exists is kept (its secret is in secrets.json, 0600,
written before the registration), an MSP folder that holds a certificate is not enrolled again.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from network.fabric.binaries import FabricDist
from network.fabric.errors import FabricError
from network.fabric.layout import HOST, ORGS, NetworkLayout, Org
from network.fabric.processes import ProcessSpec, run

__all__ = ["IdentitySpec", "ca_process", "identities_of", "issue_identities", "load_secrets", "NODE_OUS"]

NODE_OUS = """NodeOUs:
  Enable: true
  ClientOUIdentifier:
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    OrganizationalUnitIdentifier: orderer
"""


@dataclass(frozen=True)
class IdentitySpec:
    name: str  # enrollment id, and the folder under identities/
    type: str  # fabric-ca identity type: its NodeOU (peer, orderer, admin, client)
    msp: bool = True  # enroll a signing MSP
    tls: tuple[str, ...] = ()  # TLS folders to enroll (tls profile), e.g. ("tls",)


def identities_of(layout: NetworkLayout, org: Org) -> list[IdentitySpec]:
    if org.msp_id == "OperatorMSP":
        # The operator's admin has a TLS client certificate too: the orderers' admin endpoint is mutual TLS.
        return [*(IdentitySpec(name, "orderer", tls=("tls",)) for name in layout.orderer_names()),
                IdentitySpec("Admin", "admin", tls=("tls",))]
    if org.peer_index is not None:
        # "chaincode": the TLS server certificate of the org's chaincode server, an enrollment of the peer.
        return [IdentitySpec("peer0", "peer", tls=("tls", "chaincode-tls")), IdentitySpec("Admin", "admin"),
                IdentitySpec("User1", "client")]
    # The verifier's org has no peer, but an admin still manages its MSP (and proves what a non-governing admin may not do).
    return [IdentitySpec("Admin", "admin"), IdentitySpec("User1", "client")]


def load_secrets(layout: NetworkLayout) -> dict[str, str]:
    """Every enrollment secret of the network, created once (before anything is registered)."""
    path = layout.secrets_file
    stored: dict[str, str] = json.loads(path.read_text()) if path.is_file() else {}
    changed = False
    for org in ORGS.values():
        for name in ["bootstrap-admin", *(i.name for i in identities_of(layout, org))]:
            key = f"{org.domain}/{name}"
            if key not in stored:
                stored[key] = secrets.token_hex(16)
                changed = True
    if changed:
        layout.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(stored, f, indent=1, sort_keys=True)
    return stored


def ca_process(dist: FabricDist, layout: NetworkLayout, org: Org, secrets_: dict[str, str]) -> ProcessSpec:
    home = layout.ca_home(org)
    home.mkdir(parents=True, exist_ok=True)
    return ProcessSpec(
        name=f"ca.{org.domain}",
        argv=[dist.tool("fabric-ca-server"), "start", "-b", f"admin:{secrets_[f'{org.domain}/bootstrap-admin']}",
              "--home", str(home), "--address", HOST, "--port", str(layout.ca_port(org)), "--tls.enabled",
              "--csr.cn", f"ca.{org.domain}", "--csr.hosts", f"{HOST},localhost,ca.{org.domain}"],
        env={"FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS": layout.address(layout.ca_operations_port(org)),
             "FABRIC_CA_SERVER_METRICS_PROVIDER": "disabled"},
        ready_port=layout.ca_port(org),
    )


class _Client:
    def __init__(self, dist: FabricDist, layout: NetworkLayout, org: Org) -> None:
        self.dist, self.layout, self.org = dist, layout, org
        self.home = layout.org_dir(org) / "ca-client"
        self.home.mkdir(parents=True, exist_ok=True)
        self.url_host = layout.address(layout.ca_port(org))

    def _run(self, *args: str, what: str) -> str:
        return run([self.dist.tool("fabric-ca-client"), *args, "--home", str(self.home),
                    "--tls.certfiles", str(self.layout.ca_cert(self.org))], what=what, timeout=30)

    def enroll(self, name: str, secret: str, msp_dir: Path, *, tls_hosts: tuple[str, ...] | None = None) -> None:
        args = ["enroll", "-u", f"https://{name}:{secret}@{self.url_host}", "--mspdir", str(msp_dir)]
        if tls_hosts is not None:
            args += ["--enrollment.profile", "tls", "--csr.hosts", ",".join(tls_hosts)]
        self._run(*args, what=f"fabric-ca-client enroll {name} at ca.{self.org.domain}")

    def register(self, registrar_msp: Path, name: str, secret: str, id_type: str) -> None:
        try:
            self._run("register", "-u", f"https://{self.url_host}", "--mspdir", str(registrar_msp),
                      "--id.name", name, "--id.secret", secret, "--id.type", id_type,
                      what=f"fabric-ca-client register {name} at ca.{self.org.domain}")
        except FabricError as exc:
            if "already registered" not in str(exc):
                raise


def _enrolled(msp_dir: Path) -> bool:
    return any((msp_dir / "signcerts").glob("*.pem"))


def _write_tls(enrolled: Path, tls_dir: Path, ca_cert: Path) -> None:
    tls_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(next((enrolled / "signcerts").glob("*.pem")), tls_dir / "server.crt")
    key = tls_dir / "server.key"
    shutil.copyfile(next((enrolled / "keystore").glob("*_sk")), key)
    key.chmod(0o600)
    shutil.copyfile(ca_cert, tls_dir / "ca.crt")


def write_org_msp(layout: NetworkLayout, org: Org) -> Path:
    """The org's verifying MSP for the channel configuration: its root (for both roles) and NodeOUs."""
    msp = layout.org_msp(org)
    for sub in ("cacerts", "tlscacerts"):
        (msp / sub).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(layout.ca_cert(org), msp / sub / "ca.pem")
    (msp / "config.yaml").write_text(NODE_OUS)
    return msp


def issue_identities(dist: FabricDist, layout: NetworkLayout, org: Org, secrets_: dict[str, str]) -> int:
    """Register and enroll every identity of `org` that is missing; how many enrollments it made."""
    client = _Client(dist, layout, org)
    registrar = layout.org_dir(org) / "ca-client" / "registrar-msp"
    made = 0
    if not _enrolled(registrar):
        client.enroll("admin", secrets_[f"{org.domain}/bootstrap-admin"], registrar)
        made += 1
    write_org_msp(layout, org)
    for spec in identities_of(layout, org):
        secret = secrets_[f"{org.domain}/{spec.name}"]
        msp_dir = layout.msp_dir(org, spec.name)
        tls_missing = [t for t in spec.tls if not (layout.identity_dir(org, spec.name) / t / "server.crt").is_file()]
        if not (spec.msp and not _enrolled(msp_dir)) and not tls_missing:
            continue
        client.register(registrar, spec.name, secret, spec.type)
        if spec.msp and not _enrolled(msp_dir):
            client.enroll(spec.name, secret, msp_dir)
            (msp_dir / "config.yaml").write_text(NODE_OUS)
            made += 1
        for tls in tls_missing:
            staging = layout.identity_dir(org, spec.name) / f"{tls}-enrollment"
            shutil.rmtree(staging, ignore_errors=True)
            client.enroll(spec.name, secret, staging, tls_hosts=(HOST, "localhost", f"{spec.name}.{org.domain}"))
            _write_tls(staging, layout.identity_dir(org, spec.name) / tls, layout.ca_cert(org))
            made += 1
    return made
