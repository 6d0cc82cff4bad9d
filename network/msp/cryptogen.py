"""Generate the crypto material of a Fabric network the way `cryptogen generate` lays it out.

Re-running is safe: keys already on disk are kept (unless `force`), and a certificate is only
re-issued when it no longer fits (different key, CA changed, expired, TLS names changed). Material
other processes already trust therefore survives a second run.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from network.msp.certificates import issue, new_key, self_signed_ca, write_certificate, write_private_key
from network.msp.crypto_config import CryptoConfig, default_crypto_config
from network.msp.errors import MspError
from network.msp.files import read_private_key
from network.msp.layout import CryptoLayout, NodeLayout, OrgLayout, crypto_layout
from network.msp.nodeous import render_node_ous

__all__ = ["generate_crypto_material"]

# Re-issue certificates that would expire within this margin rather than hand out near-dead ones.
_RENEW_MARGIN = timedelta(days=1)


def _key(path: Path, force: bool) -> ec.EllipticCurvePrivateKey:
    if path.exists() and not force:
        return read_private_key(path)
    key = new_key()
    write_private_key(path, key)
    return key


def _existing_fits(
    path: Path, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None, tls_names: list[str] | None
) -> x509.Certificate | None:
    if not path.is_file():
        return None
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
        if certificate.public_key() != key.public_key():
            return None
        certificate.verify_directly_issued_by(issuer or certificate)
    except (ValueError, TypeError, InvalidSignature):
        return None
    if certificate.not_valid_after_utc < datetime.now(timezone.utc) + _RENEW_MARGIN:
        return None
    if issuer is not None and certificate.not_valid_before_utc < issuer.not_valid_before_utc - timedelta(minutes=10):
        return None
    if tls_names is not None:
        try:
            san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            present = [str(n.value) for n in san]
        except x509.ExtensionNotFound:
            present = []
        if sorted(present) != sorted(set(tls_names)):
            return None
    return certificate


class _Generator:
    def __init__(self, config: CryptoConfig, force: bool) -> None:
        self.config = config
        self.force = force

    def ca(self, cert_path: Path, key_path: Path, common_name: str, organization: str):
        key = _key(key_path, self.force)
        certificate = None if self.force else _existing_fits(cert_path, key, None, None)
        if certificate is None:
            certificate = self_signed_ca(key, common_name, organization, self.config.ca_validity_days)
            write_certificate(cert_path, certificate)
        return key, certificate

    def leaf(self, cert_path, key_path, ca, common_name, *, unit=None, tls_names=None) -> None:
        ca_key, ca_certificate = ca
        key = _key(key_path, self.force)
        if self.force or _existing_fits(cert_path, key, ca_certificate, tls_names) is None:
            certificate = issue(
                ca_key, ca_certificate, key.public_key(), common_name,
                days=self.config.node_validity_days, unit=unit, tls_names=tls_names,
            )
            write_certificate(cert_path, certificate)

    def verifying_msp(self, msp_dir: Path, org: OrgLayout, ca, tlsca) -> None:
        ca_file = f"ca.{org.domain}-cert.pem"
        write_certificate(msp_dir / "cacerts" / ca_file, ca[1])
        write_certificate(msp_dir / "tlscacerts" / f"tlsca.{org.domain}-cert.pem", tlsca[1])
        (msp_dir / "config.yaml").write_text(render_node_ous(f"cacerts/{ca_file}"), encoding="utf-8")

    def member(self, node: NodeLayout, org: OrgLayout, ca, tlsca, role: str) -> None:
        self.verifying_msp(node.msp_dir, org, ca, tlsca)
        self.leaf(node.signcert, node.private_key, ca, node.name, unit=role)
        host = node.name.split("@")[-1] if node.tls_side == "client" else node.name
        tls_names = [host, host.split(".")[0], *self.config.tls_extra_sans] if node.tls_side == "server" else []
        self.leaf(node.tls_cert, node.tls_key, tlsca, node.name, tls_names=tls_names)
        write_certificate(node.tls_ca, tlsca[1])

    def org(self, org: OrgLayout) -> None:
        ca = self.ca(org.ca_cert, org.ca_key, f"ca.{org.domain}", org.domain)
        tlsca = self.ca(org.tlsca_cert, org.tlsca_key, f"tlsca.{org.domain}", org.domain)
        self.verifying_msp(org.msp_dir, org, ca, tlsca)
        for node in org.nodes:
            self.member(node, org, ca, tlsca, org.kind)
        for user in org.users:
            self.member(user, org, ca, tlsca, "admin" if user.name.startswith("Admin@") else "client")


def generate_crypto_material(out_dir: Path, config: CryptoConfig | None = None, *, force: bool = False) -> CryptoLayout:
    """Write (or complete) the crypto material for `config` under `out_dir`; return its layout.

    With NodeOUs in every config.yaml the admin role comes from the certificate's OU, so there are
    no admincerts folders (Fabric only needs them when NodeOUs are off).
    `force` replaces every key and certificate of the configured organisations.
    """
    config = config or default_crypto_config()
    layout = crypto_layout(Path(out_dir), config)
    generator = _Generator(config, force)
    for org in layout.orgs:
        if force and org.root.exists():
            shutil.rmtree(org.root)
        try:
            org.root.mkdir(parents=True, exist_ok=True)
            generator.org(org)
        except OSError as exc:
            raise MspError(f"{exc.filename or org.root}: cannot write crypto material ({exc.strerror})") from exc
    return layout
