"""The verifier controller's aiohttp app.

JSON API:
- POST /api/invitations                 -> an out-of-band invitation for a holder to accept
- POST /api/requests {connection_id, record_id?} -> {request_id}: asks over DIDComm (present-proof v2)
- GET  /api/requests/{request_id}       -> {"state": "waiting"} or {"state": "done", "verdicts": [...]}
- POST /api/verify {verifiableCredential} or {verifiablePresentation, challenge} -> verdicts, no DIDComm
Pages: / (requests and a form), /requests/{request_id}. URLs carry request ids only, never DIDs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from controllers.acapy import AdminApiError
from controllers.verifier import pages
from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.request import PendingRequest, await_verdicts, request_credential
from controllers.verifier.verdict import Verdict

__all__ = ["VerifierService", "build_app"]

LOG = logging.getLogger(__name__)


class VerifierService:
    def __init__(self, verifier: EmissionsVerifier, *, timeout: float = 60.0) -> None:
        self.verifier = verifier
        self.timeout = timeout
        self.requests: dict[str, PendingRequest] = {}
        self.verdicts: dict[str, list[Verdict]] = {}
        self._tasks: set[asyncio.Task] = set()

    async def ask(self, connection_id: str, record_id: str | None = None) -> str:
        pending = await request_credential(self.verifier.admin, connection_id, record_id=record_id)
        self.requests[pending.pres_ex_id] = pending
        task = asyncio.create_task(self._settle(pending))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return pending.pres_ex_id

    async def _settle(self, pending: PendingRequest) -> None:
        verdicts = await await_verdicts(self.verifier, pending, timeout=self.timeout)
        self.verdicts[pending.pres_ex_id] = verdicts
        LOG.info("request %s: %s", pending.pres_ex_id, ", ".join(v.status for v in verdicts))

    async def wait(self, request_id: str) -> list[Verdict]:
        while request_id not in self.verdicts:
            if request_id not in self.requests:
                raise KeyError(request_id)
            await asyncio.sleep(0.02)
        return self.verdicts[request_id]

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def _bad(text: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f'{{"error": {text!r}}}'.replace("'", '"'), content_type="application/json")


def build_app(service: VerifierService) -> web.Application:
    async def invitation(_request: web.Request) -> web.Response:
        created = await service.verifier.admin.create_invitation(auto_accept=True)
        return web.json_response({"invitation": created.invitation, "invitation_url": created.invitation_url}, status=201)

    async def create_request(request: web.Request) -> web.Response:
        body = await _body(request)
        connection_id = str(body.get("connection_id") or "")
        if not connection_id:
            raise _bad("connection_id is required")
        try:
            request_id = await service.ask(connection_id, str(body["record_id"]) if body.get("record_id") else None)
        except AdminApiError as exc:
            raise _bad(f"the agent refused the request: {exc.message}") from None
        if request.content_type == "application/x-www-form-urlencoded":
            raise web.HTTPSeeOther(f"/requests/{request_id}")
        return web.json_response({"request_id": request_id}, status=201)

    async def show_request(request: web.Request) -> web.Response:
        request_id = request.match_info["request_id"]
        if request_id not in service.requests:
            raise web.HTTPNotFound(text="no such request")
        verdicts = service.verdicts.get(request_id)
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
        listed = [(rid, service.verdicts.get(rid)) for rid in reversed(list(service.requests))]
        return web.Response(text=pages.index(listed), content_type="text/html")

    async def request_page(request: web.Request) -> web.Response:
        request_id = request.match_info["request_id"]
        if request_id not in service.requests:
            raise web.HTTPNotFound(text="no such request")
        return web.Response(text=pages.request(request_id, service.verdicts.get(request_id)), content_type="text/html")

    async def cleanup(_app: web.Application) -> None:
        await service.close()

    app = web.Application()
    app.add_routes([
        web.post("/api/invitations", invitation),
        web.post("/api/requests", create_request),
        web.get("/api/requests/{request_id}", show_request),
        web.post("/api/verify", verify),
        web.get("/", index),
        web.post("/requests", create_request),
        web.get("/requests/{request_id}", request_page),
    ])
    app.on_cleanup.append(cleanup)
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
