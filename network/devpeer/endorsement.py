"""Endorsement: each org's peer runs the proposal on its own chaincode connection and signs the
result with its own key. The gateway then requires every org to have produced the same bytes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from fabric_protos.peer import chaincode_pb2, proposal_pb2, proposal_response_pb2

from network.devpeer.collections import Collection
from network.devpeer.handler import ChaincodeHandler, ChaincodeUnavailable, ExecutionResult, TxContext
from network.devpeer.ledger import Ledger
from network.devpeer.policy import Policy
from network.devpeer.proposals import ParsedProposal
from network.devpeer.simulation import SimulationError, SimulationResults, TxSimulator

__all__ = ["ChaincodeDefinition", "OrgPeer", "Simulation", "EndorsementFailure", "Endorser"]


@dataclass(frozen=True)
class ChaincodeDefinition:
    """What `peer lifecycle chaincode commit` would have put on the channel."""

    name: str
    version: str
    policy: Policy
    collections: Mapping[str, Collection]


@dataclass(eq=False)
class OrgPeer:
    """One org's endorsing peer inside the dev peer: its identity, key and chaincode connections."""

    msp_id: str
    identity: bytes  # serialized msp.SerializedIdentity of the peer
    signer: object  # network.identity.Signer
    address: str  # what error details name as the endorser's address
    handlers: dict[str, ChaincodeHandler]


@dataclass(frozen=True)
class Simulation:
    org: OrgPeer
    response: proposal_response_pb2.Response
    results: SimulationResults | None  # None when the chaincode failed
    response_payload: bytes  # serialized ProposalResponsePayload (b"" when failed)

    @property
    def ok(self) -> bool:
        return self.results is not None

    def endorsement(self) -> proposal_response_pb2.Endorsement:
        signature = self.org.signer.sign(self.response_payload + self.org.identity)
        return proposal_response_pb2.Endorsement(endorser=self.org.identity, signature=signature)


class EndorsementFailure(Exception):
    """The org could not run the chaincode at all (not connected, timed out)."""

    def __init__(self, org: OrgPeer, message: str) -> None:
        super().__init__(message)
        self.org = org


class Endorser:
    def __init__(self, channel: str, ledger: Ledger, chaincodes: Mapping[str, ChaincodeDefinition]) -> None:
        self._channel = channel
        self._ledger = ledger
        self._chaincodes = chaincodes
        self._collections = {name: cc.collections for name, cc in chaincodes.items()}

    async def simulate(self, org: OrgPeer, proposal: ParsedProposal, *, sign: bool = True) -> Simulation:
        definition = self._chaincodes[proposal.chaincode_name]
        handler = org.handlers.get(definition.name)
        if handler is None:
            raise EndorsementFailure(org, f"chaincode {definition.name} is not installed on {org.msp_id}")
        simulator = TxSimulator(self._ledger, proposal.creator_msp_id, self._collections, tx_id=proposal.tx_id)

        async def invoke(target: str, chaincode_input: chaincode_pb2.ChaincodeInput, parent: TxContext):
            if target not in self._chaincodes or target not in org.handlers:
                raise SimulationError(f"chaincode {target} is not defined on channel {self._channel}")
            child = TxContext(
                channel_id=parent.channel_id,
                tx_id=parent.tx_id,
                namespace=target,
                signed_proposal=parent.signed_proposal,
                simulator=parent.simulator,
                ledger=self._ledger,
                invoker=invoke,
            )
            return await org.handlers[target].execute(child, chaincode_input)

        ctx = TxContext(
            channel_id=proposal.channel_id,
            tx_id=proposal.tx_id,
            namespace=definition.name,
            signed_proposal=proposal.signed,
            simulator=simulator,
            ledger=self._ledger,
            invoker=invoke,
        )
        chaincode_input = chaincode_pb2.ChaincodeInput(args=proposal.args)
        try:
            result: ExecutionResult = await handler.run(ctx, chaincode_input)
        except (ChaincodeUnavailable, SimulationError) as exc:
            raise EndorsementFailure(org, str(exc)) from exc
        if result.response.status >= 400:  # shim.ERRORTHRESHOLD: no endorsement for errors
            return Simulation(org, result.response, None, b"")
        results = simulator.results()
        action = proposal_pb2.ChaincodeAction(
            results=results.public,
            events=result.event,
            response=result.response,
            chaincode_id=chaincode_pb2.ChaincodeID(name=definition.name, version=definition.version),
        )
        payload = proposal_response_pb2.ProposalResponsePayload(
            proposal_hash=proposal.proposal_hash, extension=action.SerializeToString(deterministic=True)
        ).SerializeToString(deterministic=True)
        return Simulation(org, result.response, results, payload)

    async def simulate_all(self, orgs: list[OrgPeer], proposal: ParsedProposal) -> list[Simulation | EndorsementFailure]:
        """Run on every org concurrently, as the gateway fans out to endorsing peers."""
        outcomes = await asyncio.gather(*(self.simulate(org, proposal) for org in orgs), return_exceptions=True)
        results: list[Simulation | EndorsementFailure] = []
        for org, outcome in zip(orgs, outcomes):
            if isinstance(outcome, BaseException) and not isinstance(outcome, EndorsementFailure):
                if isinstance(outcome, asyncio.CancelledError):
                    raise outcome
                outcome = EndorsementFailure(org, f"endorsement failed: {outcome}")
            results.append(outcome)
        return results
