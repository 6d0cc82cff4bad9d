"""Fabric chaincode-as-a-service packages, built byte-for-byte reproducibly.

A CCaaS package is a tar.gz holding `metadata.json` {"type": "ccaas", "label": ...} and
`code.tar.gz`, which holds `connection.json` (where the peer dials the chaincode server, and its
TLS material). Fabric names an installed package `label:sha256(package bytes)`, so the same inputs
must give the same bytes: members are added in a fixed order with fixed mtimes, owners and modes,
JSON is written with sorted keys, and gzip headers carry no file name or time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CcaasConnection", "ChaincodePackage", "PackageError", "build_ccaas_package", "package_id", "read_pem"]

_LABEL = re.compile(r"^[A-Za-z0-9_.+-]+$")  # Fabric's rule for package labels


class PackageError(ValueError):
    """The package cannot be built from these inputs; the message names the field."""


@dataclass(frozen=True)
class CcaasConnection:
    """connection.json: the chaincode server's address as the peer resolves it, and TLS settings."""

    address: str
    dial_timeout: str = "10s"
    tls_required: bool = False
    client_auth_required: bool = False
    root_cert: str = ""  # PEM of the CA that signed the chaincode server's TLS certificate
    client_key: str = ""  # PEM; for mutual TLS, the peer's client key and certificate
    client_cert: str = ""

    def __post_init__(self) -> None:
        host, sep, port = self.address.rpartition(":")
        if not host or not sep or not port.isdigit():
            raise PackageError(f"connection address {self.address!r} must be host:port")
        if self.tls_required and not self.root_cert:
            raise PackageError("tls_required needs root_cert (the PEM of the chaincode server's TLS CA)")
        if self.client_auth_required and not (self.client_key and self.client_cert):
            raise PackageError("client_auth_required needs client_key and client_cert")
        if self.client_auth_required and not self.tls_required:
            raise PackageError("client_auth_required needs tls_required: mutual TLS is TLS first")

    def to_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "dial_timeout": self.dial_timeout,
            "tls_required": self.tls_required,
            "client_auth_required": self.client_auth_required,
            "root_cert": self.root_cert,
            "client_key": self.client_key,
            "client_cert": self.client_cert,
        }


_PEM_MARKERS = {"certificate": "-----BEGIN CERTIFICATE-----", "private key": "PRIVATE KEY-----"}


def read_pem(path: Path, what: str, kind: str) -> str:
    """The PEM text of `path` for connection.json; `kind` is "certificate" or "private key".

    The peer reads these only when it dials the chaincode server, long after install: a missing
    file, a DER file or a certificate and key given the wrong way round are refused here instead.
    """
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
        raise PackageError(f"cannot read {what} {path}: {reason}") from None
    if "-----BEGIN " not in text or _PEM_MARKERS[kind] not in text:
        raise PackageError(f"{what} {path} is not a PEM {kind}")
    return text


@dataclass(frozen=True)
class ChaincodePackage:
    label: str
    data: bytes

    @property
    def package_id(self) -> str:
        return package_id(self.label, self.data)

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.data)
        return path


def package_id(label: str, data: bytes) -> str:
    return f"{label}:{hashlib.sha256(data).hexdigest()}"


def _json(document: object) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _tar_gz(members: list[tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(content))
    out = io.BytesIO()
    # mtime=0 and no filename: the gzip header is then the same on every run.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def build_ccaas_package(label: str, connection: CcaasConnection) -> ChaincodePackage:
    """The package `peer lifecycle chaincode install` takes for a chaincode run as a service."""
    if not _LABEL.match(label or ""):
        raise PackageError(f"label {label!r} may only hold letters, digits and _ . + -")
    code = _tar_gz([("connection.json", _json(connection.to_json()))])
    outer = _tar_gz([("metadata.json", _json({"label": label, "type": "ccaas"})), ("code.tar.gz", code)])
    return ChaincodePackage(label, outer)
