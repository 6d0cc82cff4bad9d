"""Paginated range queries: Fabric's shim protocol (QueryMetadata in, QueryResponseMetadata out)
and the simulator's rule that paginated queries and writes do not mix in one transaction."""

from __future__ import annotations

import pytest
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.common import common_pb2
from fabric_protos.peer import chaincode_shim_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2

from network.devpeer.handler import ChaincodeHandler, TxContext
from network.devpeer.simulation import TxSimulator
from network.gateway import EndorseError

T = chaincode_shim_pb2.ChaincodeMessage.Type
KEYS = [f"k{i:02d}" for i in range(7)]


@pytest.fixture
async def filled(client):
    contract = client.contract()
    for key in KEYS:
        await contract.submit_async("Put", key, key.upper())
    await contract.submit("Put", "z-last", "Z")  # commits after the others (one block cutter, FIFO)
    return contract


async def page(contract, size: int, bookmark: str = "", start: str = "k", end: str = "l") -> dict:
    return (await contract.evaluate("Page", start, end, str(size), bookmark)).json()


async def test_pages_follow_the_bookmark_to_the_end_of_the_range(filled):
    first = await page(filled, 3)
    assert first == {"keys": KEYS[:3], "bookmark": "k03", "count": 3}  # bookmark = first key of next page
    second = await page(filled, 3, first["bookmark"])
    assert second == {"keys": KEYS[3:6], "bookmark": "k06", "count": 3}
    last = await page(filled, 3, second["bookmark"])
    assert last == {"keys": KEYS[6:], "bookmark": "", "count": 1}


async def test_page_exactly_filling_the_range_has_no_bookmark(filled):
    assert await page(filled, len(KEYS)) == {"keys": KEYS, "bookmark": "", "count": len(KEYS)}


async def test_bookmark_without_page_size_returns_the_rest(filled, peer):
    # QueryMetadata{pageSize: 0, bookmark: set} is still paginated in Fabric, up to the total query
    # limit (the Python runtime never sends it; other shims may).
    response, _ = serve_range(peer, metadata=chaincode_shim_pb2.QueryMetadata(pageSize=0, bookmark="k05"))
    metadata = chaincode_shim_pb2.QueryResponseMetadata.FromString(response.metadata)
    assert [kv_query_result_pb2.KV.FromString(r.resultBytes).key for r in response.results] == KEYS[5:]
    assert (metadata.fetched_records_count, metadata.bookmark, response.has_more) == (2, "", False)


async def test_composite_key_pages(client):
    contract = client.contract()
    for attribute in ("a", "b", "c"):
        await contract.submit_async("PutComposite", "thing", attribute)
    await contract.submit("PutComposite", "other", "x")
    first = (await contract.evaluate("CompositePage", "thing", "2", "")).json()
    assert first["keys"] == [["a"], ["b"]] and first["count"] == 2
    second = (await contract.evaluate("CompositePage", "thing", "2", first["bookmark"])).json()
    assert second == {"keys": [["c"]], "bookmark": "", "count": 1}


async def test_write_after_a_paginated_query_is_refused_as_fabric_does(filled):
    with pytest.raises(EndorseError) as info:
        await filled.submit("PageThenPut", "new")
    assert "Transaction has already performed a paginated query. Writes are not allowed" in info.value.details[0].message


async def test_paginated_query_after_a_write_is_refused_as_fabric_does(filled):
    with pytest.raises(EndorseError) as info:
        await filled.submit("PutThenPage", "new")
    assert "Paginated queries are supported only in a read-only transaction" in info.value.details[0].message


async def test_read_only_paginated_transaction_commits_with_its_range_recorded(filled, peer):
    submitted = await filled.submit_async("PageOnly", "2")
    status = await submitted.committed()
    assert status.code == transaction_pb2.VALID
    record = peer.ledger.transaction(submitted.transaction_id)
    ranges = _range_infos(peer.ledger.block(record.block_number), record.tx_number)
    # A full page is not an exhausted iterator: its end is the last key handed out, as in Fabric.
    assert [(r.start_key, r.end_key, r.itr_exhausted, [kv.key for kv in r.raw_reads.kv_reads]) for r in ranges] == [
        ("\x01", "k01", False, ["k00", "k01"])
    ]


def serve_range(peer, metadata: chaincode_shim_pb2.QueryMetadata | None = None):
    """GET_STATE_BY_RANGE [k, l) straight through the peer-side handler, as a shim would send it."""
    handler = ChaincodeHandler("probe", connect=None)
    simulator = TxSimulator(peer.ledger, "Auditor1MSP", {}, tx_id="tx1")
    ctx = TxContext("utilityemissions", "tx1", "probe", proposal_pb2.SignedProposal(), simulator, peer.ledger)
    request = chaincode_shim_pb2.GetStateByRange(
        startKey="k", endKey="l", metadata=metadata.SerializeToString() if metadata is not None else b""
    )
    payload = handler._serve(T.GET_STATE_BY_RANGE, request.SerializeToString(), ctx)
    return chaincode_shim_pb2.QueryResponse.FromString(payload), ctx


async def test_handler_returns_the_whole_page_in_one_response_with_metadata(filled, peer):
    """The wire shape the Go and Node shims read: has_more false, QueryResponseMetadata attached."""
    response, ctx = serve_range(peer, chaincode_shim_pb2.QueryMetadata(pageSize=150, bookmark="k02"))
    assert response.has_more is False and ctx.iterators == {}
    metadata = chaincode_shim_pb2.QueryResponseMetadata.FromString(response.metadata)
    assert (metadata.fetched_records_count, metadata.bookmark) == (5, "")
    kvs = [kv_query_result_pb2.KV.FromString(r.resultBytes) for r in response.results]
    assert [(kv.namespace, kv.key, kv.value) for kv in kvs] == [("probe", k, k.upper().encode()) for k in KEYS[2:]]
    # An unpaginated range (no metadata) keeps answering without metadata.
    plain, _ = serve_range(peer)
    assert plain.metadata == b"" and len(plain.results) == len(KEYS)


def _range_infos(block, tx_number: int) -> list[kv_rwset_pb2.RangeQueryInfo]:
    envelope = common_pb2.Envelope.FromString(block.data.data[tx_number])
    tx = transaction_pb2.Transaction.FromString(common_pb2.Payload.FromString(envelope.payload).data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    prp = proposal_response_pb2.ProposalResponsePayload.FromString(action.action.proposal_response_payload)
    results = proposal_pb2.ChaincodeAction.FromString(prp.extension).results
    rwset = rwset_pb2.TxReadWriteSet.FromString(results)
    infos = []
    for ns in rwset.ns_rwset:
        if ns.namespace == "probe":
            infos.extend(kv_rwset_pb2.KVRWSet.FromString(ns.rwset).range_queries_info)
    return infos
