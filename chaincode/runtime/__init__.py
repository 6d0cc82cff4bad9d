"""The Python chaincode runtime: Fabric's chaincode shim protocol, stub and contract API.

Serve a chaincode as a service (CCaaS) with `serve(...)`, or drive one Connect stream in process
with `run_chaincode_stream(...)`.
"""

from chaincode.runtime.chaincode import Chaincode
from chaincode.runtime.contract import Context, Contract, query, transaction
from chaincode.runtime.contract_chaincode import ContractChaincode
from chaincode.runtime.errors import ContractError, PeerError, ProtocolError
from chaincode.runtime.identity import ClientIdentity
from chaincode.runtime.keys import create_composite_key, split_composite_key
from chaincode.runtime.loader import as_chaincode, load_chaincode
from chaincode.runtime.proposal import Creator, Timestamp
from chaincode.runtime.queries import KV, KeyModification, QueryIterator, QueryPage
from chaincode.runtime.response import Response, error, success
from chaincode.runtime.server import TlsConfig, serve
from chaincode.runtime.stream import run_chaincode_stream
from chaincode.runtime.stub import ChaincodeStub

__all__ = [
    "KV",
    "Chaincode",
    "ChaincodeStub",
    "ClientIdentity",
    "Context",
    "Contract",
    "ContractChaincode",
    "ContractError",
    "Creator",
    "KeyModification",
    "PeerError",
    "ProtocolError",
    "QueryIterator",
    "QueryPage",
    "Response",
    "Timestamp",
    "TlsConfig",
    "as_chaincode",
    "create_composite_key",
    "error",
    "load_chaincode",
    "query",
    "run_chaincode_stream",
    "serve",
    "split_composite_key",
    "success",
    "transaction",
]
