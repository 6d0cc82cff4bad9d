"""Where cryptogen-style crypto material lives on disk; pure path arithmetic, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from network.msp.crypto_config import CryptoConfig, OrgSpec

__all__ = ["NodeLayout", "OrgLayout", "CryptoLayout", "crypto_layout"]


@dataclass(frozen=True)
class NodeLayout:
    """One peer, orderer or user: its signing MSP folder and its TLS folder."""

    name: str  # peer0.auditor1.example.com, Admin@auditor1.example.com
    msp_dir: Path
    tls_dir: Path
    tls_side: Literal["server", "client"]  # nodes serve TLS, users only present client certificates

    @property
    def signcert(self) -> Path:
        return self.msp_dir / "signcerts" / f"{self.name}-cert.pem"

    @property
    def private_key(self) -> Path:
        return self.msp_dir / "keystore" / "priv_sk"

    @property
    def tls_cert(self) -> Path:
        return self.tls_dir / f"{self.tls_side}.crt"

    @property
    def tls_key(self) -> Path:
        return self.tls_dir / f"{self.tls_side}.key"

    @property
    def tls_ca(self) -> Path:
        return self.tls_dir / "ca.crt"


@dataclass(frozen=True)
class OrgLayout:
    msp_id: str
    domain: str
    kind: Literal["peer", "orderer"]
    root: Path
    msp_dir: Path  # the org's verifying MSP (what goes into the channel configuration)
    ca_dir: Path
    tlsca_dir: Path
    peers: tuple[NodeLayout, ...]
    orderers: tuple[NodeLayout, ...]
    users: tuple[NodeLayout, ...]  # Admin first

    @property
    def ca_cert(self) -> Path:
        return self.ca_dir / f"ca.{self.domain}-cert.pem"

    @property
    def ca_key(self) -> Path:
        return self.ca_dir / "priv_sk"

    @property
    def tlsca_cert(self) -> Path:
        return self.tlsca_dir / f"tlsca.{self.domain}-cert.pem"

    @property
    def tlsca_key(self) -> Path:
        return self.tlsca_dir / "priv_sk"

    @property
    def nodes(self) -> tuple[NodeLayout, ...]:
        return self.peers + self.orderers

    @property
    def admin(self) -> NodeLayout:
        return self.user("Admin")

    def user(self, name: str) -> NodeLayout:
        full = name if "@" in name else f"{name}@{self.domain}"
        for user in self.users:
            if user.name == full:
                return user
        raise KeyError(f"{self.msp_id} has no user {name!r}")


@dataclass(frozen=True)
class CryptoLayout:
    out_dir: Path
    orgs: tuple[OrgLayout, ...]

    def org(self, msp_id: str) -> OrgLayout:
        for org in self.orgs:
            if org.msp_id == msp_id:
                return org
        raise KeyError(f"no organisation {msp_id!r} in {self.out_dir}")


def _org_layout(out_dir: Path, spec: OrgSpec) -> OrgLayout:
    root = out_dir / ("peerOrganizations" if spec.kind == "peer" else "ordererOrganizations") / spec.domain
    node_folder = "peers" if spec.kind == "peer" else "orderers"
    nodes = tuple(
        NodeLayout(name, root / node_folder / name / "msp", root / node_folder / name / "tls", "server")
        for name in (f"{spec.kind}{i}.{spec.domain}" for i in range(spec.nodes))
    )
    users = tuple(
        NodeLayout(name, root / "users" / name / "msp", root / "users" / name / "tls", "client")
        for name in (f"{user}@{spec.domain}" for user in ("Admin", *spec.users))
    )
    return OrgLayout(
        msp_id=spec.msp_id,
        domain=spec.domain,
        kind=spec.kind,
        root=root,
        msp_dir=root / "msp",
        ca_dir=root / "ca",
        tlsca_dir=root / "tlsca",
        peers=nodes if spec.kind == "peer" else (),
        orderers=nodes if spec.kind == "orderer" else (),
        users=users,
    )


def crypto_layout(out_dir: Path, config: CryptoConfig) -> CryptoLayout:
    out_dir = Path(out_dir)
    return CryptoLayout(out_dir, tuple(_org_layout(out_dir, spec) for spec in config.orgs))
