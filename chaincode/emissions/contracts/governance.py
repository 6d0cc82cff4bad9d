"""The registry's governing orgs and the majority rule their approvals follow.

The first governing orgs are fixed by `Bootstrap(orgs)`: it becomes effective only once an admin
of EVERY listed org has called it with the same list, so no org can make itself the governor
alone. Afterwards each registry change is a proposal that needs approvals from org admins of a
strict majority of the governing orgs (2 of 2, 2 of 3, 3 of 4 ...).
"""

from __future__ import annotations

from typing import Any

from chaincode.emissions.contracts import state
from chaincode.emissions.contracts.access import require_admin
from chaincode.runtime import Context, ContractError

ACTIVE = "active"
PENDING = "pending"


def is_majority(approvals: int, members: int) -> bool:
    return approvals * 2 > members


async def load(ctx: Context) -> dict[str, Any] | None:
    return await state.get_json(ctx, state.key(state.GOVERNANCE), "governance")


async def governing_orgs(ctx: Context) -> list[str]:
    governance = await load(ctx)
    if governance is None or governance["status"] != ACTIVE:
        raise ContractError("the registry has no governing orgs yet: an admin of each founding org must call Bootstrap")
    return governance["orgs"]


async def require_governing_admin(ctx: Context, action: str) -> tuple[str, list[str]]:
    """(caller MSP, governing orgs) when the caller is an admin of a governing org."""
    msp = require_admin(ctx, action)
    orgs = await governing_orgs(ctx)
    if msp not in orgs:
        raise ContractError(f"{msp} is not a governing org of the registry ({', '.join(orgs)}); it may not {action}")
    return msp, orgs


async def bootstrap(ctx: Context, orgs: list[str]) -> dict[str, Any]:
    msp = require_admin(ctx, "bootstrap the registry")
    if not orgs or len(set(orgs)) != len(orgs):
        raise ContractError("Bootstrap needs a non-empty list of distinct MSP ids")
    founders = sorted(orgs)
    if msp not in founders:
        raise ContractError(f"{msp} may only bootstrap a registry it is one of the founding orgs of; got {founders}")
    governance = await load(ctx)
    if governance is not None and governance["status"] == ACTIVE:
        raise ContractError(f"the registry is already governed by {', '.join(governance['orgs'])}")
    if governance is None:
        governance = {"orgs": founders, "approved": [], "status": PENDING, "since": ""}
    elif governance["orgs"] != founders:
        raise ContractError(f"a bootstrap with founding orgs {governance['orgs']} is pending; "
                            f"call Bootstrap with that list to approve it")
    if msp in governance["approved"]:
        raise ContractError(f"{msp} has already approved the bootstrap; waiting for "
                            f"{sorted(set(founders) - set(governance['approved']))}")
    governance["approved"] = sorted([*governance["approved"], msp])
    if governance["approved"] == founders:
        governance["status"] = ACTIVE
        governance["since"] = state.tx_time(ctx)
    await state.put_json(ctx, state.key(state.GOVERNANCE), governance)
    return governance
