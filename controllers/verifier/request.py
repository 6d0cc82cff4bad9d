"""Asking a holder for its emissions credential over DIDComm (present-proof v2, DIF).

The request names the credential type (the `schema` list ACA-Py's holder needs) and constrains
fields: a ledger anchor must be present, and, when the verifier asks about one record, its id;
credentials of either GHG scope match.
Each request carries a fresh UUID4 challenge, kept with the request so the presentation that
comes back is checked against the challenge this verifier issued, not one the holder picked.
A record the verifier named and the holder did not present gets a rejected verdict of its own:
the answer covers every record asked about, not only those the wallet chose to show. (ACA-Py's
verifier agent refuses a submission that leaves a descriptor unanswered; the check here does
not rest on that.)
The verifier's agent verifies the presentation itself (--auto-verify-presentation); the
controller waits for that on the verifier agent's webhooks (bounded), then runs EmissionsVerifier.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from controllers.acapy import (AcaPyAdmin, ExchangeAbandoned, ExchangeTimeout, ExchangeWaiter, ENDED_STATES,
                               PresentationExchange, new_challenge)
from credentials.vocabulary import EMISSIONS_TYPE, descriptor_schema
from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.verdict import ERROR, REJECTED, Check, Verdict

__all__ = ["PendingRequest", "emissions_definition", "request_credential", "await_verdicts", "not_presented", "settled",
           "verdicts_on"]

TOPIC = "present_proof_v2_0"
_DONE = frozenset({"done"})
_RECORD_ID = r"^[0-9a-f]{64}$"


def emissions_definition(record_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """A request for the emissions credentials of `record_ids` (one, or several: a year of bills
    in one presentation, one holder signature), or for any emissions credential when None.

    Each record named gets an input descriptor of its own: an input descriptor asks for one
    credential, and a wallet that answers by the letter (Credo) presents one per descriptor."""
    if record_ids is None:
        return _definition([_descriptor("emissions", {"type": "string", "pattern": _RECORD_ID})])
    if not record_ids:
        raise ValueError("record_ids must name at least one record (or be None)")
    return _definition([_descriptor(f"emissions-{n}", {"type": "string", "const": record})
                        for n, record in enumerate(dict.fromkeys(record_ids), 1)])


def _definition(descriptors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "input_descriptors": descriptors}


def _descriptor(descriptor_id: str, record_filter: dict[str, Any]) -> dict[str, Any]:
    field_id = str(uuid.uuid4())  # ACA-Py accepts only UUID4 field ids
    return {
        "id": descriptor_id,
        # Scope 1 (fuel burned on site) and Scope 2 (purchased electricity) alike: no field
        # constraint names one scope's figures, so a customer with gas and electricity shares both.
        "name": "Audited Scope 1 and Scope 2 emissions",
        "purpose": "checked against the auditors' ledger",
        "schema": descriptor_schema(EMISSIONS_TYPE),
        "constraints": {
            "fields": [
                {"id": field_id, "path": ["$.credentialSubject.ledgerAnchor.recordId"], "filter": record_filter},
                {"path": ["$.credentialSubject.recordDetail"]},
            ],
            # The presenter must prove control of the credential's subject DID.
            "is_holder": [{"field_id": [field_id], "directive": "required"}],
        },
    }


@dataclass(frozen=True)
class PendingRequest:
    pres_ex_id: str
    thread_id: str | None
    challenge: str
    record_ids: tuple[str, ...] = ()  # the records named; () when any emissions credential will do


async def request_credential(admin: AcaPyAdmin, connection_id: str, *, record_id: str | None = None,
                             record_ids: Sequence[str] | None = None) -> PendingRequest:
    if record_id is not None and record_ids is not None:
        raise ValueError("give record_id or record_ids, not both")
    challenge = new_challenge()
    named = [record_id] if record_id else record_ids
    exchange = await admin.send_presentation_request(
        connection_id, emissions_definition(named), challenge=challenge, auto_verify=True,
        comment="Please share your audited emissions credential")
    return PendingRequest(exchange.pres_ex_id, exchange.thread_id, challenge, tuple(dict.fromkeys(named or ())))


async def _settled(admin: AcaPyAdmin, waiter: ExchangeWaiter, pres_ex_id: str, timeout: float) -> PresentationExchange:
    # A waiter knows only the events it heard: the record read first shows an exchange that
    # settled before it listened (a request awaited after a restart).
    read = await admin.presentation_exchange(pres_ex_id)
    await waiter.wait_from(TOPIC, pres_ex_id, read.state, _DONE, timeout=timeout, fail_states=ENDED_STATES,
                           read_error=read.error_msg)
    if read.state in _DONE:
        return read
    # Webhooks carry no presentation (ACA-Py strips it unless --debug-webhooks): the record has it.
    return await admin.presentation_exchange(pres_ex_id)


async def await_verdicts(verifier: EmissionsVerifier, pending: PendingRequest, *, waiter: ExchangeWaiter,
                         timeout: float = 30.0) -> list[Verdict]:
    """The verdicts on what the holder presented; a refusal or silence is a verdict too.

    `waiter` must already hear the webhooks of the verifier's agent (WebhookReceiver.waiter)."""
    try:
        exchange = await _settled(verifier.admin, waiter, pending.pres_ex_id, timeout)
    except ExchangeAbandoned as exc:
        return [_ended(exc.state, exc.reason)]
    except ExchangeTimeout as exc:
        return [Verdict(ERROR, (Check("presentation", False, str(exc)),))]
    return await verdicts_on(verifier, exchange, pending.challenge, asked=pending.record_ids)


def settled(exchange: PresentationExchange) -> bool:
    """The holder answered (presented and the agent verified, or declined): verdicts can be given."""
    return exchange.state == "done" or exchange.state in ENDED_STATES


async def verdicts_on(verifier: EmissionsVerifier, exchange: PresentationExchange, challenge: str, *,
                      asked: Sequence[str] = ()) -> list[Verdict]:
    """The verdicts on a settled exchange of a request made with `challenge` for the records `asked`."""
    if exchange.state in ENDED_STATES:
        return [_ended(exchange.state, exchange.error_msg)]
    presentation = exchange.presentation or {}
    proof = presentation.get("proof") or {}
    proofs = proof if isinstance(proof, list) else [proof]
    if not any(p.get("challenge") == challenge for p in proofs if isinstance(p, dict)):
        return [Verdict(REJECTED, (Check("challenge", False, "the presentation is not bound to this request's challenge"),))]
    # The agent's "verified" is taken as it is; its "not verified" may be its own failure (see
    # controllers.verifier.proofs), so then the proof checker looks again and has the last word.
    if exchange.verified is True:
        agent_verified: bool | None = True
    else:
        agent_verified = None if verifier.proofs is not None else False
    verdicts = await verifier.check_presentation(presentation, challenge, agent_verified=agent_verified)
    return verdicts + not_presented(asked, presentation, verdicts)


def not_presented(asked: Sequence[str], presentation: dict[str, Any], verdicts: Sequence[Verdict]) -> list[Verdict]:
    """A rejected verdict for each record asked about that the presentation does not carry."""
    shown = {v.record_id for v in verdicts} | set(_record_ids_in(presentation))
    return [Verdict(REJECTED, (Check("presented", False, "asked for, but the holder did not present it"),),
                    record_id=record) for record in dict.fromkeys(asked) if record not in shown]


def _record_ids_in(presentation: dict[str, Any]) -> list[str]:
    """The record ids the presented credentials claim (read before any check: a credential that
    fails its checks was still presented, and its own verdict says why it failed)."""
    credentials = presentation.get("verifiableCredential") or []
    found = []
    for credential in credentials if isinstance(credentials, list) else [credentials]:
        subject = credential.get("credentialSubject") if isinstance(credential, dict) else None
        anchor = subject.get("ledgerAnchor") if isinstance(subject, dict) else None
        if isinstance(anchor, dict) and isinstance(anchor.get("recordId"), str):
            found.append(anchor["recordId"])
    return found


def _ended(state: str, reason: str | None) -> Verdict:
    """A declined or abandoned exchange is the holder's answer; one in error, or deleted, is the
    agents' failure, not a verdict on any credential."""
    if state in ("declined", "abandoned"):
        return Verdict(REJECTED, (Check("presentation", False, f"the holder declined: {reason or state}"),))
    return Verdict(ERROR, (Check("presentation", False, f"the exchange ended in {state}: {reason or 'no reason given'}"),))
