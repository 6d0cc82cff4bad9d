"""The signing side of an MSP folder: the identity and key a client, peer or admin acts with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from network.identity import Identity, Signer, signer_from_private_key
from network.msp.errors import MspError
from network.msp.files import check_validity, pem_files, read_certificate_file, read_private_key
from network.msp.org import load_org_msp

__all__ = ["MspMember", "load_msp"]


@dataclass(frozen=True)
class MspMember:
    """An identity together with its signer, and the NodeOU role its certificate carries."""

    identity: Identity
    signer: Signer = field(repr=False)
    role: str | None = None

    @property
    def msp_id(self) -> str:
        return self.identity.msp_id


def _public_bytes(key) -> bytes:
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def load_msp(msp_dir: Path, msp_id: str, *, at: datetime | None = None) -> MspMember:
    """Load a signing MSP: `signcerts/` (one certificate) and the matching key in `keystore/`.

    Keystore file names are free (cryptogen writes priv_sk, fabric-ca <ski>_sk), so the key is the
    one whose public key matches the certificate. When `cacerts/` is present the certificate is
    also checked against it and the role comes from config.yaml NodeOUs.
    """
    msp_dir = Path(msp_dir)
    if not msp_dir.is_dir():
        raise MspError(f"{msp_dir}: MSP folder is missing")
    signcerts = pem_files(msp_dir / "signcerts", required=True)
    if len(signcerts) != 1:
        raise MspError(f"{msp_dir / 'signcerts'}: expected one certificate file, found {len(signcerts)}")
    cert_path = signcerts[0]
    pem, certificate = read_certificate_file(cert_path)
    check_validity(cert_path, certificate, at)
    wanted = _public_bytes(certificate.public_key())
    keystore = msp_dir / "keystore"
    key = None
    for path in pem_files(keystore, required=True):
        candidate = read_private_key(path)
        if _public_bytes(candidate.public_key()) == wanted:
            key = candidate
            break
    if key is None:
        raise MspError(f"{keystore}: no private key matches the certificate {cert_path}")
    role = None
    if (msp_dir / "cacerts").is_dir():
        try:
            role = load_org_msp(msp_dir, msp_id).validate(pem, at=at)
        except MspError as exc:
            raise MspError(f"{cert_path}: {exc}") from exc
    return MspMember(Identity(msp_id, pem), signer_from_private_key(key), role)
