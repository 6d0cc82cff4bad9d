"""Bring a ledger to the state the emissions flow needs, idempotently: governed by the auditor
orgs, an eGRID edition sealed, the fuel editions (Scope 1 factors) sealed, each auditor org
registered with its DIDs and bill key.

Each step asks the ledger what is already there before acting, so a stack restarted after any
crash (or simply restarted) finishes the steps that are missing and repeats none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any

from chaincode.emissions.combustion import FuelEdition
from chaincode.emissions.factors import FactorEdition
from chaincode.emissions.utilities import UtilityRecord
from controllers.ledger import AuditorSpec, ConnectionProfile, LedgerError, LoadProgress, caught_up, open_ledger

__all__ = ["prepare_ledger"]

Say = Callable[[str], None]


async def prepare_ledger(
    admins: Mapping[str, ConnectionProfile],  # founding org MSP id -> an admin identity of it, founders in order
    *,
    index_secret: bytes,
    edition: FactorEdition,
    utilities: Mapping[int, UtilityRecord],
    auditors: Sequence[AuditorSpec],
    fuel_editions: Sequence[FuelEdition] = (),
    say: Say = lambda _: None,
    progress: Callable[[LoadProgress], None] = lambda _: None,
) -> dict[str, Any]:
    """Returns {"bootstrapped", "edition_loaded", "fuel_editions_loaded", "registered"}: what this call did
    (empty = nothing was missing)."""
    founders = list(admins)
    done: dict[str, Any] = {"bootstrapped": [], "edition_loaded": False, "fuel_editions_loaded": [], "registered": []}
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(open_ledger(profile)) for profile in admins.values()]
        ledgers = {msp: session.client for msp, session in zip(founders, sessions)}
        first = ledgers[founders[0]]

        for index, msp in enumerate(founders):
            await caught_up(sessions)  # each founder's step reads what the one before wrote
            try:
                await ledgers[msp].bootstrap(founders, index_secret if index == 0 else None)
                done["bootstrapped"].append(msp)
                say(f"ledger: {msp} approved the registry's founding orgs")
            except LedgerError as exc:
                if "already" not in str(exc):  # "already governed by", "has already approved"
                    raise

        await caught_up(sessions)
        sealed = {e["edition"] for e in await first.list_editions() if e.get("status") == "sealed"}
        if edition.edition not in sealed:
            say(f"ledger: loading {edition.edition} factors ({len(utilities)} utilities)")
            await first.load_edition(edition, utilities, progress=progress)
            done["edition_loaded"] = True
        for fuels in fuel_editions:
            try:
                await first.get_fuel_edition(fuels.edition)
            except LedgerError as exc:
                if "is not loaded" not in str(exc):
                    raise
                await first.load_fuel_edition(fuels)
                done["fuel_editions_loaded"].append(fuels.edition)
                say(f"ledger: {fuels.edition} fuel factors sealed ({', '.join(sorted(fuels.fuels))})")

        registered = {a["msp_id"]: a for a in await first.list_auditors("")}
        for spec in auditors:
            if spec.msp_id in registered:
                if set(spec.dids) - set(registered[spec.msp_id]["dids"]):
                    raise LedgerError(f"{spec.msp_id} is registered with other DIDs than this stack's agent holds; "
                                      "the data directory belongs to another ledger")
                continue
            open_proposals = [p for p in await first.list_proposals("open")
                              if p["action"] == "register" and p["subject"] == spec.msp_id]
            proposal = open_proposals[0] if open_proposals else await first.propose_auditor(spec)
            for msp in founders:
                if proposal["status"] == "applied":
                    break
                if msp not in proposal["approvals"]:
                    await caught_up(sessions)
                    proposal = await ledgers[msp].approve(proposal["proposal_id"])
            done["registered"].append(spec.msp_id)
            say(f"ledger: registered auditor {spec.msp_id} ({spec.dids[0]})")
    return done

