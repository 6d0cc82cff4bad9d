"""The client identity behind a transaction: MSP id, X.509 certificate, OUs and CA attributes.

Fabric CA writes enrollment attributes into the certificate extension 1.2.3.4.5.6.7.8.1 as JSON
{"attrs": {"name": "value", ...}}; attribute-based access control reads them from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from cryptography import x509
from cryptography.x509.oid import NameOID

from chaincode.runtime.proposal import Creator

FABRIC_ATTRIBUTES_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")


class IdentityError(ValueError):
    """The creator's identity bytes are not a usable X.509 certificate."""


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    msp_id: str
    certificate: x509.Certificate = field(repr=False)
    attributes: Mapping[str, str]

    @classmethod
    def from_creator(cls, creator: Creator) -> ClientIdentity:
        try:
            certificate = x509.load_pem_x509_certificate(creator.id_bytes)
        except ValueError as exc:
            raise IdentityError(f"creator of MSP {creator.msp_id!r} is not a PEM X.509 certificate: {exc}") from None
        return cls(creator.msp_id, certificate, MappingProxyType(_attributes(certificate)))

    @property
    def id(self) -> str:
        """Unique within the MSP, in the format of Fabric's client identity libraries: x509::subject::issuer."""
        return f"x509::{self.certificate.subject.rfc4514_string()}::{self.certificate.issuer.rfc4514_string()}"

    @property
    def organizational_units(self) -> tuple[str, ...]:
        return tuple(
            str(attribute.value)
            for attribute in self.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
        )

    def has_organizational_unit(self, unit: str) -> bool:
        return unit in self.organizational_units

    def get_attribute_value(self, name: str) -> str | None:
        return self.attributes.get(name)

    def assert_attribute_value(self, name: str, value: str) -> bool:
        return self.attributes.get(name) == value


def _attributes(certificate: x509.Certificate) -> dict[str, str]:
    try:
        extension = certificate.extensions.get_extension_for_oid(FABRIC_ATTRIBUTES_OID)
    except x509.ExtensionNotFound:
        return {}
    raw = extension.value.value if isinstance(extension.value, x509.UnrecognizedExtension) else b""
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise IdentityError(f"certificate attribute extension is not JSON: {exc}") from None
    attrs = document.get("attrs") if isinstance(document, dict) else None
    if not isinstance(attrs, dict):
        raise IdentityError('certificate attribute extension has no {"attrs": {...}} object')
    # Fabric CA stores every attribute value as a string; anything else is kept as its JSON text.
    return {str(name): value if isinstance(value, str) else json.dumps(value) for name, value in attrs.items()}
