"""`WebhookReceiver`: ACA-Py webhooks in, checked, de-duplicated, ordered, routed by topic.

ACA-Py POSTs `<webhook-url>/topic/<topic>/` with the `#secret` of the URL as header `x-api-key`.
Deliveries are at-least-once and concurrent, so they may repeat and overtake each other: an event
whose (topic, record, state) was already handled is dropped, and so is one older than the newest
handled for its record (by `updated_at`, else by the protocol's state order). Handlers run before
an event counts as handled: a handler error answers 500 and ACA-Py's retry gets another chance.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

from aiohttp import web

from controllers.acapy.events import WebhookEvent, state_rank
from controllers.acapy.waiter import ExchangeWaiter

__all__ = ["WebhookReceiver", "Handler", "WEBHOOK_SECRET_HEADER"]

LOGGER = logging.getLogger(__name__)
WEBHOOK_SECRET_HEADER = "x-api-key"
WALLET_ID_HEADER = "x-wallet-id"  # set by a multitenant agent on a sub-wallet's events
Handler = Callable[[WebhookEvent], Awaitable[None]]
_ANY = "*"


class WebhookReceiver:
    def __init__(self, secret: str, *, waiter: ExchangeWaiter | None = None) -> None:
        if not secret:
            raise ValueError("a webhook secret is required")
        self._secret = secret.encode()
        self.waiter = waiter or ExchangeWaiter()
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._handled: set[tuple[str, str, str]] = set()
        self._newest: dict[tuple[str, str], tuple[str, int]] = {}  # (topic, id) -> (updated_at, rank)
        self._locks: dict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self.stats = {"accepted": 0, "duplicate": 0, "stale": 0, "rejected": 0}

    def on(self, topic: str, handler: Handler) -> None:
        """Call `handler` for every accepted event of `topic` ("*": every topic), in registration order."""
        self._handlers[topic].append(handler)

    # -- aiohttp wiring --------------------------------------------------------------------
    def routes(self, prefix: str = "/webhooks") -> list[web.RouteDef]:
        prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        return [
            web.post(prefix + "/topic/{topic}/", self.handle),
            web.post(prefix + "/topic/{topic}", self.handle),
        ]

    def app(self, prefix: str = "/webhooks") -> web.Application:
        """A stand-alone app (tests, small controllers); bigger ones add `routes()` to theirs."""
        app = web.Application()
        app.add_routes(self.routes(prefix))
        return app

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(WEBHOOK_SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.stats["rejected"] += 1
            LOGGER.warning("webhook rejected: wrong or missing secret (topic %s)", request.match_info.get("topic"))
            return web.json_response({"error": "invalid webhook secret"}, status=401)
        try:
            payload = await request.json()
        except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "body is not a JSON object"}, status=400)
        outcome = await self.deliver(WebhookEvent.parse(request.match_info["topic"], payload,
                                                        request.headers.get(WALLET_ID_HEADER)))
        return web.json_response({"outcome": outcome})

    # -- the rules -------------------------------------------------------------------------
    async def deliver(self, event: WebhookEvent) -> str:
        """Apply the duplicate and ordering rules, run handlers; returns accepted|duplicate|stale."""
        if event.record_id is None:
            await self._run(event)
            return self._count("accepted")
        key = (event.topic, event.record_id)
        async with self._locks[key]:
            seen_key = (event.topic, event.record_id, event.state or "")
            if seen_key in self._handled:
                return self._count("duplicate", event)
            order = (event.updated_at or "", state_rank(event.topic, event.state) or -1)
            newest = self._newest.get(key)
            if newest is not None and _older(order, newest):
                return self._count("stale", event)
            try:
                await self._run(event)
            except BaseException:
                await self.waiter.notify(event)  # the agent's state is a fact even when a handler failed
                raise
            self._handled.add(seen_key)
            if newest is None or not _older(order, newest):
                self._newest[key] = order
        await self.waiter.notify(event)
        return self._count("accepted", event)

    async def _run(self, event: WebhookEvent) -> None:
        for handler in (*self._handlers.get(event.topic, ()), *self._handlers.get(_ANY, ())):
            await handler(event)

    def _count(self, outcome: str, event: WebhookEvent | None = None) -> str:
        self.stats[outcome] += 1
        if event is not None:
            # Record ids and states only: payloads carry DIDs and claims.
            LOGGER.debug("webhook %s %s %s: %s", event.topic, event.record_id, event.state, outcome)
        return outcome


def _older(candidate: tuple[str, int], newest: tuple[str, int]) -> bool:
    c_time, c_rank = candidate
    n_time, n_rank = newest
    if c_time and n_time and c_time != n_time:
        return c_time < n_time
    # Same or unknown time: fall back to protocol order (unknown states, rank -1, never stale).
    return c_rank >= 0 and n_rank >= 0 and c_rank < n_rank


