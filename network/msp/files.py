"""Reading the pieces of an MSP folder, with errors that name the file."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from network.msp.errors import MspError

__all__ = ["read_certificates", "read_certificate_file", "read_private_key", "pem_files", "check_validity", "utc"]


def utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc)
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def pem_files(folder: Path, *, required: bool) -> list[Path]:
    """Regular files of `folder`, sorted; fabric-ca and cryptogen name them freely (no extension rule)."""
    if not folder.is_dir():
        if required:
            raise MspError(f"{folder}: folder is missing")
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if required and not files:
        raise MspError(f"{folder}: folder is empty")
    return files


def read_certificate_file(path: Path) -> tuple[bytes, x509.Certificate]:
    """The PEM bytes and parsed certificate of a one-certificate file."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise MspError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        return pem, x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise MspError(f"{path}: not a PEM X.509 certificate ({exc})") from exc


def read_certificates(folder: Path, *, required: bool) -> list[tuple[Path, x509.Certificate]]:
    """Every certificate in every file of `folder` (a file may hold a bundle)."""
    found: list[tuple[Path, x509.Certificate]] = []
    for path in pem_files(folder, required=required):
        try:
            certificates = x509.load_pem_x509_certificates(path.read_bytes())
        except (ValueError, OSError) as exc:
            raise MspError(f"{path}: not a PEM X.509 certificate ({exc})") from exc
        found.extend((path, cert) for cert in certificates)
    return found


def read_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise MspError(f"{path}: cannot read ({exc.strerror})") from exc
    except (ValueError, TypeError) as exc:
        raise MspError(f"{path}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise MspError(f"{path}: expected an ECDSA P-256 private key")
    return key


def check_validity(path: Path | str, certificate: x509.Certificate, at: datetime | None) -> None:
    now = utc(at)
    if now < certificate.not_valid_before_utc:
        raise MspError(f"{path}: certificate is not valid before {certificate.not_valid_before_utc.isoformat()}")
    if now > certificate.not_valid_after_utc:
        raise MspError(f"{path}: certificate expired on {certificate.not_valid_after_utc.isoformat()}")
