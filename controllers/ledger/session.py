"""One session on the emissions ledger for every client (issuer, verifier, command line): the
chaincode's calls (`client`, a `LedgerClient`), reads that tell "unreachable" from "not there", and
the block and validation code of a transaction.

A verifier needs to know which block holds a transaction and how it was validated. A Fabric gateway answers that with
CommitStatus: it is authorised for any channel member, returns at once for a committed
transaction, and gives the block number and the TxValidationCode. It blocks for a transaction it
has not seen, so every lookup has a deadline.

Why "the record exists in a VALID transaction" holds when GetRecord returns a record whose
`tx_id` is the anchor's transaction id: the chaincode writes `tx_id` = the writing transaction's
own id into the record, and a Fabric peer applies the writes of VALID transactions only (invalid
ones stay in the block with their writes discarded). The CommitStatus lookup then confirms the
code and pins the block number the credential claims.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import grpc
from fabric_protos.common import ledger_pb2

from chaincode.emissions.interface import CONTRACTS
from controllers.ledger.client import LedgerClient, LedgerError
from controllers.ledger.profile import ConnectionProfile
from network.gateway import CommitStatusError, Deadlines, GatewayError, Network, connect, create_channel
from network.msp import load_msp

__all__ = ["LedgerSession", "LedgerUnavailable", "TransactionStatus", "caught_up", "open_ledger", "unreachable"]

_CONTRACTS = tuple(CONTRACTS)
# A commit the gateway has not seen in 30 s is reported as unknown, and a caller's sweep asks again.
_DEADLINES = Deadlines(evaluate=5.0, endorse=15.0, submit=5.0, commit_status=30.0)
_UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


class LedgerUnavailable(Exception):
    """The ledger could not be asked (no connection, or no answer in time): nothing is known."""


@dataclass(frozen=True)
class TransactionStatus:
    transaction_id: str
    block_number: int
    code: int
    code_name: str

    @property
    def valid(self) -> bool:
        return self.code_name == "VALID"


def unreachable(exc: BaseException) -> bool:
    cause = exc.__cause__ if isinstance(exc, LedgerError) else exc
    return isinstance(cause, GatewayError) and cause.code in _UNREACHABLE


class LedgerSession:
    """Typed reads; any transport failure becomes LedgerUnavailable, a chaincode refusal stays a
    LedgerError (the ledger answered: the thing asked about is not there)."""

    def __init__(self, client: LedgerClient, network: Network, profile: ConnectionProfile) -> None:
        self.client = client
        self.profile = profile
        self._network = network

    async def _call(self, coroutine):
        try:
            return await coroutine
        except LedgerError as exc:
            if unreachable(exc):
                raise LedgerUnavailable(f"ledger at {self.profile.gateway} unreachable: {exc.__cause__}") from exc
            raise

    async def is_active_auditor(self, did: str, at: datetime) -> dict[str, Any]:
        return await self._call(self.client.is_active_auditor(did, at))

    async def get_record(self, record_id: str) -> dict[str, Any]:
        return await self._call(self.client.get_record(record_id))

    async def get_record_detail(self, record_id: str) -> dict[str, Any]:
        return await self._call(self.client.get_record_detail(record_id))

    async def verify_record(self, record_id: str, detail_hash: str) -> dict[str, Any]:
        return await self._call(self.client.verify_record(record_id, detail_hash))

    async def transaction_status(self, transaction_id: str, *, timeout: float = 5.0) -> TransactionStatus:
        """Block number and validation code of a committed transaction; LedgerUnavailable when the
        gateway does not answer within `timeout` (it waits for transactions it has not seen)."""
        try:
            status = await self._network.commit_status(transaction_id, timeout=timeout)
        except CommitStatusError as exc:
            if exc.code in _UNREACHABLE:
                raise LedgerUnavailable(f"no commit status for transaction {transaction_id} within {timeout:g} s: "
                                        f"{exc}") from exc
            raise LedgerError(f"commit status of {transaction_id}: {exc}") from exc
        return TransactionStatus(transaction_id, status.block_number, status.code, status.code_name)

    async def height(self) -> int:
        """The channel's block height on this session's gateway peer (qscc GetChainInfo)."""
        try:
            info = await self._network.contract("qscc").evaluate("GetChainInfo", self._network.name)
        except GatewayError as exc:
            raise LedgerUnavailable(f"no chain height from {self.profile.gateway}: {exc}") from exc
        return ledger_pb2.BlockchainInfo.FromString(bytes(info)).height


async def caught_up(sessions: Iterable[LedgerSession], *, timeout: float = 15.0) -> None:
    """Until every session's peer holds as many blocks as the furthest one.

    A gateway reports a commit once its own peer committed; another org's peer commits the same
    block a moment later. A step by one org that reads what another org just wrote (an approval
    of a proposal, the second founder's bootstrap) must wait for that, or its endorsement runs on
    state without the write. The dev peer has one ledger, so this returns at once there. After
    `timeout` it returns anyway: the next step then fails and names what it did not find.
    """
    sessions = list(sessions)
    deadline = time.monotonic() + timeout
    while True:
        heights = await asyncio.gather(*(s.height() for s in sessions))
        if len(set(heights)) <= 1 or time.monotonic() > deadline:
            return
        await asyncio.sleep(0.05)


@asynccontextmanager
async def open_ledger(profile: ConnectionProfile, *, deadlines: Deadlines | None = None) -> AsyncIterator[LedgerSession]:
    """A session for `profile`'s identity (any channel member); closes its gRPC channel on exit."""
    member = load_msp(profile.msp_dir, profile.msp_id)
    channel = create_channel(profile.gateway, tls_root_certificates=profile.tls_ca,
                             server_name_override=profile.server_name_override)
    try:
        network = connect(channel, member.identity, member.signer, deadlines=deadlines or _DEADLINES).network(profile.channel)
        contracts: Mapping[str, Any] = {name: network.contract(profile.chaincode, name) for name in _CONTRACTS}
        yield LedgerSession(LedgerClient(contracts, profile.endorsing_orgs), network, profile)
    finally:
        await channel.close()
