"""The verifier controller's aiohttp app.

JSON API:
- POST /api/invitations                 -> an out-of-band invitation for a holder to accept, and its id
- GET  /api/invitations/{invitation_id} -> {"state": "waiting"} or {"state": "active", "connection_id"}
- POST /api/requests {connection_id, record_id? | record_ids?} -> {request_id}: asks over DIDComm
                                           (present-proof v2)
- GET  /api/requests/{request_id}       -> {"state": "waiting"} or {"state": "done", "verdicts": [...]}
- POST /api/verify {verifiableCredential} or {verifiablePresentation, challenge} -> verdicts, no DIDComm
Pages: / (requests and a form), /requests/{request_id}. URLs carry request ids only, never DIDs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from controllers.acapy import AdminApiError, ExchangeTimeout, WebhookEvent, WebhookReceiver
from controllers.verifier import pages
from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.request import request_credential, settled, verdicts_on
from controllers.verifier.verdict import ERROR, Check, Verdict
from controllers.workflow import WorkflowRecord, WorkflowStore
from controllers.workflow.sweeps import sweeping
from controllers.web import same_origin_only

__all__ = ["VerifierService", "build_app"]

LOG = logging.getLogger(__name__)
KIND, WAITING, DONE = "verification", "waiting", "done"


class VerifierService:
    """The verifier's requests and their verdicts, kept in the WorkflowStore (kind "verification",
    key = the request's exchange id): a restart loses nothing. The agent's webhook on the exchange
    says "look again"; `sweep` (every `sweep_interval` while the app runs) looks at every request
    still waiting, and gives an error verdict to one the holder left unanswered past `timeout`."""

    def __init__(self, verifier: EmissionsVerifier, store: WorkflowStore, *, timeout: float = 60.0,
                 sweep_interval: float = 5.0) -> None:
        self.verifier, self.store = verifier, store
        self.timeout, self.sweep_interval = timeout, sweep_interval
        self._looking: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._given = asyncio.Condition()  # notified whenever this service gives verdicts

    async def ask(self, connection_id: str, record_id: str | None = None, *,
                  record_ids: Sequence[str] | None = None) -> str:
        pending = await request_credential(self.verifier.admin, connection_id, record_id=record_id,
                                           record_ids=record_ids)
        self.store.put(KIND, pending.pres_ex_id, WAITING, {"challenge": pending.challenge, "asked": time.time()})
        return pending.pres_ex_id

    def verdicts(self, request_id: str) -> list[Verdict] | None:
        """The verdicts, None while the holder has not answered; KeyError for an unknown request."""
        record = self.store.get(KIND, request_id)
        if record is None:
            raise KeyError(request_id)
        return _verdicts(record)

    def requests(self) -> list[tuple[str, list[Verdict] | None]]:
        """Every request, newest first, with its verdicts (None while waiting)."""
        return [(r.key, _verdicts(r)) for r in reversed(self.store.list(KIND))]

    async def on_webhook(self, topic: str, payload: dict[str, Any]) -> None:
        request_id = payload.get("pres_ex_id")
        if topic == "present_proof_v2_0" and isinstance(request_id, str):
            await self.look(request_id)

    async def look(self, request_id: str) -> None:
        """Give the verdicts if the holder answered (or stayed silent past the timeout)."""
        async with self._looking[request_id]:
            record = self.store.get(KIND, request_id)
            if record is None or record.state != WAITING:
                return
            try:
                exchange = await self.verifier.admin.presentation_exchange(request_id)
            except AdminApiError as exc:
                if exc.status != 404:
                    raise
                verdicts = [Verdict(ERROR, (Check("presentation", False, "the agent lost the exchange"),))]
            else:
                if settled(exchange):
                    verdicts = await verdicts_on(self.verifier, exchange, record.data["challenge"])
                elif time.time() - record.data["asked"] > self.timeout:
                    silent = ExchangeTimeout("present_proof_v2_0", request_id, {"done"}, self.timeout, exchange.state)
                    verdicts = [Verdict(ERROR, (Check("presentation", False, str(silent)),))]
                else:
                    return
            self.store.update(KIND, request_id, expected_version=record.version, state=DONE,
                              data={**record.data, "verdicts": [v.to_json() for v in verdicts]})
            LOG.info("request %s: %s", request_id, ", ".join(v.status for v in verdicts))
        async with self._given:
            self._given.notify_all()

    async def sweep(self) -> None:
        for record in self.store.list(KIND, states=[WAITING]):
            try:
                await self.look(record.key)
            except AdminApiError as exc:
                LOG.warning("request %s: could not look (%s)", record.key, exc.status)

    async def wait(self, request_id: str) -> list[Verdict]:
        """For callers in the same process: the verdicts once this service gives them (a webhook or
        the sweep, which also ends a silent request at `timeout`, bounds the wait)."""
        async with self._given:
            await self._given.wait_for(lambda: self.verdicts(request_id) is not None)
        return self.verdicts(request_id)


def _verdicts(record: WorkflowRecord) -> list[Verdict] | None:
    return [Verdict.from_json(v) for v in record.data["verdicts"]] if record.state == DONE else None


def _bad(text: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f'{{"error": {text!r}}}'.replace("'", '"'), content_type="application/json")


def build_app(service: VerifierService, webhook_secret: str) -> web.Application:
    receiver = WebhookReceiver(webhook_secret)

    async def forward(event: WebhookEvent) -> None:
        await service.on_webhook(event.topic, event.payload)

    receiver.on("present_proof_v2_0", forward)

    async def invitation(_request: web.Request) -> web.Response:
        created = await service.verifier.admin.create_invitation(auto_accept=True)
        return web.json_response({"invitation": created.invitation, "invitation_url": created.invitation_url,
                                  "invitation_id": created.invitation_msg_id}, status=201)

    async def create_request(request: web.Request) -> web.Response:
        body = await _body(request)
        connection_id = str(body.get("connection_id") or "")
        if not connection_id:
            raise _bad("connection_id is required")
        record_ids = body.get("record_ids")
        if record_ids is not None and (not isinstance(record_ids, list) or not record_ids
                                       or not all(isinstance(r, str) and r for r in record_ids)):
            raise _bad("record_ids must be a non-empty list of record ids")
        try:
            request_id = await service.ask(connection_id, str(body["record_id"]) if body.get("record_id") else None,
                                           record_ids=record_ids)
        except ValueError as exc:
            raise _bad(str(exc)) from None
        except AdminApiError as exc:
            raise _bad(f"the agent refused the request: {exc.message}") from None
        if request.content_type == "application/x-www-form-urlencoded":
            raise web.HTTPSeeOther(f"/requests/{request_id}")
        return web.json_response({"request_id": request_id}, status=201)

    def verdicts_of(request: web.Request) -> list[Verdict] | None:
        try:
            return service.verdicts(request.match_info["request_id"])
        except KeyError:
            raise web.HTTPNotFound(text="no such request") from None

    async def show_request(request: web.Request) -> web.Response:
        verdicts = verdicts_of(request)
        if verdicts is None:
            return web.json_response({"state": "waiting"})
        return web.json_response({"state": "done", "verdicts": [v.to_json() for v in verdicts]})

    async def verify(request: web.Request) -> web.Response:
        body = await _body(request)
        if isinstance(body.get("verifiableCredential"), dict):
            verdicts = [await service.verifier.check_credential(body["verifiableCredential"])]
        elif isinstance(body.get("verifiablePresentation"), dict) and isinstance(body.get("challenge"), str):
            verdicts = await service.verifier.check_presentation(body["verifiablePresentation"], body["challenge"])
        else:
            raise _bad("give verifiableCredential, or verifiablePresentation with its challenge")
        return web.json_response({"verdicts": [v.to_json() for v in verdicts]})

    async def index(_request: web.Request) -> web.Response:
        return web.Response(text=pages.index(service.requests()), content_type="text/html")

    async def request_page(request: web.Request) -> web.Response:
        verdicts = verdicts_of(request)
        return web.Response(text=pages.request(request.match_info["request_id"], verdicts), content_type="text/html")

    async def invitation_state(request: web.Request) -> web.Response:
        found = await service.verifier.admin.connections(invitation_msg_id=request.match_info["invitation_id"])
        active = next((c for c in found if c.is_active), None)
        return web.json_response({"state": "active" if active else "waiting",
                                  "connection_id": active.connection_id if active else None})

    app = web.Application(middlewares=[same_origin_only])
    app.add_routes(receiver.routes("/webhooks"))
    app.add_routes([
        web.post("/api/invitations", invitation),
        web.get("/api/invitations/{invitation_id}", invitation_state),
        web.post("/api/requests", create_request),
        web.get("/api/requests/{request_id}", show_request),
        web.post("/api/verify", verify),
        web.get("/", index),
        web.post("/requests", create_request),
        web.get("/requests/{request_id}", request_page),
    ])
    app.on_startup.append(lambda _app: service.sweep())  # what a restart left waiting
    app.cleanup_ctx.append(sweeping(service.sweep, service.sweep_interval, "verifier"))
    return app


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(await request.post())
    try:
        body = await request.json()
    except ValueError:
        raise _bad("the body is not JSON") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body
