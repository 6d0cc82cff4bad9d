"""Onboarding: invite a customer, then issue it a UtilityAccountCredential bound to the did:key it
asks to be bound to, or, for a wallet that cannot ask, to the did:key of its connection key.
Driven by webhooks; every step reads the record afresh from the agent, so a duplicate or late
webhook, or a controller restart, just repeats a check and moves on.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from controllers.acapy import AcaPyAdmin, AdminApiError
from credentials.account import AccountClaims, account_credential
from controllers.utility.store import Onboarding, UtilityStore
from controllers.workflow import StaleVersion

LOG = logging.getLogger(__name__)


class Onboarder:
    def __init__(self, store: UtilityStore, admin: AcaPyAdmin, utility_id: str, did: str):
        self.store, self.admin, self.utility_id, self.did = store, admin, utility_id, did

    async def invite(self, account: str, service_point: str, service: str = "electricity") -> tuple[str, dict[str, Any]]:
        AccountClaims(self.utility_id, account, service_point)  # validates before anything is stored
        self.store.add_account(account, service_point, service)
        onboarding_id = str(uuid.uuid4())
        # auto_accept: the decision to connect was taken in making the invitation.
        invitation = await self.admin.create_invitation(alias=f"onboarding {onboarding_id}", auto_accept=True)
        self.store.add_onboarding(onboarding_id, account, invitation.invitation_msg_id)
        LOG.info("onboarding %s: invitation created", onboarding_id)
        return onboarding_id, invitation.invitation

    async def on_connection(self, payload: dict[str, Any]) -> None:
        if payload.get("state") not in {"active", "completed"}:
            return
        msg_id = payload.get("invitation_msg_id")
        onboarding = self.store.onboarding(invitation_msg_id=msg_id) if msg_id else None
        if onboarding is None or onboarding.state != "invited":
            return
        connected = self._move(onboarding, connection_id=payload["connection_id"], state="connected")
        if connected is not None:
            await self._offer(connected)

    async def _offer(self, onboarding: Onboarding) -> None:
        assert onboarding.connection_id
        record = self.store.account(onboarding.account)
        assert record is not None
        claims = AccountClaims(self.utility_id, record.account, record.service_point)
        holder = None
        if onboarding.binding == "connection":
            holder = await self.admin.connection_did_key(onboarding.connection_id)
            if holder is None:
                self._fail(onboarding, "the wallet's connection DID names no Ed25519 key to bind the credential to")
                return
        credential = account_credential(self.did, holder, claims, datetime.now(UTC))
        offer = await self.admin.send_credential_offer(
            onboarding.connection_id, credential, comment="Utility account credential"
        )
        if self._move(onboarding, cred_ex_id=offer.cred_ex_id, state="offered"):
            LOG.info("onboarding %s: account credential offered", onboarding.onboarding_id)
        else:  # a webhook and the resume both offered: the one recorded stands, this one is withdrawn
            await self.admin.credential_problem_report(offer.cred_ex_id, "offer withdrawn: made twice")

    async def on_credential(self, payload: dict[str, Any]) -> None:
        cred_ex_id = payload.get("cred_ex_id")
        onboarding = self.store.onboarding(cred_ex_id=cred_ex_id) if cred_ex_id else None
        if onboarding is None:
            return
        state = payload.get("state")
        if state == "request-received" and onboarding.state == "offered":
            await self._issue(onboarding)
        elif state in {"done", "credential-issued"} and onboarding.state in {"offered", "issued"}:
            if self._move(onboarding, state="done"):
                LOG.info("onboarding %s: done", onboarding.onboarding_id)
        elif state in {"abandoned", "declined"} and onboarding.state == "offered" and onboarding.binding == "holder":
            await self._bind_to_connection(onboarding)  # a wallet that refuses an offer naming no subject
        elif state in {"abandoned", "declined"}:
            self._fail(onboarding, str(payload.get("error_msg") or state))

    async def _bind_to_connection(self, onboarding: Onboarding) -> None:
        """Offer once more, bound to the did:key of the wallet's connection key: a wallet that cannot
        name its own DID in a request (stock Credo requests exactly what was offered) holds that key."""
        again = self._move(onboarding, state="connected", cred_ex_id=None, binding="connection")
        if again is not None:
            LOG.info("onboarding %s: offered again, bound to the wallet's connection key", onboarding.onboarding_id)
            await self._offer(again)

    def _fail(self, onboarding: Onboarding, reason: str) -> None:
        if self._move(onboarding, state="failed", reason=reason[:200]):
            LOG.info("onboarding %s: failed", onboarding.onboarding_id)

    async def _issue(self, onboarding: Onboarding) -> None:
        assert onboarding.cred_ex_id
        exchange = await self.admin.credential_exchange(onboarding.cred_ex_id)
        requested = (exchange.request or {}).get("credential") or {}
        subject = requested.get("credentialSubject") or {}
        holder = subject.get("id")
        record = self.store.account(onboarding.account)
        assert record is not None
        # The request may only add the holder's DID; anything else changed is refused.
        expected = {"utilityEiaId": self.utility_id, "accountId": record.account, "servicePointId": record.service_point}
        claims_ok = all(subject.get(k) == val for k, val in expected.items())
        if holder is None and claims_ok and onboarding.binding == "holder":
            await self.admin.credential_problem_report(
                onboarding.cred_ex_id, "the request binds no DID; offered again, bound to your connection key")
            await self._bind_to_connection(onboarding)
            return
        if not (isinstance(holder, str) and holder.startswith("did:key:")) or not claims_ok:
            reason = "request must bind a did:key and keep the offered claims"
            await self.admin.credential_problem_report(onboarding.cred_ex_id, reason)
            self._move(onboarding, state="failed", reason=reason)
            LOG.info("onboarding %s: refused (%s)", onboarding.onboarding_id, reason)
            return
        await self.admin.issue_credential(onboarding.cred_ex_id)
        self.store.bind(record.account, holder)
        if self._move(onboarding, state="issued"):
            LOG.info("onboarding %s: account credential issued", onboarding.onboarding_id)

    def _move(self, onboarding: Onboarding, **values: str | None) -> Onboarding | None:
        """The onboarding updated from the version read, or None if another handler (a webhook and
        the restart's resume, say) moved it meanwhile: the newer step stands."""
        try:
            return self.store.update_onboarding(onboarding, **values)
        except StaleVersion:
            LOG.info("onboarding %s changed meanwhile; left as the newer step put it", onboarding.onboarding_id)
            return None

    async def resume(self) -> None:
        """After a restart: redo the step of every onboarding whose webhook may have been missed."""
        for listed in self.store.onboardings_in_state("connected", "offered"):
            # Read afresh: a webhook may have moved it while an earlier one was resumed.
            onboarding = self.store.onboarding(onboarding_id=listed.onboarding_id)
            if onboarding is None or onboarding.state not in {"connected", "offered"}:
                continue
            if onboarding.state == "connected":
                await self._offer(onboarding)
                continue
            assert onboarding.cred_ex_id
            try:
                exchange = await self.admin.credential_exchange(onboarding.cred_ex_id)
            except AdminApiError as exc:
                if exc.status != 404:
                    raise  # the agent is down or erring: the next start tries again
                self._move(onboarding, state="failed", reason="exchange lost")
                continue
            await self.on_credential(exchange.raw)


__all__ = ["Onboarder"]
