"""AuditorRegistry: which orgs may audit, under which DIDs, and since when.

An auditor is one org (its MSP id) with a display name, the did:key DIDs it issues credentials
under, and the key-agreement public key customers encrypt bills to. Registration, deactivation
and reactivation are proposals that take effect once admins of a majority of the governing orgs
approved them (see `governance`). The auditor's state key keeps every version in the ledger's
history, so `IsActiveAuditor(did, at_time)` answers for any past moment.
"""

from __future__ import annotations

import hashlib
from typing import Any

from chaincode.emissions.contracts import arguments, governance, index_secret, state
from chaincode.runtime import Context, Contract, ContractError, query, transaction

ACTIVE = "active"
INACTIVE = "inactive"
REGISTER = "register"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
OPEN = "open"
APPLIED = "applied"
_AUDITOR_FIELDS = {"msp_id", "name", "dids", "key_agreement_key"}


async def find_auditor(ctx: Context, msp_id: str) -> dict[str, Any] | None:
    return await state.get_json(ctx, state.key(state.AUDITOR, msp_id), "auditor")


async def require_active_auditor(ctx: Context, msp_id: str) -> dict[str, Any]:
    auditor = await find_auditor(ctx, msp_id)
    if auditor is None:
        raise ContractError(f"{msp_id} is not a registered auditor org")
    if auditor["status"] != ACTIVE:
        raise ContractError(f"auditor org {msp_id} is {auditor['status']} since {auditor['since']}")
    return auditor


def _auditor_spec(text: str) -> dict[str, Any]:
    document = arguments.json_object(text, "auditor")
    arguments.check_fields(document, _AUDITOR_FIELDS, "auditor")
    dids = arguments.field(document, "dids", list, "auditor")
    if not dids:
        raise ContractError("auditor: dids must list at least one did:key DID")
    dids = [arguments.did_key(did, f"auditor: dids[{i}]") for i, did in enumerate(dids)]
    if len(set(dids)) != len(dids):
        raise ContractError("auditor: dids lists a DID twice")
    return {
        "msp_id": arguments.msp_id(document.get("msp_id"), "auditor: msp_id"),
        "name": arguments.text(document, "name", "auditor"),
        "dids": sorted(dids),
        "key_agreement_key": arguments.multibase_key(document.get("key_agreement_key"), "auditor: key_agreement_key"),
    }


def _proposal_id(ctx: Context) -> str:
    # From the transaction id: unique, identical on every endorser, and says nothing about content.
    return hashlib.sha256(b"proposal\x00" + ctx.stub.tx_id.encode()).hexdigest()


class AuditorRegistry(Contract):
    name = "AuditorRegistry"
    title = "Auditor registry: governing orgs, auditors, majority-approved changes"
    version = "1.0"

    # -- governance ---------------------------------------------------------------------------
    @transaction
    async def Bootstrap(self, ctx: Context, orgs: list[str]) -> str:
        """Name the founding governing orgs; effective once an admin of each has called it.
        The first call also brings the customer index secret as transient "indexSecret"."""
        founded = await governance.bootstrap(ctx, orgs)
        await index_secret.install(ctx)
        return state.output(founded)

    @query
    async def GetGovernance(self, ctx: Context) -> str:
        found = await governance.load(ctx)
        if found is None:
            raise ContractError("the registry has not been bootstrapped")
        return state.output(found)

    # -- proposals ----------------------------------------------------------------------------
    @transaction
    async def ProposeAuditor(self, ctx: Context, auditor: str) -> str:
        """Propose registering an auditor org (JSON: msp_id, name, dids, key_agreement_key)."""
        msp, orgs = await governance.require_governing_admin(ctx, "propose registry changes")
        spec = _auditor_spec(auditor)
        await self._check_registrable(ctx, spec)
        return state.output(await self._open(ctx, msp, orgs, REGISTER, spec["msp_id"], "", spec))

    @transaction
    async def ProposeStatusChange(self, ctx: Context, msp_id: str, action: str, reason: str) -> str:
        """Propose to deactivate or reactivate a registered auditor org, saying why."""
        msp, orgs = await governance.require_governing_admin(ctx, "propose registry changes")
        if action not in (DEACTIVATE, REACTIVATE):
            raise ContractError(f"action must be {DEACTIVATE!r} or {REACTIVATE!r}, got {action!r}")
        if not reason.strip():
            raise ContractError("a status change needs a reason")
        self._check_transition(await find_auditor(ctx, msp_id), msp_id, action)
        return state.output(await self._open(ctx, msp, orgs, action, msp_id, reason, None))

    @transaction
    async def ApproveProposal(self, ctx: Context, proposal_id: str) -> str:
        """Add the caller's org's approval; the change applies once a majority approved."""
        msp, orgs = await governance.require_governing_admin(ctx, "approve registry changes")
        proposal_key = state.key(state.PROPOSAL, proposal_id)
        proposal = await state.get_json(ctx, proposal_key, "proposal")
        if proposal is None:
            raise ContractError(f"no proposal {proposal_id}")
        if proposal["status"] != OPEN:
            raise ContractError(f"proposal {proposal_id} is already {proposal['status']}")
        if msp in proposal["approvals"]:
            raise ContractError(f"{msp} has already approved proposal {proposal_id}")
        proposal["approvals"] = sorted([*proposal["approvals"], msp])
        await self._apply_if_carried(ctx, proposal, orgs)
        await state.put_json(ctx, proposal_key, proposal)
        return state.output(proposal)

    @query
    async def GetProposal(self, ctx: Context, proposal_id: str) -> str:
        proposal = await state.get_json(ctx, state.key(state.PROPOSAL, proposal_id), "proposal")
        if proposal is None:
            raise ContractError(f"no proposal {proposal_id}")
        return state.output(proposal)

    @query
    async def ListProposals(self, ctx: Context, status: str) -> str:
        """Proposals with `status` ("open" or "applied"; "" for all)."""
        proposals = await state.values_by_partial_key(ctx, state.PROPOSAL, [], "proposal")
        return state.output([p for p in proposals if not status or p["status"] == status])

    # -- queries ------------------------------------------------------------------------------
    @query
    async def GetAuditor(self, ctx: Context, msp_id: str) -> str:
        auditor = await find_auditor(ctx, msp_id)
        if auditor is None:
            raise ContractError(f"{msp_id} is not a registered auditor org")
        return state.output(auditor)

    @query
    async def GetAuditorByDid(self, ctx: Context, did: str) -> str:
        msp = await self._msp_of(ctx, did)
        if msp is None:
            raise ContractError(f"{did} is not the DID of a registered auditor")
        return await self.GetAuditor(ctx, msp)

    @query
    async def ListAuditors(self, ctx: Context, status: str) -> str:
        """Auditors with `status` ("active" or "inactive"; "" for all), by MSP id."""
        if status not in ("", ACTIVE, INACTIVE):
            raise ContractError(f"status must be {ACTIVE!r}, {INACTIVE!r} or empty, got {status!r}")
        auditors = await state.values_by_partial_key(ctx, state.AUDITOR, [], "auditor")
        return state.output([a for a in auditors if not status or a["status"] == status])

    @query
    async def AuditorHistory(self, ctx: Context, msp_id: str) -> str:
        """Every committed version of the auditor, newest first, with its transaction."""
        history = await state.history_json(ctx, state.key(state.AUDITOR, msp_id), "auditor")
        if not history:
            raise ContractError(f"{msp_id} is not a registered auditor org")
        return state.output(history)

    @query
    async def IsActiveAuditor(self, ctx: Context, did: str, at_time: str) -> str:
        """Whether `did` belonged to an active registered auditor at `at_time` (RFC 3339)."""
        moment = arguments.timestamp(at_time, "at_time")
        answer: dict[str, Any] = {"did": did, "at_time": arguments.utc_text(moment), "registered": False,
                                  "active": False, "msp_id": None, "status": None, "since": None}
        msp = await self._msp_of(ctx, did)
        if msp is None:
            return state.output(answer)
        answer["msp_id"] = msp
        async for modification in ctx.stub.get_history_for_key(state.key(state.AUDITOR, msp)):
            if modification.is_delete:
                continue
            version = state.decode(modification.value, "auditor")
            if arguments.timestamp(version["since"], "auditor since") <= moment and did in version["dids"]:
                answer.update(registered=True, active=version["status"] == ACTIVE,
                              status=version["status"], since=version["since"])
                break
        return state.output(answer)

    # -- internals ----------------------------------------------------------------------------
    async def _msp_of(self, ctx: Context, did: str) -> str | None:
        raw = await ctx.stub.get_state(state.key(state.AUDITOR_DID, did))
        return None if raw is None else raw.decode()

    async def _check_registrable(self, ctx: Context, spec: dict[str, Any]) -> None:
        existing = await find_auditor(ctx, spec["msp_id"])
        if existing is not None:
            raise ContractError(f"{spec['msp_id']} is already a registered auditor ({existing['status']})")
        for did in spec["dids"]:
            owner = await self._msp_of(ctx, did)
            if owner is not None:
                raise ContractError(f"{did} is already registered to {owner}")

    @staticmethod
    def _check_transition(auditor: dict[str, Any] | None, msp_id: str, action: str) -> None:
        if auditor is None:
            raise ContractError(f"{msp_id} is not a registered auditor org")
        if action == DEACTIVATE and auditor["status"] != ACTIVE:
            raise ContractError(f"auditor org {msp_id} is already {auditor['status']}")
        if action == REACTIVATE and auditor["status"] != INACTIVE:
            raise ContractError(f"auditor org {msp_id} is already {auditor['status']}")

    async def _open(self, ctx: Context, msp: str, orgs: list[str], action: str, subject: str, reason: str,
                    auditor: dict[str, Any] | None) -> dict[str, Any]:
        proposal = {
            "proposal_id": _proposal_id(ctx),
            "action": action,
            "subject": subject,
            "auditor": auditor,
            "reason": reason,
            "proposed_by": msp,
            "proposed_at": state.tx_time(ctx),
            "approvals": [msp],
            "status": OPEN,
            "applied_at": None,
        }
        await self._apply_if_carried(ctx, proposal, orgs)
        await state.put_json(ctx, state.key(state.PROPOSAL, proposal["proposal_id"]), proposal)
        return proposal

    async def _apply_if_carried(self, ctx: Context, proposal: dict[str, Any], orgs: list[str]) -> None:
        approvals = [org for org in proposal["approvals"] if org in orgs]
        if not governance.is_majority(len(approvals), len(orgs)):
            return
        now = state.tx_time(ctx)
        subject = proposal["subject"]
        if proposal["action"] == REGISTER:
            spec = proposal["auditor"]
            await self._check_registrable(ctx, spec)  # state may have changed since the proposal
            auditor = {**spec, "status": ACTIVE, "since": now, "registered_at": now,
                       "reason": "registered", "proposal_id": proposal["proposal_id"]}
            for did in spec["dids"]:
                await ctx.stub.put_state(state.key(state.AUDITOR_DID, did), subject)
        else:
            auditor = await find_auditor(ctx, subject)
            self._check_transition(auditor, subject, proposal["action"])
            assert auditor is not None
            auditor.update(status=INACTIVE if proposal["action"] == DEACTIVATE else ACTIVE, since=now,
                           reason=proposal["reason"], proposal_id=proposal["proposal_id"])
        await state.put_json(ctx, state.key(state.AUDITOR, subject), auditor)
        proposal["status"] = APPLIED
        proposal["applied_at"] = now
