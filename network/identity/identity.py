"""Who a Fabric client (or peer) is: an MSP id plus an X.509 certificate, serialised as Fabric does."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from google.protobuf.message import DecodeError
from fabric_protos.msp import identities_pb2

__all__ = ["Identity"]


@dataclass(frozen=True)
class Identity:
    """An MSP member as the ledger sees it: `msp_id` and a PEM certificate (`credentials`).

    Fabric compares creators byte for byte (tx id derivation, signature checks), so the PEM bytes
    are kept exactly as given rather than re-encoded.
    """

    msp_id: str
    credentials: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.msp_id, str) or not self.msp_id:
            raise ValueError("identity: msp_id must be a non-empty string")
        if not isinstance(self.credentials, (bytes, bytearray)) or not self.credentials:
            raise ValueError(f"identity {self.msp_id}: credentials must be non-empty PEM bytes")
        if isinstance(self.credentials, bytearray):
            object.__setattr__(self, "credentials", bytes(self.credentials))

    @classmethod
    def from_certificate(cls, msp_id: str, certificate: x509.Certificate | bytes) -> Identity:
        """Identity from a certificate object or PEM bytes (PEM is checked to parse)."""
        if isinstance(certificate, x509.Certificate):
            return cls(msp_id, certificate.public_bytes(Encoding.PEM))
        try:
            x509.load_pem_x509_certificate(certificate)
        except ValueError as exc:
            raise ValueError(f"identity {msp_id}: credentials are not a PEM X.509 certificate ({exc})") from exc
        return cls(msp_id, bytes(certificate))

    @property
    def certificate(self) -> x509.Certificate:
        """The parsed certificate; raises ValueError when the credentials are not PEM X.509."""
        try:
            return x509.load_pem_x509_certificate(self.credentials)
        except ValueError as exc:
            raise ValueError(f"identity {self.msp_id}: credentials are not a PEM X.509 certificate ({exc})") from exc

    def serialize(self) -> bytes:
        """`msp.SerializedIdentity{mspid, id_bytes}`: the `creator` of headers and endorsements."""
        return identities_pb2.SerializedIdentity(mspid=self.msp_id, id_bytes=self.credentials).SerializeToString(
            deterministic=True
        )

    @classmethod
    def from_serialized(cls, data: bytes) -> Identity:
        """Inverse of `serialize`; raises ValueError naming what is wrong with `data`."""
        message = identities_pb2.SerializedIdentity()
        try:
            message.ParseFromString(bytes(data))
        except DecodeError as exc:
            raise ValueError(f"serialized identity: not a msp.SerializedIdentity ({exc})") from exc
        if not message.mspid:
            raise ValueError("serialized identity: mspid is empty")
        if not message.id_bytes:
            raise ValueError(f"serialized identity {message.mspid}: id_bytes (certificate) is empty")
        return cls(message.mspid, message.id_bytes)

    def __repr__(self) -> str:
        # The certificate is long and not secret, but it does not help in a log line.
        return f"Identity(msp_id={self.msp_id!r}, credentials=<{len(self.credentials)} bytes PEM>)"
