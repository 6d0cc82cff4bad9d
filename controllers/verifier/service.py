"""The verifier controller's aiohttp app.

Who may act: with an operator key configured, the verifier's operator, signed in on the pages
(username "operator", the key as password; the session lives in the verifier's WorkflowStore) or,
for scripts, sending the key in the `X-Operator-Key` header. Only `POST /api/challenges` and
`POST /api/verify` stay public: anyone may check a credential. They answer the verdicts, never the
figures (kWh, tCO2e) of the credential: those only to a caller with the operator key. Without an operator key
(`operator_key=None`) everything is open, as for a verifier on a private network.

`/api/verify` does its work in turns (see `Admission`): a few verifications at once, a bounded
queue, and 503 with Retry-After beyond it or when the proof checker is full. A presentation must
carry a challenge this verifier issued (`POST /api/challenges`), each usable once within minutes;
a bare credential is checked as a credential: it says what the issuer signed and the ledger holds,
not who is presenting it.

JSON API:
- POST /api/invitations                 -> an out-of-band invitation for a holder to accept, and its id
- GET  /api/invitations/{invitation_id} -> {"state": "waiting"} or {"state": "active", "connection_id"}
- POST /api/requests {connection_id, record_id? | record_ids?} -> {request_id}: asks over DIDComm
                                           (present-proof v2)
- GET  /api/requests/{request_id}       -> {"state": "waiting"} or {"state": "done", "verdicts": [...]}
- POST /api/oid4vp-requests             -> {request_id, uri (openid4vp://...), expires_in}: asks a wallet that
                                           speaks only OpenID4VP (with `oid4vp`; see controllers.verifier.oid4vp)
- GET  /api/oid4vp-requests/{request_id} -> {"state": "waiting"} or {"state": "done", "outcome": {...}}
- POST /api/challenges                  -> {"challenge", "expires"}: single use, for one presentation
- POST /api/verify {verifiableCredential} or {verifiablePresentation, challenge} -> {"checked":
                                           "credential"|"presentation", "verdicts": [...]}, no DIDComm
Pages: / (requests, "Invite a wallet"), POST /invitations -> /invitations/{invitation_id} (the
invitation as link, text and QR code until the wallet connects, then a form asking it for its
emissions credentials), /requests/{request_id} (each credential's verdict and checks).
URLs carry request and invitation ids only, never DIDs or connection ids.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from controllers.acapy import AdminApiError, ExchangeTimeout, WebhookEvent, WebhookReceiver
from controllers.acapy.invitation_url import invitation_url
from controllers.challenges import ChallengeBook, ChallengeRefused, ChallengesExhausted
from controllers.verifier import pages
from controllers.verifier.checks import EmissionsVerifier
from controllers.verifier.oid4vp import PresentationVerifier
from controllers.verifier.proofs import ProofCheckBusy
from controllers.verifier.request import request_credential, settled, verdicts_on
from controllers.verifier.verdict import ERROR, Check, Verdict
from controllers.workflow import StaleVersion, WorkflowRecord, WorkflowStore
from controllers.workflow.sweeps import sweeping
from controllers.web import same_origin_only
from controllers.web.admission import Admission
from controllers.web.errors import error_pages
from controllers.web.headers import security_headers
from controllers.web.layout import static_routes
from controllers.web.operator import KEY_HEADER, OPERATOR, operator_signin
from controllers.web.signin import csrf_token

__all__ = ["VerifierService", "build_app", "KEY_HEADER", "OPERATOR"]

LOG = logging.getLogger(__name__)
KIND, WAITING, DONE = "verification", "waiting", "done"
INVITATION, INVITED, CONNECTED = "invitation", "invited", "connected"
PUBLIC_PATHS = ("/api/verify", "/api/challenges")  # anyone may check a credential
_RECORD_ID = re.compile(r"^[0-9a-f]{64}$")


class VerifierService:
    """The verifier's requests and their verdicts, kept in the WorkflowStore (kind "verification",
    key = the request's exchange id): a restart loses nothing. The agent's webhook on the exchange
    says "look again"; `sweep` (every `sweep_interval` while the app runs) looks at every request
    still waiting, and gives an error verdict to one the holder left unanswered past `timeout`."""

    def __init__(self, verifier: EmissionsVerifier, store: WorkflowStore, *, timeout: float = 60.0,
                 sweep_interval: float = 5.0, admission: Admission | None = None,
                 challenges: ChallengeBook | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.verifier, self.store = verifier, store
        self.timeout, self.sweep_interval = timeout, sweep_interval
        # Direct verifications: a few at once (the proof checker has a worker per core), a bounded queue.
        self.admission = admission or Admission(running=8, waiting=64, patience=20.0)
        self.challenges = challenges or ChallengeBook()
        self.clock = clock
        self._looking: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._given = asyncio.Condition()  # notified whenever this service gives verdicts

    async def ask(self, connection_id: str, record_id: str | None = None, *,
                  record_ids: Sequence[str] | None = None) -> str:
        pending = await request_credential(self.verifier.admin, connection_id, record_id=record_id,
                                           record_ids=record_ids)
        self.store.put(KIND, pending.pres_ex_id, WAITING, {"challenge": pending.challenge, "asked": time.time(),
                                                           "record_ids": list(pending.record_ids)})
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

    # -- invitations -------------------------------------------------------------------------------
    async def invite(self) -> tuple[str, dict[str, Any], str]:
        """A new invitation for a holder's wallet, kept (kind "invitation", key its message id) so its
        page can show it again: (invitation id, invitation, its link)."""
        created = await self.verifier.admin.create_invitation(auto_accept=True)
        url = created.invitation_url or invitation_url(created.invitation)
        self.store.put(INVITATION, created.invitation_msg_id, INVITED,
                       {"invitation": created.invitation, "invitation_url": url, "created": time.time()})
        return created.invitation_msg_id, created.invitation, url

    def invitation(self, invitation_id: str) -> dict[str, Any] | None:
        """What was kept of an invitation this verifier made (invitation, invitation_url, created,
        connection_id once its wallet connected); None for one it did not make."""
        record = self.store.get(INVITATION, invitation_id)
        return dict(record.data) if record is not None else None

    def invitations(self, limit: int = 20) -> list[tuple[str, dict[str, Any]]]:
        """The latest invitations, newest first."""
        return [(r.key, dict(r.data)) for r in reversed(self.store.list(INVITATION))][:limit]

    async def connection(self, invitation_id: str) -> str | None:
        """The active connection the wallet made by accepting the invitation; None while it has not."""
        record = self.store.get(INVITATION, invitation_id)
        if record is not None and record.data.get("connection_id"):
            return record.data["connection_id"]
        found = await self.verifier.admin.connections(invitation_msg_id=invitation_id)
        active = next((c for c in found if c.is_active), None)
        if active is None:
            return None
        if record is not None:
            try:
                self.store.update(INVITATION, invitation_id, expected_version=record.version, state=CONNECTED,
                                  data={**record.data, "connection_id": active.connection_id})
            except StaleVersion:
                pass  # another look recorded it meanwhile
        return active.connection_id

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
                    verdicts = await verdicts_on(self.verifier, exchange, record.data["challenge"],
                                                 asked=record.data.get("record_ids") or ())
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
    return web.HTTPBadRequest(text=json.dumps({"error": text}), content_type="application/json")


def build_app(service: VerifierService, webhook_secret: str, operator_key: str | None = None, *,
              oid4vp: PresentationVerifier | None = None) -> web.Application:
    """The verifier's app. `operator_key`: the key its operator signs in with (and scripts send in
    `X-Operator-Key`); None leaves pages and API open to anyone who can reach the app. `oid4vp`:
    also ask wallets that speak only OpenID4VP (its wallet endpoints under /oid4vp/ are public)."""
    if operator_key is not None and not operator_key:
        raise ValueError("the verifier's operator key must not be empty (None: no sign-in)")
    receiver = WebhookReceiver(webhook_secret)

    async def forward(event: WebhookEvent) -> None:
        await service.on_webhook(event.topic, event.payload)

    receiver.on("present_proof_v2_0", forward)
    public_prefixes = ("/webhooks/", "/static/", *(("/oid4vp/",) if oid4vp is not None else ()))
    signin = (operator_signin(service.store, operator_key, app_name=pages.APP_NAME, public_paths=PUBLIC_PATHS,
                              public_prefixes=public_prefixes)
              if operator_key else None)

    def me(request: web.Request) -> tuple[str | None, str]:
        """Who is signed in (None when the app has no sign-in) and the session's CSRF token."""
        who = request.get("subject")
        if signin is not None and not who:
            raise web.HTTPUnauthorized(text="Sign in first.")
        return who, csrf_token(request)

    async def invitation(request: web.Request) -> web.Response:
        me(request)
        invitation_id, created, url = await service.invite()
        return web.json_response({"invitation": created, "invitation_url": url, "invitation_id": invitation_id},
                                 status=201)

    async def create_request(request: web.Request) -> web.Response:
        me(request)
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
        me(request)
        verdicts = verdicts_of(request)
        if verdicts is None:
            return web.json_response({"state": "waiting"})
        return web.json_response({"state": "done", "verdicts": [v.to_json() for v in verdicts]})

    async def challenge(request: web.Request) -> web.Response:
        try:
            issued, expires = service.challenges.issue(service.clock())
        except ChallengesExhausted:
            raise web.HTTPServiceUnavailable(text="Too many challenges are open; try again in a minute.",
                                             headers={"Retry-After": "60"}) from None
        return web.json_response({"challenge": issued, "expires": expires.isoformat()}, status=201)

    async def verify(request: web.Request) -> web.Response:
        body = await _body(request)
        credential, presentation = body.get("verifiableCredential"), body.get("verifiablePresentation")
        if isinstance(credential, dict):
            checked = "credential"
        elif isinstance(presentation, dict) and isinstance(body.get("challenge"), str):
            checked = "presentation"
        else:
            raise _bad("give verifiableCredential, or verifiablePresentation with the challenge "
                       "POST /api/challenges gave you")
        async with service.admission.turn("verifications"):
            if checked == "presentation":
                try:
                    # Burnt once admitted (a 503 leaves it usable) and before any check: a failed
                    # attempt cannot be retried with the same presentation either.
                    service.challenges.consume(body["challenge"], service.clock())
                except ChallengeRefused as exc:
                    raise _bad(f"{exc}; ask POST /api/challenges for a challenge and present with it") from None
            try:
                if checked == "credential":
                    verdicts = [await service.verifier.check_credential(credential)]
                else:
                    verdicts = await service.verifier.check_presentation(presentation, body["challenge"])
            except ProofCheckBusy as busy:
                raise web.HTTPServiceUnavailable(text=f"Too many verifications at once; try again in {busy.retry_after} s.",
                                                 headers={"Retry-After": str(busy.retry_after)}) from None
        figures = operator_key is None or hmac.compare_digest(request.headers.get(KEY_HEADER, "").encode(),
                                                              operator_key.encode())
        return web.json_response({"checked": checked,
                                  "verdicts": [v.to_json(figures=figures) for v in verdicts]})

    async def oid4vp_request(request: web.Request) -> web.Response:
        me(request)
        assert oid4vp is not None
        asked = await oid4vp.create_request()
        return web.json_response({"request_id": asked.request_id, "uri": asked.uri, "expires_in": asked.expires_in},
                                 status=201, headers={"Cache-Control": "no-store"})

    async def oid4vp_outcome(request: web.Request) -> web.Response:
        me(request)
        assert oid4vp is not None
        try:
            outcome = oid4vp.answered(request.match_info["request_id"])
        except KeyError:
            raise web.HTTPNotFound(text="no such request, or it expired unanswered") from None
        if outcome is None:
            return web.json_response({"state": "waiting"})
        return web.json_response({"state": "done", "outcome": outcome.to_json()})

    async def invitation_state(request: web.Request) -> web.Response:
        me(request)
        connection_id = await service.connection(request.match_info["invitation_id"])
        return web.json_response({"state": "active" if connection_id else "waiting", "connection_id": connection_id})

    # -- pages -------------------------------------------------------------------------------------
    def html(text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html")

    async def index(request: web.Request) -> web.Response:
        return html(pages.index(*me(request), service.requests(), service.invitations()))

    async def request_page(request: web.Request) -> web.Response:
        try:
            verdicts = service.verdicts(request.match_info["request_id"])
        except KeyError:
            raise web.HTTPNotFound(text="There is no such request.") from None
        return html(pages.request(*me(request), request.match_info["request_id"], verdicts))

    def kept(request: web.Request) -> tuple[str, dict[str, Any]]:
        invitation_id = request.match_info["invitation_id"]
        found = service.invitation(invitation_id)
        if found is None:
            raise web.HTTPNotFound(text="There is no such invitation.")
        return invitation_id, found

    async def invite_page(request: web.Request) -> web.Response:
        me(request)
        invitation_id, _, _ = await service.invite()
        raise web.HTTPSeeOther(f"/invitations/{invitation_id}")

    async def invitation_page(request: web.Request) -> web.Response:
        who, csrf = me(request)
        invitation_id, found = kept(request)
        connected = await service.connection(invitation_id) is not None
        return html(pages.invitation(who, csrf, invitation_id, found["invitation_url"], connected=connected))

    async def ask_page(request: web.Request) -> web.Response:
        who, csrf = me(request)
        invitation_id, found = kept(request)
        form = await request.post()
        text = str(form.get("record_ids", ""))
        record_ids = [r.lower() for r in re.split(r"[\s,]+", text) if r]

        def refused(sentence: str) -> web.Response:
            return html(pages.invitation(who, csrf, invitation_id, found["invitation_url"], connected=True,
                                         error=sentence, record_ids=text), status=400)

        if not all(_RECORD_ID.match(r) for r in record_ids):
            return refused("A ledger record id is 64 hexadecimal characters; check the ones given.")
        connection_id = await service.connection(invitation_id)
        if connection_id is None:
            raise web.HTTPConflict(text="The wallet has not connected yet; wait until it has.")
        try:
            request_id = await service.ask(connection_id, record_ids=list(dict.fromkeys(record_ids)) or None)
        except ValueError as exc:
            return refused(str(exc))
        except AdminApiError as exc:
            LOG.warning("invitation %s: the agent refused the request (%s)", invitation_id, exc.status)
            return refused("The verifier's agent refused to send the request; the wallet may have disconnected.")
        raise web.HTTPSeeOther(f"/requests/{request_id}")

    middlewares = [security_headers, error_pages(pages.APP_NAME), same_origin_only]
    app = web.Application(middlewares=[*middlewares, signin.middleware] if signin is not None else middlewares)
    app.add_routes(receiver.routes("/webhooks"))
    app.add_routes(static_routes())
    if signin is not None:
        app.add_routes(signin.routes())
    app.add_routes([
        web.post("/api/invitations", invitation),
        web.get("/api/invitations/{invitation_id}", invitation_state),
        web.post("/api/requests", create_request),
        web.get("/api/requests/{request_id}", show_request),
        web.post("/api/verify", verify),
        web.post("/api/challenges", challenge),
        web.get("/", index),
        web.post("/requests", create_request),
        web.get("/requests/{request_id}", request_page),
        web.post("/invitations", invite_page),
        web.get("/invitations/{invitation_id}", invitation_page),
        web.post("/invitations/{invitation_id}/requests", ask_page),
    ])
    if oid4vp is not None:
        app.add_routes([web.post("/api/oid4vp-requests", oid4vp_request),
                        web.get("/api/oid4vp-requests/{request_id}", oid4vp_outcome), *oid4vp.routes()])
    app.on_startup.append(lambda _app: service.sweep())  # what a restart left waiting
    app.cleanup_ctx.append(sweeping(service.sweep, service.sweep_interval, "verifier"))
    return app


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/x-www-form-urlencoded":
        return dict(await request.post())
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
        raise _bad("the body is not JSON") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    return body


