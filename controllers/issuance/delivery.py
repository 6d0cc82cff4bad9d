"""Delivering a signed credential to the customer over DIDComm (issue-credential v2, ld_proof).

The auditor offers the exact credential with `auto_issue`: ACA-Py then issues only if the
holder's request equals the offer, with credentialSubject.id unchanged (its ld_proof handler
refuses anything else), so the holder-DID check the auditor role keeps is made by the offer itself.

The wait is driven by the auditor agent's webhooks, through the caller's ExchangeWaiter. A waiter
knows only the events it heard, so the wait starts from a read of the record (the offer as sent,
or as found): an exchange that settled before the waiter listened is still seen. An offer already
made for the same credential id (a crash after offering) is followed instead of offered again: no
customer gets a credential twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controllers.acapy import (AcaPyAdmin, CredentialExchange, ExchangeTimeout, ExchangeWaiter,
                               ENDED_STATES)

__all__ = ["ISSUED_STATES", "deliver_credential", "find_offer"]

TOPIC = "issue_credential_v2_0"
# "done" is entered on the holder's ack, which it sends after storing the credential: only then is it
# the customer's (a "credential-issued" exchange may still fail at the holder).
ISSUED_STATES = frozenset({"done"})


def _offered_id(exchange: CredentialExchange) -> str | None:
    offer = exchange.offer or {}
    return (offer.get("credential") or {}).get("id")


async def find_offer(admin: AcaPyAdmin, connection_id: str, credential_id: str) -> CredentialExchange | None:
    """The live (not failed) exchange that offered `credential_id` on this connection, if any."""
    for exchange in await admin.credential_exchanges(connection_id=connection_id, role="issuer"):
        if _offered_id(exchange) == credential_id and exchange.state not in ENDED_STATES:
            return exchange
    return None


async def _issued(admin: AcaPyAdmin, waiter: ExchangeWaiter, read: CredentialExchange, *,
                  timeout: float) -> CredentialExchange:
    """The exchange once issued, waiting on `waiter` from `read`, the record as last read."""
    await waiter.wait_from(TOPIC, read.cred_ex_id, read.state, ISSUED_STATES, timeout=timeout, fail_states=ENDED_STATES,
                           read_error=read.error_msg)
    if read.state in ISSUED_STATES:
        return read
    # Webhooks carry no credential (ACA-Py strips it unless --debug-webhooks): the record has it.
    return await admin.credential_exchange(read.cred_ex_id)


async def deliver_credential(admin: AcaPyAdmin, connection_id: str, credential: Mapping[str, Any], *,
                             waiter: ExchangeWaiter, timeout: float = 30.0,
                             maybe_offered: bool = True) -> CredentialExchange:
    """Offer `credential` (unsigned; the agent signs on issue) and wait until it is issued.

    `waiter` must already hear the webhooks of `admin`'s agent (WebhookReceiver.waiter), or the
    wait ends in ExchangeTimeout. `maybe_offered=False` (the caller's records show no offer was
    ever started) skips the search for an earlier offer, which lists the connection's exchanges.
    An offer the holder never answered within half of `timeout` (an overloaded holder agent can
    drop an inbound message) is withdrawn with a problem report and made once more: the holder had
    no record of it, so no second credential can result."""
    existing = await find_offer(admin, connection_id, credential["id"]) if maybe_offered else None
    if existing is not None:
        return await _issued(admin, waiter, existing, timeout=timeout)
    for attempt in (1, 2):
        offer = await admin.send_credential_offer(
            connection_id, credential, auto_issue=True, comment="Your audited Scope 2 emissions")
        try:
            return await _issued(admin, waiter, offer, timeout=timeout / 2 if attempt == 1 else timeout)
        except ExchangeTimeout as exc:
            if attempt == 2 or exc.last_state != "offer-sent":
                raise
            # The waiter knows what it heard; a webhook can be late. Withdraw only an offer the
            # agent itself still shows unanswered, or the holder could end up with two credentials.
            now = await admin.credential_exchange(offer.cred_ex_id)
            if now.state != "offer-sent":
                return await _issued(admin, waiter, now, timeout=timeout)
            await admin.credential_problem_report(offer.cred_ex_id, "offer withdrawn: no answer; offered again")
    raise AssertionError("unreachable")
