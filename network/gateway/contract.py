"""A chaincode (or one named contract in it): evaluate, submit, submit_async, new_proposal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from network.gateway import protocol
from network.gateway.commit import SubmittedTransaction
from network.gateway.context import CallContext
from network.gateway.proposal import Proposal
from network.gateway.result import Result


class Contract:
    """A chaincode (and optionally one named contract inside it) on a channel."""

    def __init__(self, context: CallContext, channel_name: str, chaincode_name: str, contract_name: str | None) -> None:
        self._context = context
        self.channel_name = channel_name
        self.chaincode_name = chaincode_name
        self.contract_name = contract_name

    def new_proposal(
        self,
        transaction_name: str,
        *args: protocol.Argument,
        transient: Mapping[str, protocol.Argument] | None = None,
        endorsing_organizations: Sequence[str] = (),
    ) -> Proposal:
        """Build and sign a proposal without sending it (inspect its transaction id first, say)."""
        parts = protocol.build_proposal(
            self._context.creator,
            self.channel_name,
            self.chaincode_name,
            protocol.transaction_name(self.contract_name, transaction_name),
            args,
            transient=transient,
            endorsing_organizations=tuple(endorsing_organizations),
        )
        return Proposal(self._context, parts, self._context.sign(parts.proposal_bytes))

    async def evaluate(
        self,
        transaction_name: str,
        *args: protocol.Argument,
        transient: Mapping[str, protocol.Argument] | None = None,
        endorsing_organizations: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Result:
        """Run a query on one peer; nothing is ordered or committed."""
        proposal = self.new_proposal(
            transaction_name, *args, transient=transient, endorsing_organizations=endorsing_organizations
        )
        return await proposal.evaluate(timeout=timeout)

    async def submit_async(
        self,
        transaction_name: str,
        *args: protocol.Argument,
        transient: Mapping[str, protocol.Argument] | None = None,
        endorsing_organizations: Sequence[str] = (),
        endorse_timeout: float | None = None,
        submit_timeout: float | None = None,
    ) -> SubmittedTransaction:
        """Endorse and send to ordering; returns once ordered, with the result available now and
        the commit status to await later."""
        proposal = self.new_proposal(
            transaction_name, *args, transient=transient, endorsing_organizations=endorsing_organizations
        )
        transaction = await proposal.endorse(timeout=endorse_timeout)
        return await transaction.submit(timeout=submit_timeout)

    async def submit(
        self,
        transaction_name: str,
        *args: protocol.Argument,
        transient: Mapping[str, protocol.Argument] | None = None,
        endorsing_organizations: Sequence[str] = (),
        commit_timeout: float | None = None,
    ) -> Result:
        """Endorse, order and wait for commit; raises CommitError when committed as invalid."""
        submitted = await self.submit_async(
            transaction_name, *args, transient=transient, endorsing_organizations=endorsing_organizations
        )
        await submitted.committed(timeout=commit_timeout)
        return submitted.result
