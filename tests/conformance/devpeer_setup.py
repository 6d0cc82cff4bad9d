"""A dev peer for the conformance suite: its TOML config and collections file, written to a temporary
folder, and a runner that hosts the peer on its own event loop thread, so one peer can serve a whole
test module whatever event loop each test runs on."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CHANNEL",
    "CHAINCODE",
    "COLLECTION",
    "ORGS",
    "ChaincodeSource",
    "collections",
    "write_devpeer_config",
    "RunningPeer",
]

CHANNEL = "utilityemissions"
CHAINCODE = "conformance"
COLLECTION = "conformanceCollection"
ORGS = (("Auditor1MSP", "auditor1.example.com"), ("Auditor2MSP", "auditor2.example.com"))


@dataclass(frozen=True)
class ChaincodeSource:
    """Where the peer finds the chaincode: in-process Python ("pkg.module:attr") or a CCaaS address."""

    python: str | None = None
    ccaas_address: str | None = None

    def __post_init__(self) -> None:
        if (self.python is None) == (self.ccaas_address is None):
            raise ValueError("give exactly one of python or ccaas_address")


def _toml_string(value: str | Path) -> str:
    return json.dumps(str(value))  # a JSON string literal is a valid TOML basic string


def _chaincode_table(source: ChaincodeSource) -> str:
    table = [
        "[[chaincodes]]",
        f"name = {_toml_string(CHAINCODE)}",
        'version = "1.0"',
        'endorsement_policy = "MAJORITY"',
        'collections_config = "collections.json"',
    ]
    if source.python is not None:
        table.append(f"python = {_toml_string(source.python)}")
    else:
        table += [
            "[chaincodes.ccaas]",
            f"address = {_toml_string(source.ccaas_address)}",
            'dial_timeout = "10s"',
            "tls_required = false",
        ]
    return "\n".join(table)


def collections(required_peers: int = 0) -> list[dict[str, Any]]:
    """The conformance collection; on one dev peer requiredPeerCount is 0 (no other peer to disseminate
    to before commit), on a real network of two peers 1."""
    members = ",".join(f"'{msp_id}.member'" for msp_id, _ in ORGS)
    return [
        {
            "name": COLLECTION,
            "policy": f"OR({members})",
            "requiredPeerCount": required_peers,
            "maxPeerCount": required_peers,
            "blockToLive": 0,
            "memberOnlyRead": True,
            "memberOnlyWrite": True,
        }
    ]


def write_devpeer_config(folder: Path, crypto_dir: Path, chaincode: ChaincodeSource, *, tls: bool = False) -> Path:
    """Writes devpeer.toml and collections.json into `folder`; returns the TOML path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "collections.json").write_text(json.dumps(collections(), indent=2))
    listen = ["[listen]", 'address = "127.0.0.1:0"']
    if tls:
        tls_dir = crypto_dir / "peerOrganizations" / ORGS[0][1] / "peers" / f"peer0.{ORGS[0][1]}" / "tls"
        listen += [f"tls_cert = {_toml_string(tls_dir / 'server.crt')}", f"tls_key = {_toml_string(tls_dir / 'server.key')}"]
    orgs = []
    for msp_id, domain in ORGS:
        org_dir = crypto_dir / "peerOrganizations" / domain
        orgs += [
            "[[orgs]]",
            f"msp_id = {_toml_string(msp_id)}",
            f"msp_dir = {_toml_string(org_dir / 'msp')}",
            f"peer_msp_dir = {_toml_string(org_dir / 'peers' / f'peer0.{domain}' / 'msp')}",
        ]
    text = "\n".join(
        [
            f"channel = {_toml_string(CHANNEL)}",
            'data_dir = "data/devpeer"',
            *listen,
            *orgs,
            _chaincode_table(chaincode),
            "[block_cutting]",
            "max_message_count = 50",
            "preferred_max_bytes = 524288",
            'batch_timeout = "100ms"',
            "",
        ]
    )
    path = folder / "devpeer.toml"
    path.write_text(text)
    return path


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _maybe_await_call(function) -> Any:
    return await _maybe_await(function())


class RunningPeer:
    """Hosts network.devpeer.DevPeer on a private event loop in a daemon thread."""

    def __init__(self, config_path: Path) -> None:
        from network.devpeer import DevPeer, load_config  # imported late: a missing module fails one fixture

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="devpeer", daemon=True)
        self._thread.start()
        config = load_config(config_path)

        async def start() -> Any:
            # Built and started on its own loop: gRPC aio servers bind to the loop they start on.
            peer = DevPeer(config)
            await _maybe_await(peer.start())
            return peer

        try:
            self._peer = self._run(start())
        except BaseException:
            self._stop_loop()
            raise

    def _run(self, awaitable: Awaitable, timeout: float = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(awaitable, self._loop).result(timeout)

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def port(self) -> int:
        return int(self._peer.port)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        try:
            if hasattr(self._peer, "stop"):
                self._run(_maybe_await_call(self._peer.stop))
        finally:
            self._stop_loop()
