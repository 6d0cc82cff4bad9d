"""The utility's aiohttp service: onboarding (operator pages and API), consent challenges and
tokens, consent revocation, and the Green Button data custodian under ESPI REST paths.

Who may onboard: the operator, signed in on the pages (username "operator", the operator key as
password; the session lives in the utility's WorkflowStore) or, for scripts, sending the key in the
`X-Operator-Key` header. The consent endpoints (/consent/challenge, /consent/token,
/consent/revocations) and the data custodian (/espi/1_1/resource/...) stay public: wallets and
auditors call them server to server, with presentations and bearer tokens as their own proof.

Operator API: POST /admin/onboardings {account, service_point[, service: "electricity" (default) or
"gas"]} -> {onboarding_id, invitation, invitation_url}; GET /admin/onboardings/{onboarding_id} ->
{state, reason}.
Operator pages: /onboardings, /onboardings/new (the invitation as link, text and QR code),
/onboardings/{onboarding_id}; /signin, /signout.

Every API refusal is JSON `{"error": reason}` with 400 (malformed), 401 (no or unknown token,
no operator), 403 (consent or token does not allow it) or 404 (no such resource). No handler logs
an account, a DID or usage figures; URLs carry only opaque subscription and onboarding ids.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from controllers.acapy import AcaPyAdmin, WebhookEvent, WebhookReceiver
from controllers.acapy.invitation_url import invitation_url
from controllers.challenges import ChallengeBook, ChallengesExhausted
from controllers.consent.checks import (
    AgentVerdict,
    challenge_of,
    check_consent_presentation,
    check_revocation_presentation,
)
from controllers.consent.errors import AccessDenied, ConsentError, MalformedConsent
from controllers.consent.tokens import DataRequest, authorise, digest, mint
from controllers.utility import custodian, pages
from controllers.utility.onboarding import Onboarder
from controllers.utility.store import ONBOARDING, SERVICES, Onboarding, UtilityStore
from controllers.web import same_origin_only
from controllers.web.errors import error_pages, form_sentence
from controllers.web.headers import security_headers
from controllers.web.layout import static_routes
from controllers.web.operator import KEY_HEADER, operator_signin
from controllers.web.signin import csrf_token, subject

LOG = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Called server to server by wallets and auditors, each with its own proof (a presentation, a token).
PUBLIC_PATHS = ("/consent/challenge", "/consent/token", "/consent/revocations")
PUBLIC_PREFIXES = ("/webhooks/", "/static/", custodian.ROOT + "/")
# Paths that answer scripts and other services in JSON (or Atom): their refusals stay JSON, never pages.
JSON_PREFIXES = ("/admin/", "/consent/", custodian.ROOT + "/")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class UtilityConfig:
    utility_id: str  # EIA-861 utility number
    data_dir: Path
    operator_key: str  # guards the onboarding API
    public_url: str = ""  # base of the links inside feeds; defaults to the request's host
    token_ttl: timedelta = timedelta(minutes=15)
    challenge_ttl: timedelta = timedelta(minutes=5)
    feed_key: bytes = field(default=b"", repr=False)  # keys the per-account seed; from data_dir if empty


class UtilityService:
    def __init__(self, config: UtilityConfig, admin: AcaPyAdmin, *, clock: Clock = utc_now):
        self.config, self.admin, self.clock = config, admin, clock
        self.store = UtilityStore(config.data_dir / "utility.sqlite3")
        self.challenges = ChallengeBook(ttl=config.challenge_ttl)
        self._feed_key = config.feed_key or self._stored_feed_key()
        self.did = ""
        self.onboarder: Onboarder | None = None

    def _stored_feed_key(self) -> bytes:
        key = self.store.get_meta("feed_key")
        if key is None:
            key = secrets.token_hex(32)
            self.store.set_meta("feed_key", key)
        return bytes.fromhex(key)

    async def start(self) -> None:
        """Find or create the utility's did:key, then resume onboardings a restart interrupted."""
        self.did = (await self.admin.ensure_did_key(self.store.get_meta("did"))).did
        self.store.set_meta("did", self.did)
        self.onboarder = Onboarder(self.store, self.admin, self.config.utility_id, self.did)
        await self.onboarder.resume()

    def close(self) -> None:
        self.store.close()

    # webhooks (topic, payload) from the utility's agent
    async def on_webhook(self, topic: str, payload: dict[str, Any]) -> None:
        assert self.onboarder is not None, "start() first"
        if topic == "connections":
            await self.onboarder.on_connection(payload)
        elif topic == "issue_credential_v2_0":
            await self.onboarder.on_credential(payload)

    def routes(self) -> list[web.RouteDef]:
        """The API and pages; `build_app` puts the operator's sign-in in front of them."""
        return [
            web.post("/admin/onboardings", self._invite),
            web.get("/admin/onboardings/{onboarding_id}", self._onboarding_state),
            web.get("/consent/challenge", self._challenge),
            web.post("/consent/token", self._token),
            web.post("/consent/revocations", self._revoke),
            web.get(custodian.ROOT + "/{tail:.+}", self._espi),
            web.get("/", self._home),
            web.get("/onboardings", self._page_onboardings),
            web.get("/onboardings/new", self._page_new),
            web.post("/onboardings/new", self._page_new_post),
            web.get("/onboardings/{onboarding_id}", self._page_onboarding),
        ]

    # operator API (the sign-in middleware let only the operator through; subject() checks it did)
    async def invite(self, account: Any, service_point: Any, service: Any = "electricity") -> tuple[str, dict[str, Any]]:
        """A new onboarding and the invitation for the customer's wallet; 400 if the fields are not right."""
        if not isinstance(account, str) or not isinstance(service_point, str):
            raise _refuse(web.HTTPBadRequest, "body needs string fields 'account' and 'service_point'")
        if service not in SERVICES:
            raise _refuse(web.HTTPBadRequest, f"service must be one of {', '.join(SERVICES)}")
        assert self.onboarder is not None, "start() first"
        try:
            return await self.onboarder.invite(account, service_point, service)
        except MalformedConsent as exc:
            raise _refuse(web.HTTPBadRequest, exc.reason) from None

    async def _invite(self, request: web.Request) -> web.Response:
        subject(request)
        body = await _json(request)
        onboarding_id, invitation = await self.invite(body.get("account"), body.get("service_point"),
                                                      body.get("service", "electricity"))
        return web.json_response({"onboarding_id": onboarding_id, "invitation": invitation,
                                  "invitation_url": invitation_url(invitation)}, status=201)

    async def _onboarding_state(self, request: web.Request) -> web.Response:
        subject(request)
        onboarding = self.store.onboarding(onboarding_id=request.match_info["onboarding_id"])
        if onboarding is None:
            raise _refuse(web.HTTPNotFound, "no such onboarding")
        return web.json_response({"state": onboarding.state, "reason": onboarding.reason})

    # operator pages
    def onboardings(self) -> list[tuple[Onboarding, float]]:
        """Every onboarding with when it last changed."""
        return [(Onboarding.of(r), r.updated_at) for r in self.store.workflows.list(ONBOARDING)]

    async def _home(self, request: web.Request) -> web.Response:
        subject(request)
        raise web.HTTPSeeOther("/onboardings")

    async def _page_onboardings(self, request: web.Request) -> web.Response:
        return _html(pages.onboardings(*_me(request), self.onboardings()))

    async def _page_new(self, request: web.Request) -> web.Response:
        return _html(pages.new_onboarding(*_me(request)))

    async def _page_new_post(self, request: web.Request) -> web.Response:
        who, csrf = _me(request)
        form = await request.post()
        values = {name: str(form.get(name, "")).strip() for name in ("account", "service_point")}
        if not values["account"] or not values["service_point"]:
            return _html(pages.new_onboarding(who, csrf, values=values,
                                              error="Give both the account number and the service point."), status=400)
        try:
            onboarding_id, invitation = await self.invite(values["account"], values["service_point"])
        except web.HTTPBadRequest as exc:
            return _html(pages.new_onboarding(who, csrf, values=values, error=form_sentence(exc)), status=400)
        return _html(pages.invitation(who, csrf, onboarding_id, invitation_url(invitation)))

    async def _page_onboarding(self, request: web.Request) -> web.Response:
        who, csrf = _me(request)
        record = self.store.workflows.get(ONBOARDING, request.match_info["onboarding_id"])
        if record is None:
            raise web.HTTPNotFound(text="There is no such onboarding.")
        return _html(pages.onboarding(who, csrf, Onboarding.of(record), record.updated_at))

    # consent
    async def _challenge(self, request: web.Request) -> web.Response:
        try:
            challenge, expires = self.challenges.issue(self.clock())
        except ChallengesExhausted:
            raise web.HTTPServiceUnavailable(text="Too many consent challenges are open; try again in a minute.",
                                             headers={"Retry-After": "60"}) from None
        return web.json_response({"challenge": challenge, "expires": expires.isoformat(), "domain": request.host})

    async def _verified(self, request: web.Request) -> tuple[dict[str, Any], AgentVerdict]:
        body = await _json(request)
        vp = body.get("verifiablePresentation")
        if not isinstance(vp, dict):
            raise _refuse(web.HTTPBadRequest, "body needs a 'verifiablePresentation' object")
        try:
            challenge = challenge_of(vp, self.challenges, self.clock())
        except MalformedConsent as exc:
            raise _refuse(web.HTTPBadRequest, exc.reason) from None
        except ConsentError as exc:
            raise _refuse(web.HTTPForbidden, exc.reason) from None
        result = await self.admin.vp_verify(vp, challenge=challenge)
        return vp, AgentVerdict.from_result(result)

    async def _token(self, request: web.Request) -> web.Response:
        vp, verdict = await self._verified(request)
        now = self.clock()
        try:
            consent = check_consent_presentation(
                vp,
                verdict,
                utility_id=self.config.utility_id,
                bound_did=self.store.bound_did,
                is_revoked=self.store.is_revoked,
                now=now,
            )
        except MalformedConsent as exc:
            raise _refuse(web.HTTPBadRequest, exc.reason) from None
        except ConsentError as exc:
            LOG.info("consent refused: %s", exc.reason)
            raise _refuse(web.HTTPForbidden, exc.reason) from None
        bearer, token = mint(consent, now, self.config.token_ttl)
        self.store.save_token(token)
        account = self.store.account(consent.terms.account)
        assert account is not None  # bound_did matched, so the account exists
        base = self._base(request)
        LOG.info("access token granted (scope %s)", " ".join(sorted(token.scope)))
        return web.json_response(
            {
                "access_token": bearer,
                "token_type": "Bearer",
                "expires_in": int((token.expires - now).total_seconds()),
                "scope": sorted(token.scope),
                "period": {"start": token.period.start.isoformat(), "end": token.period.end.isoformat()},
                "resourceURI": f"{base}{custodian.ROOT}/Batch/Subscription/{account.subscription_id}",
            }
        )

    async def _revoke(self, request: web.Request) -> web.Response:
        vp, verdict = await self._verified(request)
        try:
            consent = check_revocation_presentation(vp, verdict, bound_did=self.store.bound_did)
        except MalformedConsent as exc:
            raise _refuse(web.HTTPBadRequest, exc.reason) from None
        except ConsentError as exc:
            raise _refuse(web.HTTPForbidden, exc.reason) from None
        self.store.revoke(consent.consent_id, self.clock())
        LOG.info("consent revoked by its issuer")
        return web.json_response({"revoked": consent.consent_id})

    # custodian
    async def _espi(self, request: web.Request) -> web.Response:
        try:
            path = custodian.parse_path(request.match_info["tail"])
        except custodian.UnknownResource as exc:
            raise _refuse(web.HTTPNotFound, str(exc)) from None
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise _refuse(web.HTTPUnauthorized, "a Bearer access token is required")
        token = self.store.token(digest(auth.removeprefix("Bearer ").strip()))
        if token is None:
            raise _refuse(web.HTTPUnauthorized, "unknown access token")
        account = self.store.account_by_subscription(path.subscription_id)
        try:
            period = custodian.requested_period(
                request.query.get("published-min"), request.query.get("published-max"), token.period
            )
        except (ValueError, ConsentError) as exc:
            raise _refuse(web.HTTPBadRequest, getattr(exc, "reason", str(exc))) from None
        try:
            if account is None:
                raise AccessDenied("access token does not cover this subscription")
            for kind in path.kinds or {None}:
                authorise(
                    token,
                    DataRequest(account=account.account, kind=kind, period=period),
                    now=self.clock(),
                    revoked=self.store.is_revoked(token.consent_id),
                )
        except AccessDenied as exc:
            LOG.info("data request refused: %s", exc.reason)
            raise _refuse(web.HTTPForbidden, exc.reason) from None
        seed = custodian.feed_seed(self._feed_key, account.account)
        try:
            # Rendering is CPU work in pure Python; a thread keeps the loop answering meanwhile.
            body = await asyncio.to_thread(
                custodian.render, path, seed=seed, period=period, base_url=self._base(request), scope=token.scope,
                commodity=account.service,
            )
        except custodian.UnknownResource as exc:
            raise _refuse(web.HTTPNotFound, str(exc)) from None
        return web.Response(body=body, content_type="application/atom+xml")

    def _base(self, request: web.Request) -> str:
        return self.config.public_url.rstrip("/") or f"{request.scheme}://{request.host}"


def _refuse(kind: type[web.HTTPException], reason: str) -> web.HTTPException:
    return kind(text=json.dumps({"error": reason}), content_type="application/json")


def _me(request: web.Request) -> tuple[str, str]:
    return subject(request), csrf_token(request)


def _html(text: str, *, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
        raise _refuse(web.HTTPBadRequest, "body must be JSON") from None
    if not isinstance(body, dict):
        raise _refuse(web.HTTPBadRequest, "body must be a JSON object")
    return body


def build_app(service: UtilityService, webhook_secret: str) -> web.Application:
    """The utility's app: its routes behind the operator's sign-in, plus the agent's webhooks at /webhooks."""
    if not service.config.operator_key:
        raise ValueError("the utility's operator key must not be empty")
    receiver = WebhookReceiver(webhook_secret)

    async def forward(event: WebhookEvent) -> None:
        await service.on_webhook(event.topic, event.payload)

    receiver.on("*", forward)
    signin = operator_signin(service.store.workflows, service.config.operator_key, app_name=pages.APP_NAME,
                             home="/onboardings", public_paths=PUBLIC_PATHS, public_prefixes=PUBLIC_PREFIXES)
    error_page = error_pages(pages.APP_NAME)

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Pages answer failures with a page; the JSON paths keep their own `{"error": ...}` answers,
        and the operator API answers a caller with neither key nor session in JSON too."""
        path = request.rel_url.path_safe
        if not path.startswith(JSON_PREFIXES):
            return await error_page(request, handler)
        if (path.startswith("/admin/") and KEY_HEADER not in request.headers
                and signin.sessions.get(request.cookies.get(signin.cookie_name)) is None):
            return web.json_response({"error": "operator key missing or wrong"}, status=401)
        return await handler(request)

    app = web.Application(middlewares=[security_headers, errors, same_origin_only, signin.middleware])
    app.add_routes(receiver.routes("/webhooks"))
    app.add_routes(static_routes())
    app.add_routes(signin.routes())
    app.add_routes(service.routes())
    return app


