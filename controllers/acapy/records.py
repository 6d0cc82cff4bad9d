"""Small typed views of the ACA-Py records the controllers act on.

Each keeps the agent's full record in `raw`: the typed fields are what controllers branch on, the
documents inside (credentials, presentations) stay plain dicts, as ACA-Py and JSON-LD define them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Invitation", "ConnectionRecord", "CredentialExchange", "PresentationExchange", "DidInfo"]


@dataclass(frozen=True)
class DidInfo:
    did: str
    verkey: str
    method: str
    key_type: str

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> DidInfo:
        return cls(did=d["did"], verkey=d.get("verkey", ""), method=d.get("method", ""), key_type=d.get("key_type", ""))


@dataclass(frozen=True)
class Invitation:
    oob_id: str
    invitation_msg_id: str
    invitation: dict[str, Any] = field(repr=False)
    invitation_url: str = field(repr=False)

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Invitation:
        return cls(d["oob_id"], d["invi_msg_id"], d["invitation"], d.get("invitation_url", ""))


@dataclass(frozen=True)
class ConnectionRecord:
    connection_id: str
    state: str  # ACA-Py summary state: invitation, request, response, active, completed, abandoned, ...
    rfc23_state: str
    their_label: str | None
    their_did: str | None = field(repr=False)
    my_did: str | None = field(repr=False)
    invitation_msg_id: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def is_active(self) -> bool:
        return self.state in {"active", "completed"}

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> ConnectionRecord:
        return cls(
            connection_id=d["connection_id"],
            state=d.get("state", ""),
            rfc23_state=d.get("rfc23_state", ""),
            their_label=d.get("their_label"),
            their_did=d.get("their_did"),
            my_did=d.get("my_did"),
            invitation_msg_id=d.get("invitation_msg_id"),
            raw=d,
        )


def _format(by_format: dict[str, Any], message: str, fmt: str) -> dict[str, Any] | None:
    return (by_format.get(message) or {}).get(fmt)


@dataclass(frozen=True)
class CredentialExchange:
    """An issue-credential v2 exchange (`cred_ex_record`), as either party sees it."""

    cred_ex_id: str
    state: str
    role: str  # issuer | holder
    connection_id: str | None
    thread_id: str | None
    error_msg: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def by_format(self) -> dict[str, Any]:
        return self.raw.get("by_format") or {}

    @property
    def proposal(self) -> dict[str, Any] | None:
        return _format(self.by_format, "cred_proposal", "ld_proof")

    @property
    def offer(self) -> dict[str, Any] | None:
        return _format(self.by_format, "cred_offer", "ld_proof")

    @property
    def request(self) -> dict[str, Any] | None:
        return _format(self.by_format, "cred_request", "ld_proof")

    @property
    def credential(self) -> dict[str, Any] | None:
        """The issued verifiable credential (ld_proof), once there is one."""
        return _format(self.by_format, "cred_issue", "ld_proof")

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> CredentialExchange:
        # GET /records/{id} wraps the record as {"cred_ex_record": ..., "ld_proof": ...}; the send-*
        # calls and webhooks give the record itself.
        rec = d.get("cred_ex_record", d)
        return cls(
            cred_ex_id=rec["cred_ex_id"],
            state=rec.get("state", ""),
            role=rec.get("role", ""),
            connection_id=rec.get("connection_id"),
            thread_id=rec.get("thread_id"),
            error_msg=rec.get("error_msg"),
            raw=rec,
        )


@dataclass(frozen=True)
class PresentationExchange:
    """A present-proof v2 exchange (DIF format)."""

    pres_ex_id: str
    state: str
    role: str  # verifier | prover
    connection_id: str | None
    thread_id: str | None
    verified: bool | None
    error_msg: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def by_format(self) -> dict[str, Any]:
        return self.raw.get("by_format") or {}

    @property
    def request(self) -> dict[str, Any] | None:
        return _format(self.by_format, "pres_request", "dif")

    @property
    def presentation(self) -> dict[str, Any] | None:
        """The verifiable presentation received or sent, once there is one."""
        return _format(self.by_format, "pres", "dif")

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> PresentationExchange:
        verified = d.get("verified")
        return cls(
            pres_ex_id=d["pres_ex_id"],
            state=d.get("state", ""),
            role=d.get("role", ""),
            connection_id=d.get("connection_id"),
            thread_id=d.get("thread_id"),
            verified=None if verified is None else str(verified).lower() == "true",
            error_msg=d.get("error_msg"),
            raw=d,
        )
