"""The customer's side of the tests: a stand-in for the wallet controller that accepts emissions
credential offers and answers presentation requests, driven by polling the customer's agent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from controllers.acapy import AcaPyAdmin
from controllers.customer.emissions import requested_records

Choose = Callable[[list[dict[str, Any]], dict[str, Any]], list[str]]  # (matches, request) -> record ids to present


def _descriptors(request: dict[str, Any]) -> list[dict[str, Any]]:
    return request["presentation_definition"]["input_descriptors"]


def _ledger_record(match: dict[str, Any]) -> str | None:
    return (match.get("cred_value") or match)["credentialSubject"].get("ledgerAnchor", {}).get("recordId")


def wanted_record(matches: list[dict[str, Any]], request: dict[str, Any]) -> list[str]:
    """The credentials of the records the request names (ACA-Py's match list filters by type only)."""
    named = [requested_records(d) for d in _descriptors(request)]
    wanted = None if any(n is None for n in named) else set().union(*named)
    chosen = {}
    for match in matches:
        record = _ledger_record(match)
        if wanted is None or record in wanted:
            chosen.setdefault(record, match["record_id"])
    return list(chosen.values()) if wanted else list(chosen.values())[:1]


def _by_descriptor(chosen: list[str], matches: list[dict[str, Any]], request: dict[str, Any]) -> dict[str, list[str]]:
    """Each chosen credential under the input descriptor naming its record, else the first one."""
    descriptors = _descriptors(request)
    record_of = {m["record_id"]: _ledger_record(m) for m in matches}
    selection: dict[str, list[str]] = {}
    for record_id in chosen:
        home = next((d["id"] for d in descriptors if record_of.get(record_id) in (requested_records(d) or ())),
                    descriptors[0]["id"])
        selection.setdefault(home, []).append(record_id)
    return selection


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
                await self.admin.send_presentation(request.pres_ex_id, _by_descriptor(chosen, matches, request.request or {}))
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
