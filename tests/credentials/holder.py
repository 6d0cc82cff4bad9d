"""The customer's side of the tests: a stand-in for the wallet controller that accepts emissions
credential offers and answers presentation requests, driven by polling the customer's agent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from controllers.acapy import AcaPyAdmin

Choose = Callable[[list[dict[str, Any]], dict[str, Any]], list[str]]  # (matches, request) -> record ids to present


def wanted_record(matches: list[dict[str, Any]], request: dict[str, Any]) -> list[str]:
    """The credential of the record the request names (ACA-Py's match list filters by type only)."""
    fields = request["presentation_definition"]["input_descriptors"][0]["constraints"]["fields"]
    found = next((f["filter"] for f in fields if "recordId" in f["path"][0] and "filter" in f), {})
    wanted = {found["const"]} if "const" in found else set(found.get("enum", [])) or None
    chosen = {}
    for match in matches:
        record = (match.get("cred_value") or match)["credentialSubject"].get("ledgerAnchor", {}).get("recordId")
        if wanted is None or record in wanted:
            chosen.setdefault(record, match["record_id"])
    return list(chosen.values()) if wanted else list(chosen.values())[:1]


class Holder:
    def __init__(self, admin: AcaPyAdmin, *, choose: Choose = wanted_record) -> None:
        self.admin = admin
        self.choose = choose
        self.accepted: set[str] = set()
        self.answered: set[str] = set()

    async def step(self) -> None:
        for exchange in await self.admin.credential_exchanges(role="holder", state="offer-received"):
            if exchange.cred_ex_id in self.accepted:
                continue
            credential = (exchange.offer or {}).get("credential") or {}
            if "UtilityEmissionsCredential" in (credential.get("type") or []):
                self.accepted.add(exchange.cred_ex_id)
                await self.admin.send_credential_request(exchange.cred_ex_id,
                                                         holder_did=credential["credentialSubject"]["id"])
        for request in await self.admin.presentation_exchanges(role="prover", state="request-received"):
            if request.pres_ex_id in self.answered:
                continue
            self.answered.add(request.pres_ex_id)
            matches = await self.admin.matching_credentials(request.pres_ex_id, count=1000)
            chosen = self.choose(matches, request.request or {})
            if chosen:
                await self.admin.send_presentation(request.pres_ex_id, {"emissions": chosen})
            else:
                await self.admin.presentation_problem_report(request.pres_ex_id, "no such credential")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Holder]:
        async def loop() -> None:
            while True:
                await self.step()
                await asyncio.sleep(0.02)

        task = asyncio.create_task(loop())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if task.done() and not task.cancelled() and task.exception():
                raise task.exception()
