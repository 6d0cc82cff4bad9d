"""What the consent half of the auditor controller hands over: one consented bill of one customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["BillOwner", "ConsentedBill"]


class BillOwner(Protocol):
    """Whose bill it is: what RecordEmissions carries as transient data and whom the credential names."""

    customer_did: str
    utility_id: int
    account_id: str
    service_point_id: str


@dataclass(frozen=True)
class ConsentedBill:
    """A feed the auditor downloaded under a verified consent, with who it belongs to.

    `bill_id` is the auditor's own stable name for this bill (its audit id, say): the key under
    which issuance resumes after a crash. It never leaves the auditor's data directory.
    """

    bill_id: str
    connection_id: str  # the DIDComm connection to the customer's wallet
    customer_did: str  # the consent's issuer: the credential's subject
    customer_key_agreement: str  # X25519 public key (multibase) from the consent: bills are encrypted to it
    utility_id: int
    account_id: str
    service_point_id: str
    feed: bytes = field(repr=False)  # the exact bytes the utility served

    def __post_init__(self) -> None:
        for name in ("bill_id", "connection_id", "customer_did", "customer_key_agreement", "account_id",
                     "service_point_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"consented bill: {name} must be a non-empty string")
        if not self.customer_did.startswith("did:"):
            raise ValueError("consented bill: customer_did must be a DID")
        if not isinstance(self.utility_id, int) or self.utility_id <= 0:
            raise ValueError("consented bill: utility_id must be a positive EIA utility number")
        if not isinstance(self.feed, bytes) or not self.feed:
            raise ValueError("consented bill: feed must be the non-empty bytes the utility served")
