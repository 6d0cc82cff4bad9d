"""The auditor controller's aiohttp app: the operator's pages and API, and the agent's webhooks.

Who may act: the operator, signed in on the pages (username "operator", the operator key as
password; the session lives in the auditor's WorkflowStore) or, for scripts, sending the operator
key in the `X-Operator-Key` header (no session, no CSRF token needed). Every other caller gets 401
(JSON under /api/, a redirect to /signin for a page). A change made from a page carries the
session's CSRF token and this site's Origin.

Operator API:
- GET  /api/audits[?state=...]           -> every audit with its state, reason and billing periods
- POST /api/audits {period_start, period_end, purpose, scope?, consent_days?, account?}
                                         -> {audit_id, invitation, invitation_url}: the customer accepts it
- GET  /api/audits/{audit_id}            -> one audit
- POST /api/audits/{audit_id}/retry      -> a failed audit goes back to the step it failed in
- POST /api/audits/{audit_id}/fetch      -> a done audit fetches again under its consent (new periods)
- GET  /api/stages                       -> time spent per pipeline stage since start
- POST /api/audits/{audit_id}/oid4vci-offers {record_id}
                                         -> {offer_id, offer_uri, pin, expires_in}: a done audit's anchored
                                            period offered as an SD-JWT VC over OpenID4VCI (only with
                                            `oid4vci`); the PIN is for the signed-in customer, not the offer
With `oid4vci`, its wallet endpoints are public: /.well-known/openid-credential-issuer,
/.well-known/oauth-authorization-server, /oid4vci/offers/{offer_id}, /oid4vci/token, /oid4vci/credential;
and a customer's wallet service asks for an offer itself (holder_offers.py): POST
/oid4vci/holder-challenges -> {challenge, expires}, then POST /oid4vci/holder-offers {verifiablePresentation
of one emissions credential, signed by its subject for that challenge, challenge} -> {offer_uri, pin, expires_in}.
Operator pages: /audits (every audit, Retry for a failed one), /audits/new (start one: the
invitation as link, text and QR code), /audits/{audit_id} (its state and billing periods);
/signin, /signout. Public: /webhooks (the agent's secret), /static/style.css.
Only audit ids appear in URLs; the app sweeps the audits every `sweep_interval` seconds for what a
lost webhook or a restart left behind.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from controllers.acapy import WebhookEvent, WebhookReceiver
from controllers.acapy.invitation_url import invitation_url
from controllers.auditor import pages
from controllers.auditor.manager import AuditManager
from controllers.auditor.record import AuditRecord, AuditState
from controllers.auditor.request import AuditRequest
from controllers.consent.errors import ConsentError
from controllers.auditor.holder_offers import OfferRefused, offer_for_presentation
from controllers.challenges import ChallengeBook, ChallengeRefused, ChallengesExhausted
from controllers.oid4vc import CredentialIssuer
from controllers.web import same_origin_only
from controllers.web.errors import error_pages, form_sentence
from controllers.web.headers import security_headers
from controllers.web.layout import static_routes
from controllers.web.operator import KEY_HEADER, OPERATOR, operator_signin
from controllers.web.signin import csrf_token, subject
from controllers.workflow.sweeps import sweeping

__all__ = ["build_app", "KEY_HEADER", "OPERATOR"]

_FORM_FIELDS = ("account", "period_start", "period_end", "purpose", "consent_days")


def build_app(manager: AuditManager, webhook_secret: str, operator_key: str, *,
              oid4vci: CredentialIssuer | None = None) -> web.Application:
    if not operator_key:
        raise ValueError("the auditor's operator key must not be empty")
    receiver = WebhookReceiver(webhook_secret)

    async def forward(event: WebhookEvent) -> None:
        await manager.on_webhook(event.topic, event.payload)

    receiver.on("*", forward)
    public = ("/webhooks/", "/static/", *(("/oid4vci/", "/.well-known/") if oid4vci is not None else ()))
    signin = operator_signin(manager.book.store, operator_key, app_name=pages.APP_NAME, home="/audits",
                             public_prefixes=public)

    def me(request: web.Request) -> tuple[str, str]:
        return subject(request), csrf_token(request)

    def found(audit_id: str) -> AuditRecord:
        audit = manager.audit(audit_id)
        if audit is None:
            raise _error(web.HTTPNotFound, "no such audit")
        return audit

    async def start(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """An audit started as POST /api/audits and the page's form both start one."""
        try:
            audit_request = AuditRequest.from_json(body)
        except ValueError as exc:
            raise _error(web.HTTPBadRequest, str(exc)) from None
        except ConsentError as exc:  # a period that ends before it starts
            raise _error(web.HTTPBadRequest, exc.reason) from None
        if audit_request.consent_days < 1:
            raise _error(web.HTTPBadRequest, "consent_days must be at least 1")
        return await manager.new_audit(audit_request)

    # -- JSON API ----------------------------------------------------------------------------------
    async def create(request: web.Request) -> web.Response:
        subject(request)
        try:
            body = await request.json()
        except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
            raise _error(web.HTTPBadRequest, "the body is not JSON") from None
        audit_id, invitation = await start(body if isinstance(body, dict) else {})
        return web.json_response({"audit_id": audit_id, "invitation": invitation,
                                  "invitation_url": invitation_url(invitation)}, status=201)

    async def listing(request: web.Request) -> web.Response:
        subject(request)
        try:
            states = [AuditState(s) for s in request.query.getall("state", [])]
        except ValueError:
            raise _error(web.HTTPBadRequest, f"states are: {', '.join(AuditState)}") from None
        return web.json_response([a.view() for a in manager.audits(*states)])

    async def show(request: web.Request) -> web.Response:
        subject(request)
        return web.json_response(found(request.match_info["audit_id"]).view())

    def acting(action: str):
        async def handler(request: web.Request) -> web.Response:
            subject(request)
            return web.json_response((await act(request, action)).view())

        return handler

    async def act(request: web.Request, action: str) -> AuditRecord:
        audit_id = found(request.match_info["audit_id"]).audit_id
        try:
            return await (manager.retry(audit_id) if action == "retry" else manager.refetch(audit_id))
        except ValueError as exc:
            raise _error(web.HTTPConflict, str(exc)) from None

    async def stages(request: web.Request) -> web.Response:
        subject(request)
        return web.json_response(manager.issuer.clock.report())

    challenges = ChallengeBook()

    async def holder_challenge(request: web.Request) -> web.Response:
        try:
            issued, expires = challenges.issue(datetime.now(UTC))
        except ChallengesExhausted:
            raise web.HTTPServiceUnavailable(text="Too many challenges are open; try again in a minute.",
                                             headers={"Retry-After": "60"}) from None
        return web.json_response({"challenge": issued, "expires": expires.isoformat()}, status=201)

    async def holder_offer(request: web.Request) -> web.Response:
        # Answers in JSON, errors too: the caller is a wallet service, not a browser (the error pages
        # would answer HTML outside /api).
        assert oid4vci is not None

        def refused(status: int, reason: str) -> web.Response:
            return web.json_response({"error": reason}, status=status)

        try:
            body = await request.json()
        except (ValueError, RecursionError):
            return refused(400, "the body is not JSON")
        challenge = body.get("challenge") if isinstance(body, dict) else None
        if not isinstance(challenge, str):
            return refused(400, "give verifiablePresentation and the challenge it is bound to")
        try:
            challenges.consume(challenge, datetime.now(UTC))
            offer = await offer_for_presentation(manager, oid4vci, body.get("verifiablePresentation"), challenge)
        except ChallengeRefused as exc:
            return refused(400, f"{exc}; ask POST /oid4vci/holder-challenges for one")
        except OfferRefused as exc:
            return refused(403, str(exc))
        return web.json_response({"offer_uri": offer.uri, "pin": offer.pin, "expires_in": offer.expires_in},
                                 status=201, headers={"Cache-Control": "no-store"})

    async def oid4vci_offer(request: web.Request) -> web.Response:
        subject(request)
        assert oid4vci is not None
        audit = found(request.match_info["audit_id"])
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            raise _error(web.HTTPBadRequest, "the body is not JSON") from None
        record_id = body.get("record_id") if isinstance(body, dict) else None
        if audit.state != AuditState.DONE:
            raise _error(web.HTTPConflict, f"the audit is {audit.state}: only a done audit's credentials are offered")
        anchored = audit.anchored(record_id)
        if not isinstance(record_id, str) or anchored is None:
            raise _error(web.HTTPNotFound, "no anchored period of this audit has that record_id")
        offer = oid4vci.offer(manager.issuer.credential(anchored))
        return web.json_response({"offer_id": offer.offer_id, "offer_uri": offer.uri, "pin": offer.pin,
                                  "expires_in": offer.expires_in}, status=201, headers={"Cache-Control": "no-store"})

    # -- pages -------------------------------------------------------------------------------------
    async def home(request: web.Request) -> web.Response:
        subject(request)
        raise web.HTTPSeeOther("/audits")

    async def page_audits(request: web.Request) -> web.Response:
        return _html(pages.audits(*me(request), manager.audits()))

    async def page_new(request: web.Request) -> web.Response:
        return _html(pages.new_audit(*me(request)))

    async def page_new_post(request: web.Request) -> web.Response:
        who, csrf = me(request)
        form = await request.post()
        values = {name: str(form.get(name, "")).strip() for name in _FORM_FIELDS}
        body: dict[str, Any] = {k: v for k, v in values.items() if v}
        if "consent_days" in body:
            try:
                body["consent_days"] = int(body["consent_days"])
            except ValueError:
                return _html(pages.new_audit(who, csrf, values=values, error="Consent days must be a whole number."),
                             status=400)
        try:
            audit_id, invitation = await start(body)
        except web.HTTPBadRequest as exc:
            return _html(pages.new_audit(who, csrf, values=values, error=form_sentence(exc)), status=400)
        return _html(pages.invitation(who, csrf, audit_id, invitation_url(invitation)))

    async def page_audit(request: web.Request) -> web.Response:
        record = manager.audit(request.match_info["audit_id"])
        if record is None:
            raise web.HTTPNotFound(text="There is no such audit.")
        return _html(pages.audit(*me(request), record))

    def page_acting(action: str):
        async def handler(request: web.Request) -> web.Response:
            subject(request)
            try:
                await act(request, action)
            except web.HTTPConflict:
                pass  # the page shows the audit as it is
            except web.HTTPNotFound:
                raise web.HTTPNotFound(text="There is no such audit.") from None
            raise web.HTTPSeeOther("/audits" if action == "retry" else f"/audits/{request.match_info['audit_id']}")

        return handler

    app = web.Application(middlewares=[security_headers, error_pages(pages.APP_NAME), same_origin_only,
                                       signin.middleware])
    app.add_routes(receiver.routes("/webhooks"))
    app.add_routes(static_routes())
    app.add_routes(signin.routes())
    app.add_routes([
        web.get("/api/audits", listing),
        web.post("/api/audits", create),
        web.get("/api/audits/{audit_id}", show),
        web.post("/api/audits/{audit_id}/retry", acting("retry")),
        web.post("/api/audits/{audit_id}/fetch", acting("fetch")),
        web.get("/api/stages", stages),
        web.get("/", home),
        web.get("/audits", page_audits),
        web.get("/audits/new", page_new),
        web.post("/audits/new", page_new_post),
        web.get("/audits/{audit_id}", page_audit),
        web.post("/audits/{audit_id}/retry", page_acting("retry")),
        web.post("/audits/{audit_id}/fetch", page_acting("fetch")),
    ])
    if oid4vci is not None:
        app.add_routes([web.post("/api/audits/{audit_id}/oid4vci-offers", oid4vci_offer),
                        web.post("/oid4vci/holder-challenges", holder_challenge),
                        web.post("/oid4vci/holder-offers", holder_offer), *oid4vci.routes()])
    app.cleanup_ctx.append(sweeping(manager.sweep, manager.config.sweep_interval, "auditor"))
    return app


def _error(kind: type[web.HTTPException], reason: str) -> web.HTTPException:
    return kind(text=json.dumps({"error": reason}), content_type="application/json")


def _html(text: str, *, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


