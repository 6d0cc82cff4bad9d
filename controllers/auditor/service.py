"""The auditor controller's aiohttp app: start an audit (returns the invitation for the customer),
follow it, re-fetch with its consent; agent webhooks at /webhooks. The JSON API is the auditor's
own (behind its firewall); only audit ids appear in its URLs."""

from __future__ import annotations

from aiohttp import web

from controllers.acapy import WebhookEvent, WebhookReceiver
from controllers.auditor.flow import AuditorFlow, AuditRequest


def build_app(flow: AuditorFlow, webhook_secret: str) -> web.Application:
    receiver = WebhookReceiver(webhook_secret)

    async def forward(event: WebhookEvent) -> None:
        await flow.on_webhook(event.topic, event.payload)

    receiver.on("*", forward)

    async def create(request: web.Request) -> web.Response:
        try:
            audit_request = AuditRequest.from_json(await request.json())
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        audit_id, invitation = await flow.new_audit(audit_request)
        return web.json_response({"audit_id": audit_id, "invitation": invitation}, status=201)

    async def show(request: web.Request) -> web.Response:
        audit = flow.audit(request.match_info["audit_id"])
        if audit is None:
            raise web.HTTPNotFound(text="no such audit")
        result = flow.results.get(audit.audit_id)
        periods = (
            [{"start": p.start.isoformat(), "end": p.end.isoformat(), "kwh": str(p.kwh)} for p in result.usage]
            if result
            else None
        )
        return web.json_response({"state": audit.state, "reason": audit.reason, "periods": periods})

    async def refetch(request: web.Request) -> web.Response:
        audit_id = request.match_info["audit_id"]
        try:
            await flow.fetch(audit_id)
        except ValueError as exc:
            raise web.HTTPConflict(text=str(exc)) from None
        audit = flow.audit(audit_id)
        assert audit is not None
        return web.json_response({"state": audit.state, "reason": audit.reason})

    app = web.Application()
    app.add_routes(receiver.routes("/webhooks"))
    app.add_routes(
        [
            web.post("/api/audits", create),
            web.get("/api/audits/{audit_id}", show),
            web.post("/api/audits/{audit_id}/fetch", refetch),
        ]
    )
    return app
