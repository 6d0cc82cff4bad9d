"""The customer side of emissions credentials, until the wallet controller handles them itself.

The wallet controller (controllers/customer) decides consent and account proofs, and refuses every
other offer or request. This dispatcher sits where the customer agent's webhooks arrive: events
about UtilityEmissionsCredential offers and requests go to `EmissionsInbox`, all others to the
wallet unchanged. The inbox accepts an emissions credential only when it is bound to the wallet's
own DID, and answers a verifier's request with exactly the credential it names (by record id).
Approval is automatic here: in the demo and `emissions up` the person has approved in advance.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from controllers.acapy import AcaPyAdmin, AdminApiError, WebhookEvent, WebhookReceiver
from controllers.customer.wallet import CustomerWallet
from controllers.issuance.credential import CREDENTIAL_TYPE, CREDENTIAL_TYPE_IRI

__all__ = ["EmissionsInbox", "customer_webhooks_app"]

LOG = logging.getLogger(__name__)


class EmissionsInbox:
    def __init__(self, admin: AcaPyAdmin, holder_did: str) -> None:
        self.admin = admin
        self.holder_did = holder_did
        # Exchanges answered (or being answered): the webhook and the sweep may both see one.
        self._answered: set[str] = set()

    async def claims(self, topic: str, payload: dict[str, Any]) -> bool:
        """Handle the event if it is about emissions credentials; False leaves it to the wallet."""
        if topic == "issue_credential_v2_0" and payload.get("cred_ex_id"):
            return await self._offer(payload["cred_ex_id"])
        if topic == "present_proof_v2_0" and payload.get("pres_ex_id") and payload.get("state") == "request-received":
            return await self._request(payload["pres_ex_id"])
        return False

    async def sweep(self) -> None:
        """Look at every waiting offer and request: a webhook lost to an overloaded agent (or to a
        restart) must not leave an exchange hanging."""
        for exchange in await self.admin.credential_exchanges(role="holder", state="offer-received"):
            await self._offer(exchange.cred_ex_id)
        for request in await self.admin.presentation_exchanges(role="prover", state="request-received"):
            await self._request(request.pres_ex_id)

    async def run_sweeps(self, interval: float = 5.0) -> None:
        # Listing exchanges holds a wallet session: rare, or the sweeps starve the wallet they help.
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except AdminApiError as exc:
                LOG.warning("emissions inbox sweep failed: %s", exc)

    async def _offer(self, cred_ex_id: str) -> bool:
        try:
            exchange = await self.admin.credential_exchange(cred_ex_id)
        except AdminApiError as exc:
            if exc.status == 404:
                return False
            raise
        offered = (exchange.offer or {}).get("credential") or {}
        if CREDENTIAL_TYPE not in (offered.get("type") or []):
            return False
        if exchange.role == "holder" and exchange.state == "offer-received" and cred_ex_id not in self._answered:
            self._answered.add(cred_ex_id)
            try:
                if (offered.get("credentialSubject") or {}).get("id") != self.holder_did:
                    await self.admin.credential_problem_report(cred_ex_id, "the credential names another subject")
                else:
                    await self.admin.send_credential_request(cred_ex_id, holder_did=self.holder_did)
                    LOG.info("emissions credential %s requested", cred_ex_id)
            except AdminApiError:
                self._answered.discard(cred_ex_id)  # the next sweep tries again
                raise
        return True

    async def _request(self, pres_ex_id: str) -> bool:
        exchange = await self.admin.presentation_exchange(pres_ex_id)
        definition = (exchange.request or {}).get("presentation_definition") or {}
        descriptors = definition.get("input_descriptors") or []
        if not any({"uri": CREDENTIAL_TYPE_IRI} in (d.get("schema") or []) for d in descriptors):
            return False
        if exchange.state != "request-received" or len(descriptors) != 1 or pres_ex_id in self._answered:
            return True
        self._answered.add(pres_ex_id)
        try:
            await self._present(pres_ex_id, descriptors[0])
        except AdminApiError:
            self._answered.discard(pres_ex_id)
            raise
        return True

    async def _present(self, pres_ex_id: str, descriptor: dict[str, Any]) -> None:
        wanted = _requested_records(descriptor)
        chosen: dict[str, str] = {}  # record id -> wallet record: one credential per ledger record
        for match in await self.admin.matching_credentials(pres_ex_id, count=1000):
            value = match.get("cred_value") or match
            subject = value.get("credentialSubject") or {}
            record = (subject.get("ledgerAnchor") or {}).get("recordId")
            if subject.get("id") == self.holder_did and record and (wanted is None or record in wanted):
                chosen.setdefault(record, match["record_id"])
        if chosen:
            await self.admin.send_presentation(pres_ex_id, {descriptor["id"]: list(chosen.values())})
            LOG.info("emissions credential presented for request %s", pres_ex_id)
        else:
            await self.admin.presentation_problem_report(pres_ex_id, "no such emissions credential in this wallet")


def _requested_records(descriptor: dict[str, Any]) -> set[str] | None:
    """The record ids a request names (`const` or `enum`); None when it names none."""
    for field in (descriptor.get("constraints") or {}).get("fields") or []:
        if any(path.endswith("ledgerAnchor.recordId") for path in field.get("path") or []):
            found = field.get("filter") or {}
            if "const" in found:
                return {found["const"]}
            if "enum" in found:
                return set(found["enum"])
    return None


def customer_webhooks_app(wallet: CustomerWallet, inbox: EmissionsInbox, secret: str) -> web.Application:
    receiver = WebhookReceiver(secret)

    async def route(event: WebhookEvent) -> None:
        if not await inbox.claims(event.topic, event.payload):
            await wallet.on_webhook(event.topic, event.payload)

    receiver.on("*", route)
    return receiver.app("/webhooks")
