"""qscc through Evaluate, as on a Fabric 2.5 peer: chain info, blocks by number, hash and transaction id,
processed transactions; errors are chaincode errors (UNKNOWN with the endorser's detail)."""

from __future__ import annotations

import grpc
import pytest
from fabric_protos.common import common_pb2, ledger_pb2
from fabric_protos.peer import transaction_pb2

from network.devpeer.blocks import header_hash
from network.gateway import EndorseError, EvaluateError
from testkit.devpeer import CHANNEL, peer_member

V = transaction_pb2.TxValidationCode


@pytest.fixture
def qscc(client):
    return client.contract("qscc")


async def _committed(client) -> str:
    submitted = await client.contract().submit_async("Put", "q", "1")
    assert (await submitted.status()).code == V.VALID
    return submitted.transaction_id


async def test_chain_info_names_the_height_and_tip_hashes(client, peer, qscc):
    await _committed(client)
    info = ledger_pb2.BlockchainInfo.FromString((await qscc.evaluate("GetChainInfo", CHANNEL)))
    tip = peer.ledger.block(peer.ledger.height - 1)
    assert info.height == peer.ledger.height >= 2
    assert info.currentBlockHash == header_hash(tip.header)
    assert info.previousBlockHash == tip.header.previous_hash == header_hash(peer.ledger.block(peer.ledger.height - 2).header)


async def test_blocks_by_number_hash_and_transaction_id(client, peer, qscc):
    tx_id = await _committed(client)
    record = peer.ledger.transaction(tx_id)
    stored = peer.ledger.block(record.block_number).SerializeToString()
    assert (await qscc.evaluate("GetBlockByNumber", CHANNEL, str(record.block_number))) == stored
    block_hash = header_hash(peer.ledger.block(record.block_number).header)
    assert (await qscc.evaluate("GetBlockByHash", CHANNEL, block_hash)) == stored
    assert (await qscc.evaluate("GetBlockByTxID", CHANNEL, tx_id)) == stored
    processed = transaction_pb2.ProcessedTransaction.FromString((await qscc.evaluate("GetTransactionByID", CHANNEL, tx_id)))
    assert processed.validationCode == V.VALID
    header = common_pb2.ChannelHeader.FromString(
        common_pb2.Payload.FromString(processed.transactionEnvelope.payload).header.channel_header
    )
    assert header.tx_id == tx_id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("GetBlockByNumber", CHANNEL, "999"), "Failed to get block number 999, error Entry not found in index"),
        (("GetTransactionByID", CHANNEL, "nope"), "Failed to get transaction with id nope, error Entry not found in index"),
        (("GetChainInfo", "otherchannel"), "Invalid chain ID, otherchannel"),
        (("GetBlockByNumber", CHANNEL), "missing 3rd argument for GetBlockByNumber"),
        (("Whatever", CHANNEL, "x"), "Requested function Whatever not found."),
    ],
)
async def test_qscc_errors_are_chaincode_errors_with_details(peer, qscc, args, message):
    with pytest.raises(EvaluateError) as info:
        await qscc.evaluate(*args)
    assert info.value.code == grpc.StatusCode.UNKNOWN
    assert info.value.message == f"evaluate call to endorser returned error: chaincode response 500, {message}"
    assert [(d.address, d.msp_id, d.message) for d in info.value.details] == [
        (peer.address, "Auditor1MSP", f"chaincode response 500, {message}")
    ]


async def test_qscc_is_open_to_readers_such_as_a_peer_identity(client, crypto, peer):
    # qscc/* ACLs are /Channel/Application/Readers; application chaincodes still need Writers.
    reader = client.gateway(member=peer_member(crypto, "Auditor2MSP")).network(CHANNEL)
    info = ledger_pb2.BlockchainInfo.FromString((await reader.contract("qscc").evaluate("GetChainInfo", CHANNEL)))
    assert info.height == peer.ledger.height
    with pytest.raises(EvaluateError) as denied:
        await reader.contract("probe").evaluate("Get", "q")
    assert denied.value.code == grpc.StatusCode.PERMISSION_DENIED


async def test_qscc_is_not_endorsed(qscc):
    with pytest.raises(EndorseError) as info:
        await qscc.submit("GetChainInfo", CHANNEL)
    assert info.value.code == grpc.StatusCode.NOT_FOUND
