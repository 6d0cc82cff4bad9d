"""The wallet controller's aiohttp app: JSON API under /api, HTML pages at /, agent webhooks at
/webhooks. Pages and API name requests by their exchange id only, never by account or DID."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from controllers.acapy import WebhookEvent, WebhookReceiver
from controllers.customer import pages
from controllers.customer.emissions import SharingRequest
from controllers.customer.store import ConsentRecord
from controllers.customer.wallet import CustomerWallet, WalletError
from controllers.web import same_origin_only


def build_app(wallet: CustomerWallet, webhook_secret: str) -> web.Application:
    receiver = WebhookReceiver(webhook_secret)

    async def forward(event: WebhookEvent) -> None:
        await wallet.on_webhook(event.topic, event.payload)

    receiver.on("*", forward)
    http = aiohttp.ClientSession()

    async def close_http(_app: web.Application) -> None:
        await http.close()

    def _record(request: web.Request) -> ConsentRecord:
        try:
            return wallet.consent(request.match_info["cred_ex_id"])
        except WalletError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None

    async def act(request: web.Request, action: str) -> ConsentRecord:
        record = _record(request)
        try:
            if action == "approve":
                return await wallet.approve(record.cred_ex_id)
            if action == "decline":
                return await wallet.decline(record.cred_ex_id)
            if record.consent_id is None:
                raise WalletError("consent was never issued")
            await wallet.revoke(record.consent_id, http)
            return wallet.consent(record.cred_ex_id)
        except WalletError as exc:
            raise web.HTTPConflict(text=_json_error(str(exc)), content_type="application/json") from None

    async def share(request: web.Request, action: str) -> SharingRequest:
        pres_ex_id = request.match_info["pres_ex_id"]
        try:
            if action == "approve":
                return await wallet.approve_sharing(pres_ex_id)
            return await wallet.decline_sharing(pres_ex_id)
        except WalletError as exc:
            raise web.HTTPConflict(text=_json_error(str(exc)), content_type="application/json") from None

    async def _sharing(request: web.Request) -> SharingRequest:
        try:
            return await wallet.sharing_request(request.match_info["pres_ex_id"])
        except WalletError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None

    # JSON API
    async def api_invitation(request: web.Request) -> web.Response:
        body = await request.json()
        connection_id = await wallet.accept_invitation(body["invitation"], str(body.get("alias", "")))
        return web.json_response({"connection_id": connection_id}, status=201)

    async def api_consents(request: web.Request) -> web.Response:
        return web.json_response([_view(r) for r in wallet.consents(*request.query.getall("state", []))])

    async def api_consent(request: web.Request) -> web.Response:
        return web.json_response(_view(_record(request)))

    def api_action(action: str):
        async def handler(request: web.Request) -> web.Response:
            return web.json_response(_view(await act(request, action)))

        return handler

    async def api_sharing_requests(_request: web.Request) -> web.Response:
        return web.json_response([_sharing_view(r) for r in await wallet.sharing_requests()])

    async def api_sharing_request(request: web.Request) -> web.Response:
        return web.json_response(_sharing_view(await _sharing(request)))

    def api_share(action: str):
        async def handler(request: web.Request) -> web.Response:
            return web.json_response({**_sharing_view(await share(request, action)), "decision": action})

        return handler

    async def page_sharing_requests(_request: web.Request) -> web.Response:
        return web.Response(text=pages.sharing_requests(await wallet.sharing_requests()), content_type="text/html")

    async def page_sharing_request(request: web.Request) -> web.Response:
        return web.Response(text=pages.sharing_request(await _sharing(request)), content_type="text/html")

    def page_share(action: str):
        async def handler(request: web.Request) -> web.Response:
            await share(request, action)
            raise web.HTTPSeeOther("/presentation-requests")

        return handler

    async def api_credentials(_request: web.Request) -> web.Response:
        return web.json_response(await wallet.held_credentials())

    async def api_bill(request: web.Request) -> web.Response:
        """Opens the bill behind a credential and says whether it is the one the credential names;
        the bill itself stays in the wallet."""
        try:
            bill = await wallet.open_bill(request.match_info["credential_id"])
        except WalletError as exc:
            raise web.HTTPNotFound(text=_json_error(str(exc)), content_type="application/json") from None
        return web.json_response({"opened": True, "bytes": len(bill), "sha256_matches": True})

    # pages
    async def page_inbox(_request: web.Request) -> web.Response:
        return web.Response(text=pages.inbox(wallet.consents()), content_type="text/html")

    async def page_consent(request: web.Request) -> web.Response:
        return web.Response(text=pages.consent(_record(request)), content_type="text/html")

    def page_action(action: str):
        async def handler(request: web.Request) -> web.Response:
            record = await act(request, action)
            raise web.HTTPSeeOther(f"/consents/{record.cred_ex_id}")

        return handler

    async def page_credentials(_request: web.Request) -> web.Response:
        return web.Response(text=pages.credentials(await wallet.held_credentials()), content_type="text/html")

    app = web.Application(middlewares=[same_origin_only])
    app.add_routes(receiver.routes("/webhooks"))
    app.add_routes(
        [
            web.post("/api/invitations", api_invitation),
            web.get("/api/consents", api_consents),
            web.get("/api/consents/{cred_ex_id}", api_consent),
            *[web.post(f"/api/consents/{{cred_ex_id}}/{a}", api_action(a)) for a in ("approve", "decline", "revoke")],
            web.get("/api/credentials", api_credentials),
            web.get("/api/credentials/{credential_id}/bill", api_bill),
            web.get("/api/presentation-requests", api_sharing_requests),
            web.get("/api/presentation-requests/{pres_ex_id}", api_sharing_request),
            *[web.post(f"/api/presentation-requests/{{pres_ex_id}}/{a}", api_share(a)) for a in ("approve", "decline")],
            web.get("/presentation-requests", page_sharing_requests),
            web.get("/presentation-requests/{pres_ex_id}", page_sharing_request),
            *[web.post(f"/presentation-requests/{{pres_ex_id}}/{a}", page_share(a)) for a in ("approve", "decline")],
            web.get("/", page_inbox),
            web.get("/consents/{cred_ex_id}", page_consent),
            *[web.post(f"/consents/{{cred_ex_id}}/{a}", page_action(a)) for a in ("approve", "decline", "revoke")],
            web.get("/credentials", page_credentials),
        ]
    )
    app.on_cleanup.append(close_http)
    return app


def _view(record: ConsentRecord) -> dict[str, Any]:
    return {
        "id": record.cred_ex_id,
        "state": record.state,
        "consent_id": record.consent_id,
        "proposal": record.proposal,
        "reason": record.reason,
    }


def _sharing_view(request: SharingRequest) -> dict[str, Any]:
    return {
        "id": request.pres_ex_id,
        "requester": request.requester,
        "comment": request.comment,
        "asked_records": list(request.asked_records) if request.asked_records is not None else None,
        "matches": [
            {"record_id": m.ledger_record, "period_start": m.period_start, "period_end": m.period_end, "issuer": m.issuer}
            for m in request.matches
        ],
    }


def _json_error(text: str) -> str:
    import json

    return json.dumps({"error": text})
