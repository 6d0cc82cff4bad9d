"""X.509 certificates shaped like cryptogen's: P-256 keys, a self-signed CA per purpose, leaf
certificates carrying the NodeOU in the subject OU."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["new_key", "self_signed_ca", "issue", "write_private_key", "write_certificate", "subject_key_id"]

# Tolerate small clock differences between machines, as cryptogen does.
_BACKDATE = timedelta(minutes=5)


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def subject_key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    # cryptogen's SKI: SHA-256 of the uncompressed point (fabric-ca names keystore files after it).
    return hashlib.sha256(
        public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    ).digest()


def _name(common_name: str, *, organization: str | None = None, unit: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "California"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "San Francisco"),
    ]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _validity(days: int) -> tuple[datetime, datetime]:
    now = datetime.now(timezone.utc)
    return now - _BACKDATE, now + timedelta(days=days)


def self_signed_ca(key: ec.EllipticCurvePrivateKey, common_name: str, organization: str, days: int) -> x509.Certificate:
    name = _name(common_name, organization=organization)
    not_before, not_after = _validity(days)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(secrets.randbits(127) | 1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier(subject_key_id(key.public_key())), critical=False)
        .sign(key, hashes.SHA256())
    )


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    general: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):  # keep order, drop duplicates
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            general.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(general)


def issue(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_certificate: x509.Certificate,
    public_key: ec.EllipticCurvePublicKey,
    common_name: str,
    *,
    days: int,
    unit: str | None = None,
    tls_names: list[str] | None = None,
) -> x509.Certificate:
    """A leaf certificate: an enrolment certificate (with `unit` = NodeOU) or, with `tls_names`,
    a TLS certificate usable both as server and client (mutual TLS)."""
    not_before, not_after = _validity(days)
    tls = tls_names is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, unit=unit))
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(secrets.randbits(127) | 1)
        .not_valid_before(not_before)
        .not_valid_after(min(not_after, ca_certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=tls, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier(subject_key_id(public_key)), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier(subject_key_id(ca_certificate.public_key()), None, None),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if tls:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        if tls_names:
            builder = builder.add_extension(_san(tls_names), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """PKCS#8 PEM, created with mode 0600 so the key is never readable by others, not even briefly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def write_certificate(path: Path, certificate: x509.Certificate) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
