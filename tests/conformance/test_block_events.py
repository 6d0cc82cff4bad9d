"""Block events (protos.Deliver: Deliver, DeliverFiltered, DeliverWithPrivateData) and qscc through the
official Node client, @hyperledger/fabric-gateway; the Python side is in tests/devpeer/test_deliver.py
and test_qscc.py."""

from __future__ import annotations

import pytest

from tests.conformance.devpeer_setup import CHAINCODE, CHANNEL
from tests.conformance.harness import ScenarioRun, require_node, run_client, start_peer, stop_peer

pytestmark = [pytest.mark.slow, pytest.mark.needs_node]

VALID = 0
ENDORSER_TRANSACTION = 3


@pytest.fixture(scope="module")
def blocks(crypto_dir, tmp_path_factory) -> dict:
    require_node()
    under_test = start_peer("python-inprocess", crypto_dir, tmp_path_factory.mktemp("blocks"))
    try:
        facts = run_client("node", under_test.client_config("node"), ("blocks",))
        return ScenarioRun("node", under_test, facts)["blocks"]
    finally:
        stop_peer(under_test)


def test_qscc_answers_chain_info_blocks_and_transactions(blocks):
    assert blocks["chainInfo"]["height"] > blocks["blockNumber"]
    assert blocks["chainInfo"]["currentHashLength"] == 32
    assert blocks["qsccBlock"]["number"] == blocks["blockNumber"]
    assert blocks["transactionId"] in blocks["qsccBlock"]["txIds"]
    assert blocks["processed"] == {"code": VALID}


def test_block_events_serve_the_committed_block(blocks):
    block = blocks["block"]
    assert "code" not in block, f"Deliver refused: {block}"
    assert block["number"] == blocks["blockNumber"]
    assert blocks["transactionId"] in block["txIds"]
    assert block["sameAsQscc"] is True


def test_filtered_block_events_carry_the_transaction_and_its_event_name(blocks):
    filtered = blocks["filtered"]
    assert "code" not in filtered, f"DeliverFiltered refused: {filtered}"
    assert (filtered["number"], filtered["channelId"]) == (blocks["blockNumber"], CHANNEL)
    (ours,) = [t for t in filtered["transactions"] if t["txId"] == blocks["transactionId"]]
    assert ours["code"] == VALID
    assert ours["events"] == [{"chaincodeName": CHAINCODE, "eventName": blocks["eventName"], "payloadLength": 0}]


def test_block_and_private_data_events_are_refused_with_not_implemented(blocks):
    refused = blocks["withPrivateData"]
    assert "unexpectedSuccess" not in refused, refused
    assert refused["message"] == "Unexpected status response: 501", refused
