"""kill -9 during load: nothing reported committed is lost, no half block, the peer carries on."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from network.devpeer.ledger import Ledger
from network.gateway import connect, create_channel
from testkit.policy import ROOT
from testkit.devpeer import CHANNEL, config_mapping, config_toml, user

pytestmark = pytest.mark.slow


def _start(config: Path, ready: Path) -> tuple[subprocess.Popen, str]:
    ready.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "emissions.cli.main", "devpeer", "--config", str(config), "--ready-file", str(ready)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not ready.exists() or not ready.read_text():
        if process.poll() is not None:
            raise AssertionError(f"devpeer exited: {process.stderr.read().decode()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("devpeer did not become ready")
        time.sleep(0.05)
    return process, ready.read_text()


async def _load(address: str, member, committed: dict[str, str], stop_after: float) -> None:
    channel = create_channel(address)
    contract = connect(channel, member.identity, member.signer).network(CHANNEL).contract("probe")
    counter = iter(range(10**9))
    end = time.monotonic() + stop_after

    async def worker() -> None:
        while time.monotonic() < end:
            i = next(counter)
            try:
                submitted = await contract.submit_async("Put", f"crash{i:06d}", str(i))
                status = await submitted.status()
            except Exception:  # noqa: BLE001 - the peer dies under us on purpose
                return
            if status.successful:
                committed[f"crash{i:06d}"] = str(i)

    try:
        await asyncio.gather(*(worker() for _ in range(8)))
    finally:
        await channel.close()


async def test_kill_9_during_load_loses_nothing_committed(crypto, tmp_path):
    mapping = config_mapping(crypto, tmp_path / "data", max_message_count=5, batch_timeout="20ms")
    config = tmp_path / "devpeer.toml"
    config.write_text(config_toml(mapping))
    ready = tmp_path / "ready"
    process, address = _start(config, ready)
    committed: dict[str, str] = {}
    member = user(crypto, "Auditor1MSP")
    try:
        load = asyncio.create_task(_load(address, member, committed, stop_after=30))
        while len(committed) < 60:
            await asyncio.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)  # mid-load: blocks are being cut and written
        process.wait(timeout=10)
        await asyncio.wait_for(load, 30)
    finally:
        if process.poll() is None:
            process.kill()
    assert len(committed) >= 60

    ledger = Ledger(tmp_path / "data" / "ledger.sqlite", CHANNEL)
    height = ledger.verify_chain()  # every stored block links and hashes correctly
    for key, value in committed.items():
        state = ledger.get_state("probe", key)
        assert state is not None and state.value == value.encode(), key
    ledger.close()

    process, address = _start(config, ready)
    try:
        channel = create_channel(address)
        contract = connect(channel, member.identity, member.signer).network(CHANNEL).contract("probe")
        await contract.submit("Put", "after-restart", "ok")
        assert (await contract.evaluate("Get", "after-restart")).text() == "ok"
        await channel.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    ledger = Ledger(tmp_path / "data" / "ledger.sqlite", CHANNEL)
    assert ledger.verify_chain() > height
    ledger.close()
