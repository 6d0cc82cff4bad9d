from __future__ import annotations

import json

import pytest

from network.gateway import ChaincodeEvent, Checkpointer, FileCheckpointer, InMemoryCheckpointer, Result


def _event(block: int, tx: str) -> ChaincodeEvent:
    return ChaincodeEvent(block, tx, "emissions", "RecordCreated", b"{}")


@pytest.mark.parametrize("make", [lambda p: InMemoryCheckpointer(), lambda p: FileCheckpointer(p / "cp.json")])
def test_checkpoint_semantics(tmp_path, make):
    checkpointer = make(tmp_path)
    assert isinstance(checkpointer, Checkpointer)
    assert (checkpointer.block_number, checkpointer.transaction_id) == (None, None)
    checkpointer.checkpoint_chaincode_event(_event(3, "tx1"))
    assert (checkpointer.block_number, checkpointer.transaction_id) == (3, "tx1")
    checkpointer.checkpoint_block(3)  # block 3 fully handled: resume at 4 with no transaction to skip
    assert (checkpointer.block_number, checkpointer.transaction_id) == (4, None)
    checkpointer.checkpoint_transaction(5, "tx9")
    assert (checkpointer.block_number, checkpointer.transaction_id) == (5, "tx9")


def test_file_checkpointer_persists_in_the_official_format(tmp_path):
    path = tmp_path / "sub" / "cp.json"
    first = FileCheckpointer(path)
    assert json.loads(path.read_text()) == {}
    first.checkpoint_transaction(12, "abc")
    assert json.loads(path.read_text()) == {"blockNumber": "12", "transactionId": "abc"}
    second = FileCheckpointer(path)
    assert (second.block_number, second.transaction_id) == (12, "abc")
    second.checkpoint_block(12)
    assert json.loads(path.read_text()) == {"blockNumber": "13"}
    assert not list(path.parent.glob("*.tmp"))


@pytest.mark.parametrize("text", ["{not json", '{"blockNumber": "x"}', '{"blockNumber": "-1"}', "[1]"])
def test_file_checkpointer_rejects_corrupt_files(tmp_path, text):
    path = tmp_path / "cp.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="cp.json"):
        FileCheckpointer(path)


def test_empty_file_is_a_fresh_start(tmp_path):
    path = tmp_path / "cp.json"
    path.write_text("")
    assert FileCheckpointer(path).block_number is None


def test_result_helpers():
    assert Result(b'{"a": 1}').json() == {"a": 1}
    assert Result("é".encode()).text() == "é"
    with pytest.raises(ValueError, match="empty result"):
        Result(b"").json()
    assert _event(1, "t").json() == {}
