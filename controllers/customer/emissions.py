"""Emissions credentials in the wallet: what the auditor issues, and what verifiers ask to see.

An offered `UtilityEmissionsCredential` is accepted only when its subject is this wallet's own DID:
a credential about someone else is of no use to the person and would let an issuer fill the wallet.
A verifier's request for emissions credentials waits for the person (or for an explicit policy
that shares them unasked); approving presents exactly the credentials the request names, each the
wallet's own, one per ledger record.

The agent is the record of pending requests (a request is pending while its exchange is in
`request-received`), so a restart loses nothing and needs no second copy of the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from controllers.acapy import AcaPyAdmin
from controllers.acapy.records import CredentialExchange, PresentationExchange
from credentials.emissions import CREDENTIAL_TYPE, CREDENTIAL_TYPE_IRI

__all__ = [
    "CREDENTIAL_TYPE",
    "SharingRequest",
    "MatchingCredential",
    "is_emissions_offer",
    "is_emissions_request",
    "offer_refusal",
    "requested_records",
    "sharing_request",
]


@dataclass(frozen=True)
class MatchingCredential:
    record_id: str  # the wallet's W3C record id, what a presentation names
    ledger_record: str
    period_start: str
    period_end: str
    issuer: str
    descriptor_id: str = "emissions"  # the request's input descriptor this credential answers


@dataclass(frozen=True)
class SharingRequest:
    """A verifier's pending request for emissions credentials, as the person sees it."""

    pres_ex_id: str
    requester: str  # the name the person gave the connection, else the label the verifier sent
    comment: str
    asked_records: tuple[str, ...] | None  # the ledger records named; None: any emissions credential
    matches: tuple[MatchingCredential, ...]

    def selection(self) -> dict[str, list[str]]:
        """What to present: {input descriptor id: [the wallet's record ids]}."""
        chosen: dict[str, list[str]] = {}
        for match in self.matches:
            chosen.setdefault(match.descriptor_id, []).append(match.record_id)
        return chosen


def is_emissions_offer(exchange: CredentialExchange) -> bool:
    offered = (exchange.offer or {}).get("credential") or {}
    return CREDENTIAL_TYPE in (offered.get("type") or [])


def offer_refusal(exchange: CredentialExchange, holder_did: str) -> str | None:
    """Why this emissions credential offer must be refused, or None to accept it."""
    subject = ((exchange.offer or {}).get("credential") or {}).get("credentialSubject") or {}
    if subject.get("id") != holder_did:
        return "the emissions credential's subject is not this wallet's DID"
    return None


def _descriptors(exchange: PresentationExchange) -> list[dict[str, Any]]:
    definition = (exchange.request or {}).get("presentation_definition") or {}
    return list(definition.get("input_descriptors") or [])


def is_emissions_request(exchange: PresentationExchange) -> bool:
    return any({"uri": CREDENTIAL_TYPE_IRI} in (d.get("schema") or []) for d in _descriptors(exchange))


def requested_records(descriptor: dict[str, Any]) -> set[str] | None:
    """The ledger record ids a descriptor names (`const` or `enum`); None when it names none."""
    for field_ in (descriptor.get("constraints") or {}).get("fields") or []:
        if any(path.endswith("ledgerAnchor.recordId") for path in field_.get("path") or []):
            wanted = field_.get("filter") or {}
            if "const" in wanted:
                return {wanted["const"]}
            if "enum" in wanted:
                return set(wanted["enum"])
    return None


async def sharing_request(admin: AcaPyAdmin, exchange: PresentationExchange, holder_did: str) -> SharingRequest:
    """The request with the wallet's credentials that satisfy it. ACA-Py lists every credential of
    the type, so the request's record filters and the subject are applied here. A request names
    its records in one descriptor or in one descriptor per record; one naming none takes any."""
    descriptors = _descriptors(exchange)
    if not descriptors or not all({"uri": CREDENTIAL_TYPE_IRI} in (d.get("schema") or []) for d in descriptors):
        raise ValueError("the request asks for other kinds of credential too")
    answering: dict[str, str] = {}  # ledger record -> the descriptor that names it
    open_descriptor: str | None = None
    for descriptor in descriptors:
        records = requested_records(descriptor)
        if records is None:
            open_descriptor = open_descriptor or str(descriptor.get("id"))
        for record in records or ():
            answering.setdefault(record, str(descriptor.get("id")))
    chosen: dict[str, MatchingCredential] = {}
    for match in await admin.matching_credentials(exchange.pres_ex_id, count=1000):
        value = match.get("cred_value") or match
        subject = value.get("credentialSubject") or {}
        record = (subject.get("ledgerAnchor") or {}).get("recordId")
        if CREDENTIAL_TYPE not in (value.get("type") or []) or subject.get("id") != holder_did or not record:
            continue
        descriptor_id = answering.get(record, open_descriptor)
        if descriptor_id is not None:
            issuer = value.get("issuer")
            chosen.setdefault(record, MatchingCredential(
                match["record_id"], record, str(subject.get("periodStart", "?")), str(subject.get("periodEnd", "?")),
                str(issuer.get("id") if isinstance(issuer, dict) else issuer), descriptor_id))
    requester = "an unknown party"
    if exchange.connection_id:
        try:
            connection = await admin.connection(exchange.connection_id)
            requester = connection.raw.get("alias") or connection.their_label or requester
        except Exception:  # noqa: BLE001 - a vanished connection only costs the display name
            pass
    return SharingRequest(
        pres_ex_id=exchange.pres_ex_id,
        requester=str(requester),
        comment=str((exchange.raw.get("pres_request") or {}).get("comment") or ""),
        asked_records=None if open_descriptor is not None else tuple(sorted(answering)),
        matches=tuple(chosen.values()),
    )
