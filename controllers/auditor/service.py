"""The auditor controller's aiohttp app: the operator's API and page, and the agent's webhooks.

Operator API (header `X-Operator-Key`; the auditor's own service, behind its firewall):
- GET  /api/audits[?state=...]           -> every audit with its state, reason and billing periods
- POST /api/audits {period_start, period_end, purpose, scope?, consent_days?, account?}
                                         -> {audit_id, invitation}: the customer accepts the invitation
- GET  /api/audits/{audit_id}            -> one audit
- POST /api/audits/{audit_id}/retry      -> a failed audit goes back to the step it failed in
- POST /api/audits/{audit_id}/fetch      -> a done audit fetches again under its consent (new periods)
- GET  /api/stages                       -> time spent per pipeline stage since start
Operator page: GET /audits (HTTP Basic: user "operator", the operator key as password), with a
retry button per failed audit; its form posts must come from the page's own origin.
Webhooks: /webhooks (the agent's secret). Only audit ids appear in URLs; the app sweeps the audits
every `sweep_interval` seconds for what a lost webhook or a restart left behind.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json

from aiohttp import web

from controllers.acapy import WebhookEvent, WebhookReceiver
from controllers.auditor import pages
from controllers.auditor.manager import AuditManager
from controllers.auditor.record import AuditState
from controllers.auditor.request import AuditRequest
from controllers.workflow.sweeps import sweeping
from controllers.web import same_origin_only

KEY_HEADER = "X-Operator-Key"


def build_app(manager: AuditManager, webhook_secret: str, operator_key: str) -> web.Application:
    if not operator_key:
        raise ValueError("the auditor's operator key must not be empty")
    receiver = WebhookReceiver(webhook_secret)

    async def forward(event: WebhookEvent) -> None:
        await manager.on_webhook(event.topic, event.payload)

    receiver.on("*", forward)

    def key_matches(given: str) -> bool:
        return hmac.compare_digest(given.encode(), operator_key.encode())

    def api_operator(request: web.Request) -> None:
        if not key_matches(request.headers.get(KEY_HEADER, "")):
            raise _error(web.HTTPUnauthorized, "operator key missing or wrong")

    def page_operator(request: web.Request) -> None:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, password = "", ""
        if scheme.lower() != "basic" or user != "operator" or not key_matches(password):
            raise web.HTTPUnauthorized(text="Sign in as operator with the auditor's operator key.",
                                       headers={"WWW-Authenticate": 'Basic realm="auditor operator", charset="UTF-8"'})

    def found(audit_id: str):
        audit = manager.audit(audit_id)
        if audit is None:
            raise _error(web.HTTPNotFound, "no such audit")
        return audit

    async def create(request: web.Request) -> web.Response:
        api_operator(request)
        try:
            body = await request.json()
            audit_request = AuditRequest.from_json(body if isinstance(body, dict) else {})
        except ValueError as exc:
            raise _error(web.HTTPBadRequest, str(exc)) from None
        audit_id, invitation = await manager.new_audit(audit_request)
        return web.json_response({"audit_id": audit_id, "invitation": invitation}, status=201)

    async def listing(request: web.Request) -> web.Response:
        api_operator(request)
        try:
            states = [AuditState(s) for s in request.query.getall("state", [])]
        except ValueError:
            raise _error(web.HTTPBadRequest, f"states are: {', '.join(AuditState)}") from None
        return web.json_response([a.view() for a in manager.audits(*states)])

    async def show(request: web.Request) -> web.Response:
        api_operator(request)
        return web.json_response(found(request.match_info["audit_id"]).view())

    def acting(action: str):
        async def handler(request: web.Request) -> web.Response:
            api_operator(request)
            return web.json_response((await act(request, action)).view())

        return handler

    async def act(request: web.Request, action: str):
        audit_id = found(request.match_info["audit_id"]).audit_id
        try:
            return await (manager.retry(audit_id) if action == "retry" else manager.refetch(audit_id))
        except ValueError as exc:
            raise _error(web.HTTPConflict, str(exc)) from None

    async def stages(request: web.Request) -> web.Response:
        api_operator(request)
        return web.json_response(manager.issuer.clock.report())

    async def page(request: web.Request) -> web.Response:
        page_operator(request)
        return _html(pages.audits(manager.audits()))

    async def page_retry(request: web.Request) -> web.Response:
        page_operator(request)
        try:
            await act(request, "retry")
        except web.HTTPConflict:
            pass  # the page shows the audit as it is
        raise web.HTTPSeeOther("/audits")

    app = web.Application(middlewares=[same_origin_only])
    app.add_routes(receiver.routes("/webhooks"))
    app.add_routes([
        web.get("/api/audits", listing),
        web.post("/api/audits", create),
        web.get("/api/audits/{audit_id}", show),
        web.post("/api/audits/{audit_id}/retry", acting("retry")),
        web.post("/api/audits/{audit_id}/fetch", acting("fetch")),
        web.get("/api/stages", stages),
        web.get("/audits", page),
        web.post("/audits/{audit_id}/retry", page_retry),
    ])
    app.cleanup_ctx.append(sweeping(manager.sweep, manager.config.sweep_interval, "auditor"))
    return app


def _error(kind: type[web.HTTPException], reason: str) -> web.HTTPException:
    return kind(text=json.dumps({"error": reason}), content_type="application/json")


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", headers={
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        "Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
