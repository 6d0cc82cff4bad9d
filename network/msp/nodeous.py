"""NodeOUs: how an MSP's config.yaml maps certificate OUs to roles (client, peer, admin, orderer).

With NodeOUs enabled, a certificate's role is the OU in its subject, and admins are recognised by
the admin OU, so no admincerts/ folder is needed anywhere (Fabric >= 1.4.3 behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from network.msp.errors import MspError

__all__ = ["ROLES", "OuIdentifier", "NodeOUs", "read_node_ous", "render_node_ous", "certificate_ous"]

ROLES = ("client", "peer", "admin", "orderer")
_YAML_KEYS = {
    "client": "ClientOUIdentifier",
    "peer": "PeerOUIdentifier",
    "admin": "AdminOUIdentifier",
    "orderer": "OrdererOUIdentifier",
}


@dataclass(frozen=True)
class OuIdentifier:
    ou: str
    certificate: str | None = None  # path relative to the MSP folder; the CA this OU is scoped to


@dataclass(frozen=True)
class NodeOUs:
    enabled: bool
    identifiers: dict[str, OuIdentifier]  # role -> identifier, only the roles the file names

    def role_for(self, ous: list[str]) -> str | None:
        # Fabric checks client and peer first, then admin and orderer; a certificate carries one.
        for role in ROLES:
            identifier = self.identifiers.get(role)
            if identifier is not None and identifier.ou in ous:
                return role
        return None


DISABLED = NodeOUs(False, {})


def certificate_ous(certificate: x509.Certificate) -> list[str]:
    return [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]


def read_node_ous(msp_dir: Path) -> NodeOUs:
    """NodeOUs of `msp_dir/config.yaml`; a missing file means NodeOUs are off (Fabric's default)."""
    path = msp_dir / "config.yaml"
    if not path.is_file():
        return DISABLED
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise MspError(f"{path}: not readable YAML ({exc})") from exc
    if not isinstance(document, dict):
        raise MspError(f"{path}: expected a mapping at the top level")
    section = document.get("NodeOUs")
    if section is None:
        return DISABLED
    if not isinstance(section, dict):
        raise MspError(f"{path}: NodeOUs must be a mapping")
    identifiers: dict[str, OuIdentifier] = {}
    for role, key in _YAML_KEYS.items():
        entry = section.get(key)
        if entry is None:
            continue
        if not isinstance(entry, dict) or not entry.get("OrganizationalUnitIdentifier"):
            raise MspError(f"{path}: NodeOUs.{key} needs an OrganizationalUnitIdentifier")
        certificate = entry.get("Certificate")
        identifiers[role] = OuIdentifier(str(entry["OrganizationalUnitIdentifier"]), str(certificate) if certificate else None)
    return NodeOUs(bool(section.get("Enable", False)), identifiers)


def render_node_ous(ca_certificate: str) -> str:
    """config.yaml text as cryptogen writes it, every OU scoped to `ca_certificate` (relative path)."""
    lines = ["NodeOUs:", "  Enable: true"]
    for role, key in _YAML_KEYS.items():
        lines += [
            f"  {key}:",
            f"    Certificate: {ca_certificate}",
            f"    OrganizationalUnitIdentifier: {role}",
        ]
    return "\n".join(lines) + "\n"
