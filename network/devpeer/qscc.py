"""qscc, the ledger query system chaincode of a Fabric 2.5 peer, over the dev peer's ledger.

Functions (args[0]), with the channel name in args[1]: GetChainInfo -> common.BlockchainInfo,
GetBlockByNumber(number) / GetBlockByHash(hash bytes) / GetBlockByTxID(tx id) -> common.Block,
GetTransactionByID(tx id) -> peer.ProcessedTransaction. Answers are chaincode responses: 200 with the
marshalled message, or 500 with Fabric's message. The ACLs qscc/<function> are
/Channel/Application/Readers: any channel member; the caller is checked before this is reached.
Blocks are read through Ledger.block, so a block that fails its integrity check raises
LedgerCorrupt instead of being served.
"""

from __future__ import annotations

from fabric_protos.common import common_pb2, ledger_pb2
from fabric_protos.peer import proposal_response_pb2, transaction_pb2

from network.devpeer.blocks import header_hash
from network.devpeer.ledger import Ledger

__all__ = ["QSCC", "query"]

QSCC = "qscc"
# What Fabric's block store says when an index lookup finds nothing.
_NOT_FOUND = "Entry not found in index"

Response = proposal_response_pb2.Response


def _error(message: str) -> Response:
    return Response(status=500, message=message)


def _ok(message) -> Response:
    return Response(status=200, payload=message.SerializeToString())


def query(ledger: Ledger, channel: str, args: tuple[bytes, ...]) -> Response:
    if len(args) < 2:
        return _error(f"Incorrect number of arguments, {len(args)}")
    function = args[0].decode("utf-8", "replace")
    target = args[1].decode("utf-8", "replace")
    if function != "GetChainInfo" and len(args) < 3:
        return _error(f"missing 3rd argument for {function}")
    if target != channel:
        return _error(f"Invalid chain ID, {target}")
    if function == "GetChainInfo":
        return _chain_info(ledger)
    if function == "GetBlockByNumber":
        return _block_by_number(ledger, args[2])
    if function == "GetBlockByHash":
        number = ledger.block_number_by_hash(args[2])
        if number is None:
            return _error(f"Failed to get block hash {args[2].decode('utf-8', 'replace')}, error {_NOT_FOUND}")
        return _ok(ledger.block(number))
    if function == "GetTransactionByID":
        return _transaction(ledger, args[2].decode("utf-8", "replace"))
    if function == "GetBlockByTxID":
        tx_id = args[2].decode("utf-8", "replace")
        record = ledger.transaction(tx_id)
        if record is None:
            return _error(f"Failed to get block for txID {tx_id}, error {_NOT_FOUND}")
        return _ok(ledger.block(record.block_number))
    return _error(f"Requested function {function} not found.")


def _chain_info(ledger: Ledger) -> Response:
    height = ledger.height
    tip = ledger.block(height - 1) if height else None
    info = ledger_pb2.BlockchainInfo(height=height)
    if tip is not None:
        info.currentBlockHash = header_hash(tip.header)
        info.previousBlockHash = tip.header.previous_hash
    return _ok(info)


def _block_by_number(ledger: Ledger, raw: bytes) -> Response:
    text = raw.decode("utf-8", "replace")
    try:
        number = int(text, 10)
        if number < 0 or number >= 2**64 or not text.isdigit():
            raise ValueError(text)
    except ValueError:
        return _error(f'Failed to parse block number with error strconv.ParseUint: parsing "{text}": invalid syntax')
    block = ledger.block(number) if number < ledger.height else None
    if block is None:
        return _error(f"Failed to get block number {number}, error {_NOT_FOUND}")
    return _ok(block)


def _transaction(ledger: Ledger, tx_id: str) -> Response:
    record = ledger.transaction(tx_id)
    if record is None:
        return _error(f"Failed to get transaction with id {tx_id}, error {_NOT_FOUND}")
    block: common_pb2.Block = ledger.block(record.block_number)
    processed = transaction_pb2.ProcessedTransaction(
        transactionEnvelope=common_pb2.Envelope.FromString(block.data.data[record.tx_number]),
        validationCode=record.code,
    )
    return _ok(processed)
