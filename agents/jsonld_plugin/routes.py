"""Admin route `GET /emissions/jsonld`: which contexts this agent serves and whether it is offline-only."""

from __future__ import annotations

from aiohttp import web
from aiohttp_apispec import docs

from acapy_agent.admin.decorators.auth import admin_authentication
from acapy_agent.admin.request_context import AdminRequestContext

from agents.contexts import project_contexts
from agents.jsonld_plugin import offline_loader_bound

STATUS_PATH = "/emissions/jsonld"


@docs(tags=["emissions"], summary="Project JSON-LD contexts served offline by this agent")
@admin_authentication  # the agent's own state: its key, not a tenant's token
async def jsonld_status(request: web.BaseRequest) -> web.Response:
    context: AdminRequestContext = request["context"]
    return web.json_response(
        {"contexts": sorted(project_contexts()), "offline_loader": offline_loader_bound(context.profile)}
    )


async def register(app: web.Application) -> None:
    app.add_routes([web.get(STATUS_PATH, jsonld_status, allow_head=False)])
