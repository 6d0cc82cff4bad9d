"""The verifying side of an organisation's MSP: is this certificate one of ours, and in which role?"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

from network.identity import Identity
from network.msp.errors import MspError
from network.msp.files import check_validity, pem_files, read_certificate_file, read_certificates, utc
from network.msp.nodeous import NodeOUs, certificate_ous, read_node_ous

__all__ = ["OrgMsp", "load_org_msp"]

_MAX_CHAIN = 8


def _describe(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return f"certificate '{names[0].value}'" if names else f"certificate {certificate.subject.rfc4514_string()!r}"


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True, eq=False)
class OrgMsp:
    """An organisation's verifying MSP, loaded from an MSP folder (no private keys involved)."""

    msp_id: str
    msp_dir: Path
    root_certificates: tuple[x509.Certificate, ...]
    intermediate_certificates: tuple[x509.Certificate, ...] = ()
    tls_root_certificates: tuple[x509.Certificate, ...] = ()
    tls_intermediate_certificates: tuple[x509.Certificate, ...] = ()
    node_ous: NodeOUs = field(default_factory=lambda: NodeOUs(False, {}))
    # role -> the CA certificate its OU identifier is scoped to (config.yaml `Certificate:`)
    ou_scopes: dict[str, x509.Certificate] = field(default_factory=dict)
    admin_certificates: tuple[bytes, ...] = ()  # DER, compared byte for byte as Fabric does
    revocation_lists: tuple[x509.CertificateRevocationList, ...] = ()

    @property
    def tls_root_certificates_pem(self) -> bytes:
        """The TLS CA bundle, ready for a gRPC channel's root_certificates."""
        return b"".join(c.public_bytes(Encoding.PEM) for c in self.tls_root_certificates + self.tls_intermediate_certificates)

    def validate(self, certificate_pem: bytes, *, at: datetime | None = None) -> str | None:
        """Check `certificate_pem` chains to this org's CA and is valid `at` (default now).

        Returns its NodeOU role ("client", "peer", "admin", "orderer"), or None when this MSP has
        NodeOUs off and the certificate is not in admincerts. Raises MspError naming the problem.
        """
        try:
            leaf = x509.load_pem_x509_certificate(certificate_pem)
        except ValueError as exc:
            raise MspError(f"{self.msp_id}: presented credentials are not a PEM X.509 certificate ({exc})") from exc
        chain = self._chain(leaf)
        for certificate in chain:
            check_validity(f"{self.msp_id}: {_describe(certificate)}", certificate, at)
        if _is_ca(leaf):
            raise MspError(f"{self.msp_id}: {_describe(leaf)} is a CA certificate, not a member identity")
        self._check_not_revoked(leaf, chain[1], at)
        return self._role(leaf, chain)

    def validate_identity(self, identity: Identity, *, at: datetime | None = None) -> str | None:
        if identity.msp_id != self.msp_id:
            raise MspError(f"identity belongs to {identity.msp_id}, not to {self.msp_id} ({self.msp_dir})")
        return self.validate(identity.credentials, at=at)

    def _chain(self, leaf: x509.Certificate) -> list[x509.Certificate]:
        chain = [leaf]
        current = leaf
        candidates = self.intermediate_certificates + self.root_certificates
        for _ in range(_MAX_CHAIN):
            if any(current == root for root in self.root_certificates) and len(chain) > 1:
                return chain
            issuer = next((c for c in candidates if c != current and _issued_by(current, c)), None)
            if issuer is None:
                raise MspError(
                    f"{self.msp_id}: {_describe(leaf)} is not issued by a CA in "
                    f"{self.msp_dir / 'cacerts'} (issuer {current.issuer.rfc4514_string()!r})"
                )
            chain.append(issuer)
            current = issuer
        raise MspError(f"{self.msp_id}: {_describe(leaf)} has a certificate chain longer than {_MAX_CHAIN}")

    def _check_not_revoked(self, leaf: x509.Certificate, issuer: x509.Certificate, at: datetime | None) -> None:
        for crl in self.revocation_lists:
            if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
                continue
            revoked = crl.get_revoked_certificate_by_serial_number(leaf.serial_number)
            if revoked is not None and revoked.revocation_date_utc <= utc(at):
                raise MspError(f"{self.msp_id}: {_describe(leaf)} is revoked ({self.msp_dir / 'crls'})")

    def _role(self, leaf: x509.Certificate, chain: list[x509.Certificate]) -> str | None:
        der = leaf.public_bytes(Encoding.DER)
        if not self.node_ous.enabled:
            return "admin" if der in self.admin_certificates else None
        ous = certificate_ous(leaf)
        for role, identifier in self.node_ous.identifiers.items():
            scope = self.ou_scopes.get(role)
            if identifier.ou in ous and (scope is None or scope in chain[1:]):
                return role
        if der in self.admin_certificates:  # NodeOUs and legacy admincerts may coexist
            return "admin"
        raise MspError(
            f"{self.msp_id}: {_describe(leaf)} has none of the NodeOU roles "
            f"{sorted(i.ou for i in self.node_ous.identifiers.values())} required by {self.msp_dir / 'config.yaml'}"
        )


def load_org_msp(msp_dir: Path, msp_id: str) -> OrgMsp:
    """Load the verifying MSP in `msp_dir` (cacerts required; the rest optional, as in Fabric)."""
    msp_dir = Path(msp_dir)
    if not msp_dir.is_dir():
        raise MspError(f"{msp_dir}: MSP folder is missing")
    roots = tuple(c for _, c in read_certificates(msp_dir / "cacerts", required=True))
    for path, certificate in read_certificates(msp_dir / "cacerts", required=True):
        if not _is_ca(certificate):
            raise MspError(f"{path}: not a CA certificate (basicConstraints CA is not true)")
    intermediates = tuple(c for _, c in read_certificates(msp_dir / "intermediatecerts", required=False))
    tls_roots = tuple(c for _, c in read_certificates(msp_dir / "tlscacerts", required=False))
    tls_intermediates = tuple(c for _, c in read_certificates(msp_dir / "tlsintermediatecerts", required=False))
    admins = tuple(c.public_bytes(Encoding.DER) for _, c in read_certificates(msp_dir / "admincerts", required=False))
    crls = []
    for path in pem_files(msp_dir / "crls", required=False):
        try:
            crls.append(x509.load_pem_x509_crl(path.read_bytes()))
        except ValueError as exc:
            raise MspError(f"{path}: not a PEM certificate revocation list ({exc})") from exc
    node_ous = read_node_ous(msp_dir)
    scopes: dict[str, x509.Certificate] = {}
    for role, identifier in node_ous.identifiers.items():
        if identifier.certificate:
            _, scopes[role] = read_certificate_file(msp_dir / identifier.certificate)
    return OrgMsp(
        msp_id=msp_id,
        msp_dir=msp_dir,
        root_certificates=roots,
        intermediate_certificates=intermediates,
        tls_root_certificates=tls_roots,
        tls_intermediate_certificates=tls_intermediates,
        node_ous=node_ous,
        ou_scopes=scopes,
        admin_certificates=admins,
        revocation_lists=tuple(crls),
    )
