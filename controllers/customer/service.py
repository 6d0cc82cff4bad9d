"""The customer service's aiohttp app: sign-up and sign-in, then each person's own wallet as pages
at / and a JSON API under /api; the multitenant agent's webhooks at /webhooks.

Every page and API call acts for the signed-in customer's wallet and no other: the wallet is looked
up from the session, never from the URL. A change carries the session's CSRF token (form field or
`X-CSRF-Token`) and, from a browser, this site's Origin. Pages and API name requests by their
exchange id and credentials by their id, never by account or DID.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from controllers.acapy import AdminApiError, WebhookEvent, WebhookReceiver
from controllers.customer import pages, views
from controllers.customer.emissions import SharingRequest
from controllers.customer.host import WalletHost
from controllers.customer.invitations import InvitationError, parse_invitation
from controllers.customer.store import ConsentRecord
from controllers.customer.wallet import CustomerWallet, WalletError
from controllers.web import same_origin_only
from controllers.web.errors import error_pages
from controllers.web.headers import security_headers
from controllers.web.layout import static_routes
from controllers.web.ratelimit import SignInLimiter
from controllers.web.sessions import SessionStore
from controllers.web.signin import SignIn, csrf_token, subject
from controllers.workflow.sweeps import sweeping

__all__ = ["build_app", "AuditorNames"]

APP_NAME = "Your energy wallet"
# The auditor registry on the ledger, as the wallet reads it: a did:key -> the registered name.
AuditorNames = Callable[[str], Awaitable[str | None]]


async def _nobody(_did: str) -> str | None:
    return None


def build_app(host: WalletHost, webhook_secret: str, *, auditor_names: AuditorNames = _nobody,
              sweep_interval: float | None = None) -> web.Application:
    """`sweep_interval`: seconds between sweeps of the wallets (None: no sweeps, for tests that
    drive every step)."""
    receiver = WebhookReceiver(webhook_secret)

    async def forward(event: WebhookEvent) -> None:
        await host.on_webhook(event)

    receiver.on("*", forward)
    http: list[aiohttp.ClientSession] = []  # the app's client session (to the utilities), while it runs

    async def client(_app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as session:
            http.append(session)
            yield
            http.clear()

    signin = SignIn(SessionStore(host.store), host.authenticate, app_name=APP_NAME, limiter=SignInLimiter(),
                    signup=host.signup, cookie_name="wallet_session",
                    signups=SignInLimiter(attempts=host.config.signups_per_minute, window=60.0))

    async def wallet_of(request: web.Request) -> CustomerWallet:
        return await host.wallet(subject(request))

    def me(request: web.Request) -> tuple[str, str]:
        return subject(request), csrf_token(request)

    def html(text: str) -> web.Response:
        return web.Response(text=text, content_type="text/html")

    # -- what the person decides -------------------------------------------------------------
    async def consent_of(request: web.Request) -> tuple[CustomerWallet, ConsentRecord]:
        wallet = await wallet_of(request)
        try:
            return wallet, wallet.consent(request.match_info["cred_ex_id"])
        except WalletError:
            raise web.HTTPNotFound(text="There is no such consent request in your wallet.") from None

    async def act(request: web.Request, action: str) -> ConsentRecord:
        wallet, record = await consent_of(request)
        try:
            if action == "approve":
                return await wallet.approve(record.cred_ex_id)
            if action == "decline":
                return await wallet.decline(record.cred_ex_id)
            if record.consent_id is None:
                raise WalletError("this consent was never issued, so there is nothing to revoke")
            await wallet.revoke(record.consent_id, http[0])
            return wallet.consent(record.cred_ex_id)
        except WalletError as exc:
            raise web.HTTPConflict(text=_sentence(exc)) from None

    async def sharing_of(request: web.Request) -> tuple[CustomerWallet, SharingRequest]:
        wallet = await wallet_of(request)
        try:
            return wallet, await wallet.sharing_request(request.match_info["pres_ex_id"])
        except WalletError as exc:
            raise _refusal(exc) from None

    async def share(request: web.Request, action: str) -> SharingRequest:
        wallet = await wallet_of(request)
        pres_ex_id = request.match_info["pres_ex_id"]
        try:
            if action == "approve":
                return await wallet.approve_sharing(pres_ex_id)
            return await wallet.decline_sharing(pres_ex_id)
        except WalletError as exc:
            raise _refusal(exc) from None

    async def connect(request: web.Request, text: Any, alias: str) -> str:
        try:
            invitation = parse_invitation(text if isinstance(text, dict) else str(text))
        except InvitationError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        try:
            return await (await wallet_of(request)).accept_invitation(invitation, alias[:80])
        except AdminApiError as exc:
            if 400 <= exc.status < 500:  # the agent read it and would not use it
                raise web.HTTPBadRequest(text="That invitation could not be used; ask for a new one.") from None
            raise

    async def held(request: web.Request) -> list[dict[str, Any]]:
        return await (await wallet_of(request)).held_credentials()

    async def credential_row(request: web.Request) -> views.EmissionsRow:
        row = views.find_row(await held(request), request.match_info["credential_id"])
        if row is None:
            raise web.HTTPNotFound(text="There is no such credential in your wallet.")
        return row

    async def names_of(records: list[ConsentRecord]) -> dict[str, str]:
        dids = {views.consent_view(r).auditor_did for r in records}
        names = {did: await auditor_names(did) for did in dids if did.startswith("did:")}
        return {did: name for did, name in names.items() if name}

    async def open_bill(request: web.Request) -> bytes:
        try:
            return await (await wallet_of(request)).open_bill(request.match_info["credential_id"])
        except WalletError as exc:
            raise web.HTTPNotFound(text=_sentence(exc)) from None

    # -- JSON API ----------------------------------------------------------------------------
    async def api_invitation(request: web.Request) -> web.Response:
        body = await _json_body(request)
        connection_id = await connect(request, body.get("invitation"), str(body.get("alias", "")))
        return web.json_response({"connection_id": connection_id}, status=201)

    async def api_consents(request: web.Request) -> web.Response:
        wallet = await wallet_of(request)
        return web.json_response([_view(r) for r in wallet.consents(*request.query.getall("state", []))])

    async def api_consent(request: web.Request) -> web.Response:
        return web.json_response(_view((await consent_of(request))[1]))

    def api_action(action: str):
        async def handler(request: web.Request) -> web.Response:
            return web.json_response(_view(await act(request, action)))

        return handler

    async def api_sharing_requests(request: web.Request) -> web.Response:
        return web.json_response([_sharing_view(r) for r in await (await wallet_of(request)).sharing_requests()])

    async def api_sharing_request(request: web.Request) -> web.Response:
        return web.json_response(_sharing_view((await sharing_of(request))[1]))

    def api_share(action: str):
        async def handler(request: web.Request) -> web.Response:
            return web.json_response({**_sharing_view(await share(request, action)), "decision": action})

        return handler

    async def api_credentials(request: web.Request) -> web.Response:
        return web.json_response(await held(request))

    async def api_bill(request: web.Request) -> web.Response:
        """Opens the bill behind a credential and says whether it is the one the credential names;
        the bill itself stays in the wallet (`GET /credentials/{id}/bill` downloads it)."""
        bill = await open_bill(request)
        return web.json_response({"opened": True, "bytes": len(bill), "sha256_matches": True})

    # -- pages -------------------------------------------------------------------------------
    async def page_home(request: web.Request) -> web.Response:
        wallet = await wallet_of(request)
        credentials = await wallet.held_credentials()
        return html(pages.home(*me(request), pending_consents=len(wallet.consents("pending")),
                               pending_shares=len(await wallet.sharing_requests()),
                               audits_in_progress=views.progress(wallet.consents("issued"), credentials),
                               groups=views.group_rows(credentials)))

    async def page_connect(request: web.Request) -> web.Response:
        return html(pages.connect(*me(request)))

    async def page_connect_post(request: web.Request) -> web.Response:
        form = await request.post()
        invitation, label = str(form.get("invitation", "")), str(form.get("label", ""))
        try:
            await connect(request, invitation, label)
        except web.HTTPBadRequest as exc:
            return web.Response(text=pages.connect(*me(request), error=exc.text, invitation=invitation[:4096],
                                                   label=label[:100]), status=400, content_type="text/html")
        return html(pages.connect(*me(request), connected=label or "the party that invited you"))

    async def page_consents(request: web.Request) -> web.Response:
        records = (await wallet_of(request)).consents()
        return html(pages.consents(*me(request), records, auditor_names=await names_of(records)))

    async def page_consent(request: web.Request) -> web.Response:
        _, record = await consent_of(request)
        name = (await names_of([record])).get(views.consent_view(record).auditor_did)
        return html(pages.consent(*me(request), record, auditor_name=name, utility_name=None))

    def page_action(action: str):
        async def handler(request: web.Request) -> web.Response:
            record = await act(request, action)
            raise web.HTTPSeeOther(f"/consents/{record.cred_ex_id}")

        return handler

    async def page_credentials(request: web.Request) -> web.Response:
        credentials = await held(request)
        return html(pages.credentials(*me(request), views.group_rows(credentials), views.accounts(credentials),
                                      unreadable=views.unreadable(credentials)))

    async def page_credential(request: web.Request) -> web.Response:
        return html(pages.credential(*me(request), await credential_row(request)))

    async def page_bill_check(request: web.Request) -> web.Response:
        row = await credential_row(request)
        try:
            bill = await (await wallet_of(request)).open_bill(row.credential_id)
            verdict, ok = (f"The bill was fetched by its content id, decrypted with your wallet's key, and its "
                           f"SHA-256 matches the credential ({len(bill):,} bytes)."), True
        except WalletError as exc:
            verdict, ok = f"The bill could not be checked: {_sentence(exc)}", False
        return html(pages.credential(*me(request), row, bill_check=verdict, bill_check_ok=ok))

    async def openid_offer(request: web.Request) -> tuple[views.EmissionsRow, dict[str, Any]]:
        row = await credential_row(request)
        try:
            return row, await (await wallet_of(request)).openid_offer(row.credential_id, http[0])
        except WalletError as exc:
            raise web.HTTPBadGateway(text=_sentence(exc)) from None

    async def api_openid_offer(request: web.Request) -> web.Response:
        _row, offer = await openid_offer(request)
        return web.json_response(offer, status=201, headers={"Cache-Control": "no-store"})

    async def page_openid_offer(request: web.Request) -> web.Response:
        row, offer = await openid_offer(request)
        response = html(pages.openid_offer(*me(request), row, offer))
        response.headers["Cache-Control"] = "no-store"
        return response

    async def page_bill(request: web.Request) -> web.Response:
        bill = await open_bill(request)
        return web.Response(body=bill, content_type="application/xml",
                            headers={"Content-Disposition": 'attachment; filename="bill.xml"'})

    async def page_sharing_requests(request: web.Request) -> web.Response:
        return html(pages.sharing_requests(*me(request), await (await wallet_of(request)).sharing_requests()))

    async def page_sharing_request(request: web.Request) -> web.Response:
        wallet, asked = await sharing_of(request)
        held_rows = views.rows_by_record(await wallet.held_credentials())
        return html(pages.sharing_request(*me(request), asked, held=held_rows))

    def page_share(action: str):
        async def handler(request: web.Request) -> web.Response:
            await share(request, action)
            raise web.HTTPSeeOther("/presentation-requests")

        return handler

    app = web.Application(middlewares=[security_headers, error_pages(APP_NAME), same_origin_only, signin.middleware])
    app.add_routes(receiver.routes("/webhooks"))
    app.add_routes(static_routes())
    app.add_routes(signin.routes())
    app.add_routes(
        [
            web.post("/api/invitations", api_invitation),
            web.get("/api/consents", api_consents),
            web.get("/api/consents/{cred_ex_id}", api_consent),
            *[web.post(f"/api/consents/{{cred_ex_id}}/{a}", api_action(a)) for a in ("approve", "decline", "revoke")],
            web.get("/api/credentials", api_credentials),
            web.get("/api/credentials/{credential_id}/bill", api_bill),
            web.post("/api/credentials/{credential_id}/openid-offer", api_openid_offer),
            web.get("/api/presentation-requests", api_sharing_requests),
            web.get("/api/presentation-requests/{pres_ex_id}", api_sharing_request),
            *[web.post(f"/api/presentation-requests/{{pres_ex_id}}/{a}", api_share(a)) for a in ("approve", "decline")],
            web.get("/", page_home),
            web.get("/connect", page_connect),
            web.post("/connect", page_connect_post),
            web.get("/consents", page_consents),
            web.get("/consents/{cred_ex_id}", page_consent),
            *[web.post(f"/consents/{{cred_ex_id}}/{a}", page_action(a)) for a in ("approve", "decline", "revoke")],
            web.get("/credentials", page_credentials),
            web.get("/credentials/{credential_id}", page_credential),
            web.get("/credentials/{credential_id}/bill", page_bill),
            web.post("/credentials/{credential_id}/bill/check", page_bill_check),
            web.post("/credentials/{credential_id}/openid-offer", page_openid_offer),
            web.get("/presentation-requests", page_sharing_requests),
            web.get("/presentation-requests/{pres_ex_id}", page_sharing_request),
            *[web.post(f"/presentation-requests/{{pres_ex_id}}/{a}", page_share(a)) for a in ("approve", "decline")],
        ]
    )
    app.cleanup_ctx.append(client)
    if sweep_interval:
        app.cleanup_ctx.append(sweeping(host.sweep, sweep_interval, "wallet"))
    return app


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        raise web.HTTPBadRequest(text="The request body is not JSON.") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="The request body must be a JSON object.")
    return body


def _refusal(exc: WalletError) -> web.HTTPException:
    """Not there (or not this person's): 404; there, but decided or gone on: 409."""
    if str(exc).startswith("no such"):
        return web.HTTPNotFound(text=_sentence(exc))
    return web.HTTPConflict(text=_sentence(exc))


def _sentence(exc: Exception) -> str:
    text = str(exc).strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else "That could not be done."


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
