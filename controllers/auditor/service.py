"""The auditor controller's aiohttp app: start an audit (returns the invitation for the customer),
follow it, re-fetch with its consent; agent webhooks at /webhooks. The JSON API is the auditor's
own (behind its firewall); only audit ids appear in its URLs. While the app runs, it sweeps the
audits every `config.sweep_interval` seconds for exchanges that died silently."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from controllers.acapy import WebhookEvent, WebhookReceiver
from controllers.auditor.flow import AuditorFlow, AuditRequest

LOG = logging.getLogger(__name__)


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
    app.cleanup_ctx.append(_sweeping(flow))
    return app


def _sweeping(flow: AuditorFlow) -> Callable[[web.Application], AsyncIterator[None]]:
    """The sweep timer, living as long as the app: started on startup, stopped on cleanup."""

    async def sweep_forever() -> None:
        interval = flow.config.sweep_interval
        while True:
            await asyncio.sleep(interval)
            try:
                failed = await flow.sweep()
            except Exception:  # noqa: BLE001 - one failed sweep (agent down, say) must not end the timer
                LOG.exception("sweep failed; next in %g s", interval)
            else:
                if failed:
                    LOG.info("sweep: %d audit(s) timed out", len(failed))

    async def context(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(sweep_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
