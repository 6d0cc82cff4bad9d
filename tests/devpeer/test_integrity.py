"""The ledger checks itself: a byte flipped in a stored block (its data, its header, its transaction
filter) or in the transaction index beside it is refused at start, by `emissions ledger verify`, and
when the block is read back to be served after start."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.peer import transaction_pb2

from emissions.cli.main import main
from network.devpeer.ledger import LedgerCorrupt
from network.gateway import ChaincodeEventsError, CommitStatusError
from testkit.devpeer import CHANNEL, Client, config_mapping, config_toml, start_peer
from testkit.policy import ROOT

V = transaction_pb2.TxValidationCode
FILTER = common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER
CORRUPT = 2  # the block every test damages; the pristine ledger has blocks 0 (genesis) to 4
KINDS = ("data", "header", "filter", "index")
EXPECTED = {
    "data": "block 2 data hash does not match its data",
    "header": "block 2 does not link to the hash of block 1",
    "filter": "block 2 transaction filter says NIL_ENVELOPE for transaction 0, but the transaction index says VALID",
    "index": "block 2 transaction filter says VALID for transaction 0, but the transaction index says MVCC_READ_CONFLICT",
}


async def _fill(crypto: Path, data_dir: Path) -> list[str]:
    """Blocks 1..4, one transaction each; block 2 emits an event. Returns their transaction ids."""
    peer = await start_peer(crypto, data_dir, max_message_count=1, batch_timeout="10ms")
    client = Client(peer, crypto, [])
    try:
        contract = client.contract()
        tx_ids = []
        for function, args in (("Put", ("a", "1")), ("Emit", ("flipped", "payload")), ("Put", ("b", "2")),
                               ("Put", ("c", "3"))):
            submitted = await contract.submit_async(function, *args)
            assert (await submitted.status()).code == V.VALID
            tx_ids.append(submitted.transaction_id)
        assert peer.ledger.height == 5
        return tx_ids
    finally:
        for channel in client.channels:
            await channel.close()
        await peer.stop()


@pytest.fixture(scope="module")
def filled(crypto, tmp_path_factory) -> tuple[Path, list[str]]:
    data_dir = tmp_path_factory.mktemp("pristine") / "data"
    return data_dir, asyncio.run(_fill(crypto, data_dir))


@pytest.fixture
def pristine(filled) -> Path:
    return filled[0]


def _copy(pristine: Path, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(pristine, data_dir)
    return data_dir


def _flip(raw: bytes, offset: int) -> bytes:
    return raw[:offset] + bytes([raw[offset] ^ 0x01]) + raw[offset + 1:]


def corrupt(db: Path, kind: str, number: int = CORRUPT) -> None:
    """Flip one byte of block `number` as stored (or of its transaction's index row)."""
    with sqlite3.connect(db) as conn:
        raw = conn.execute("SELECT block FROM blocks WHERE number = ?", (number,)).fetchone()[0]
        block = common_pb2.Block.FromString(raw)
        if kind == "index":
            tx_id = common_pb2.ChannelHeader.FromString(common_pb2.Payload.FromString(
                common_pb2.Envelope.FromString(block.data.data[0]).payload).header.channel_header).tx_id
            conn.execute("UPDATE txs SET code = ? WHERE tx_id = ?", (V.MVCC_READ_CONFLICT, tx_id))
            return
        if kind == "data":
            envelope = block.data.data[0]
            flipped = _flip(raw, raw.index(envelope) + len(envelope) // 2)
        elif kind == "header":
            flipped = _flip(raw, raw.index(block.header.previous_hash) + 5)
        else:
            # Block.metadata is the last field; slots before the filter are empty (0x0a 0x00 each).
            metadata = block.metadata.SerializeToString()
            prefix = b"\x0a\x00" * FILTER + b"\x0a" + bytes([len(block.metadata.metadata[FILTER])])
            assert metadata.startswith(prefix)
            flipped = _flip(raw, raw.rindex(metadata) + len(prefix))
            assert common_pb2.Block.FromString(flipped).metadata.metadata[FILTER] == bytes([V.NIL_ENVELOPE])
        assert flipped != raw
        conn.execute("UPDATE blocks SET block = ? WHERE number = ?", (flipped, number))


def _error_line(db: Path, kind: str) -> str:
    return f"ledger at {db} is corrupt: {EXPECTED[kind]}; restore it from a backup or another peer"


def test_an_intact_ledger_passes_verify_and_starts(pristine, tmp_path, capsys, crypto):
    data_dir = _copy(pristine, tmp_path)
    assert main(["ledger", "verify", "--data-dir", str(data_dir)]) == 0
    out, err = capsys.readouterr()
    assert out == "ledger OK: 5 blocks, chain, data hashes and transaction filters verified\n"
    assert err == ""
    config = tmp_path / "devpeer.toml"
    config.write_text(config_toml(config_mapping(crypto, data_dir)))
    assert main(["ledger", "verify", "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith("ledger OK: 5 blocks")
    process, ready = _devpeer(config, tmp_path)
    try:
        assert _wait(process, ready) == "ready"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("kind", KINDS)
def test_ledger_verify_exits_1_naming_the_block(pristine, tmp_path, capsys, kind):
    data_dir = _copy(pristine, tmp_path)
    corrupt(data_dir / "ledger.sqlite", kind)
    assert main(["ledger", "verify", "--data-dir", str(data_dir)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"emissions: error: {_error_line(data_dir / 'ledger.sqlite', kind)}\n"


def _devpeer(config: Path, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    ready = tmp_path / "ready"
    process = subprocess.Popen(
        [sys.executable, "-m", "emissions.cli.main", "devpeer", "--config", str(config), "--ready-file", str(ready)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    return process, ready


def _wait(process: subprocess.Popen, ready: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready.exists() and ready.read_text():
            return "ready"
        if process.poll() is not None:
            return "exited"
        time.sleep(0.05)
    return "hung"


@pytest.mark.parametrize("kind", KINDS)
def test_start_refuses_a_corrupt_ledger(pristine, tmp_path, crypto, kind):
    data_dir = _copy(pristine, tmp_path)
    corrupt(data_dir / "ledger.sqlite", kind)
    config = tmp_path / "devpeer.toml"
    config.write_text(config_toml(config_mapping(crypto, data_dir)))
    process, ready = _devpeer(config, tmp_path)
    try:
        outcome = _wait(process, ready)
    finally:
        if process.poll() is None:
            process.kill()
        out, err = process.communicate(timeout=10)
    assert outcome == "exited", f"the dev peer {outcome} on a corrupt ledger"
    assert process.returncode == 1
    assert not ready.exists()
    assert out == b""  # never printed "devpeer listening"
    assert err.decode() == f"emissions: error: devpeer: {_error_line(data_dir / 'ledger.sqlite', kind)}\n"


@pytest.mark.parametrize("kind", KINDS)
async def test_a_block_corrupted_after_start_is_refused_not_served(filled, tmp_path, crypto, kind):
    data_dir = _copy(filled[0], tmp_path)
    emitted = filled[1][CORRUPT - 1]
    peer = await start_peer(crypto, data_dir)
    client = Client(peer, crypto, [])
    try:
        network = client.gateway().network(CHANNEL)
        assert peer.ledger.transaction(emitted).block_number == CORRUPT
        async with await network.chaincode_events("probe", start_block=CORRUPT) as events:
            assert (await asyncio.wait_for(anext(events), 5)).event_name == "flipped"  # served while intact

        corrupt(data_dir / "ledger.sqlite", kind)

        with pytest.raises(LedgerCorrupt) as info:
            peer.ledger.block(CORRUPT)
        assert str(info.value) == _error_line(data_dir / "ledger.sqlite", kind)
        async with await network.chaincode_events("probe", start_block=CORRUPT) as events:
            with pytest.raises(ChaincodeEventsError) as refused:
                await asyncio.wait_for(anext(events), 5)
        assert refused.value.code == grpc.StatusCode.UNAVAILABLE
        assert EXPECTED[kind] in refused.value.message
        with pytest.raises(CommitStatusError) as refused:
            await network.commit_status(emitted, timeout=5)
        assert refused.value.code == grpc.StatusCode.UNAVAILABLE
        assert EXPECTED[kind] in refused.value.message
        assert peer.ledger.block(CORRUPT + 1) is not None  # the blocks around it are still served
    finally:
        for channel in client.channels:
            await channel.close()
        await peer.stop()
