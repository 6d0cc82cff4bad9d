"""Fabric Gateway client (asyncio, grpc.aio), modelled on hyperledger/fabric-gateway.

    channel = create_channel("127.0.0.1:7051", tls_root_certificates=Path(".../tls/ca.crt"),
                             server_name_override="peer0.auditor1.example.com")
    gateway = connect(channel, member.identity, member.signer)
    contract = gateway.network("utilityemissions").contract("emissions")
    result = await contract.submit("RecordEmissions", "...", transient={"customer": b"..."})
"""

from network.gateway.channel import DEFAULT_CHANNEL_OPTIONS, create_channel
from network.gateway.checkpointer import Checkpoint, Checkpointer, FileCheckpointer, InMemoryCheckpointer
from network.gateway.commit import Status, SubmittedTransaction
from network.gateway.context import Deadlines
from network.gateway.contract import Contract
from network.gateway.gateway import Gateway, connect
from network.gateway.network import Network
from network.gateway.proposal import Proposal
from network.gateway.transaction import Transaction
from network.gateway.errors import (
    ChaincodeEventsError,
    CommitError,
    CommitStatusError,
    EndorseError,
    ErrorDetail,
    EvaluateError,
    GatewayError,
    SubmitError,
)
from network.gateway.events import ChaincodeEvent, ChaincodeEvents
from network.gateway.result import Result

__all__ = [
    "connect",
    "create_channel",
    "DEFAULT_CHANNEL_OPTIONS",
    "Deadlines",
    "Gateway",
    "Network",
    "Contract",
    "Proposal",
    "Transaction",
    "SubmittedTransaction",
    "Status",
    "Result",
    "ChaincodeEvent",
    "ChaincodeEvents",
    "Checkpoint",
    "Checkpointer",
    "InMemoryCheckpointer",
    "FileCheckpointer",
    "GatewayError",
    "EvaluateError",
    "EndorseError",
    "SubmitError",
    "CommitStatusError",
    "CommitError",
    "ChaincodeEventsError",
    "ErrorDetail",
]
