"""Fabric Gateway conformance of the dev peer: every scenario, for each chaincode flavour (Node
fabric-contract-api as CCaaS, Python in-process, Python as CCaaS) and each client (the official Node
@hyperledger/fabric-gateway, the project's Python client). The facts asserted are those of a real
Fabric 2.5 peer (see ../../../shared/notes/fabric-protocol.md)."""

from __future__ import annotations

import re

import pytest

from tests.conformance.devpeer_setup import CHAINCODE, ORGS

pytestmark = pytest.mark.slow

VALID, MVCC_READ_CONFLICT = 0, 11
GRPC_UNKNOWN, GRPC_ABORTED = 2, 10
TX_ID = re.compile(r"^[0-9a-f]{64}$")
ORG_IDS = {msp_id for msp_id, _ in ORGS}


def assert_committed(status: dict, transaction_id: str) -> None:
    assert status["code"] == VALID, status
    assert status["successful"] is True
    assert status["transactionId"] == transaction_id
    assert status["blockNumber"] >= 1  # block 0 is the channel's genesis block


def assert_chaincode_error(error: dict, code: int, message: str) -> None:
    """A gateway error carrying the chaincode's message in ErrorDetail from a channel org's peer."""
    assert "unexpectedSuccess" not in error, error
    assert error["code"] == code, error
    assert error["details"], f"no ErrorDetail in {error}"
    for detail in error["details"]:
        assert detail["mspId"] in ORG_IDS, detail
        assert message in detail["message"], detail


def test_evaluate_sees_the_client_identity(results):
    assert results["evaluate"] == {"whoami": "Auditor1MSP"}


def test_submit_commits_and_returns_the_result(results):
    outcome = results["submit"]
    assert TX_ID.match(outcome["transactionId"])
    assert outcome["result"] == ""
    assert_committed(outcome["status"], outcome["transactionId"])
    assert outcome["value"] == "value-1"


def test_submit_async_then_commit_status(results):
    outcome = results["submit_async"]
    assert outcome["result"] == "1"
    assert_committed(outcome["status"], outcome["transactionId"])
    assert outcome["value"] == "1"


def test_chaincode_error_on_evaluate_is_unknown_with_details(results):
    outcome = results["evaluate_error"]
    assert_chaincode_error(outcome["fail"], GRPC_UNKNOWN, "evaluate went wrong")
    assert "chaincode response 500" in outcome["fail"]["message"]
    assert_chaincode_error(outcome["missing"], GRPC_UNKNOWN, "key not found: ")


def test_chaincode_error_on_endorse_is_aborted_with_details(results):
    error = results["endorse_error"]["fail"]
    assert_chaincode_error(error, GRPC_ABORTED, "endorse went wrong")
    assert "failed to endorse transaction" in error["message"]
    assert TX_ID.match(error["transactionId"] or ""), error


def test_concurrent_increments_conflict_with_mvcc_read_conflict(results):
    outcome = results["mvcc"]
    codes = outcome["codes"]
    assert set(codes) <= {VALID, MVCC_READ_CONFLICT}, codes
    assert VALID in codes and MVCC_READ_CONFLICT in codes, codes
    # Invalid transactions keep their place in the block but their writes are dropped.
    assert outcome["final"] == str(codes.count(VALID))


def test_transient_data_lands_in_private_data_with_its_hash(results):
    outcome = results["private_data"]
    assert_committed(outcome["status"], outcome["transactionId"])
    assert outcome["value"].startswith("secret-")
    assert outcome["hash"] == outcome["expectedHash"]
    assert_chaincode_error(outcome["missingTransient"], GRPC_ABORTED, "transient field 'value' missing")


def test_range_query_pages_through_all_keys_in_order(results):
    outcome = results["range"]
    written = outcome["written"]
    assert set(outcome["codes"]) == {VALID}
    assert len(written) > 100, "the scenario must span more than one 100-key page"
    assert [row["key"] for row in outcome["all"]] == sorted(written)
    assert all(row["value"] == f"v{row['key'][-4:]}" for row in outcome["all"])
    # The end key is exclusive.
    assert [row["key"] for row in outcome["some"]] == sorted(written)[1:3]


def test_history_is_newest_first_with_deletes(results):
    outcome = results["history"]
    put_first, put_second, delete = outcome["transactionIds"]
    assert outcome["history"] == [
        {"txId": delete, "value": "", "isDelete": True},
        {"txId": put_second, "value": "second", "isDelete": False},
        {"txId": put_first, "value": "first", "isDelete": False},
    ]


def test_chaincode_events_live_and_replayed(results):
    outcome = results["events"]
    first, second = outcome["emitted"]
    for emitted in (first, second):
        assert_committed(emitted["status"], emitted["transactionId"])

    expected = [
        {
            "blockNumber": emitted["status"]["blockNumber"],
            "transactionId": emitted["transactionId"],
            "chaincodeName": CHAINCODE,
            "eventName": f"{outcome['eventPrefix']}-{index}",
            "payload": f"payload-{index}",
        }
        for index, emitted in enumerate((first, second), start=1)
    ]
    assert outcome["live"] == expected[:1]
    assert outcome["fromBlock"] == expected
    assert outcome["afterTransaction"] == expected[1:]
