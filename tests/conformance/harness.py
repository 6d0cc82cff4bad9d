"""The conformance harness: start a dev peer with one chaincode flavour, build client configs, run a
client's scenarios. Fixtures in conftest.py wrap these; tests with their own peer call them directly."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from testkit.policy import ROOT, require
from tests.conformance.devpeer_setup import CHAINCODE, CHANNEL, COLLECTION, ORGS, ChaincodeSource, RunningPeer, write_devpeer_config
from tests.conformance.node_tools import node_problem, run_node_client, start_node_chaincode
from testkit.ports import free_port
from tests.conformance.processes import ServerProcess

__all__ = [
    "CHAINCODE_KINDS",
    "CLIENTS",
    "ALL_SCENARIOS",
    "params",
    "require_node",
    "start_python_ccaas",
    "PeerUnderTest",
    "start_peer",
    "stop_peer",
    "run_client",
    "ScenarioRun",
]

PYTHON_CHAINCODE = "tests.conformance.chaincode_py.conformance:chaincode"
CHAINCODE_ID = "conformance:1"
CHAINCODE_KINDS = ("node-ccaas", "python-inprocess", "python-ccaas")
CLIENTS = ("node", "python")
_NEEDS_NODE = {"node-ccaas", "node"}


def params(names: tuple[str, ...], label: str) -> list:
    """pytest params named `label=name`, marked needs_node where Node is involved."""
    return [
        pytest.param(name, id=f"{label}={name}", marks=[pytest.mark.needs_node] if name in _NEEDS_NODE else [])
        for name in names
    ]


ALL_SCENARIOS = (
    "evaluate", "submit", "submit_async", "evaluate_error", "endorse_error",
    "mvcc", "private_data", "range", "history", "events",
)


def require_node() -> None:
    problem = node_problem()
    require(problem is None, problem or "")


@dataclass
class PeerUnderTest:
    """A running dev peer with the conformance chaincode, and what a client needs to reach it."""

    chaincode_kind: str
    peer: RunningPeer
    crypto_dir: Path
    tls: bool = False
    servers: list[ServerProcess] = field(default_factory=list)

    def client_config(self, client: str) -> dict:
        domain = ORGS[0][1]
        user = self.crypto_dir / "peerOrganizations" / domain / "users" / f"User1@{domain}" / "msp"
        config = {
            "endpoint": self.peer.endpoint,
            "mspId": ORGS[0][0],
            "certPath": str(user / "signcerts" / f"User1@{domain}-cert.pem"),
            "keyPath": str(user / "keystore" / "priv_sk"),
            "channel": CHANNEL,
            "chaincode": CHAINCODE,
            "collection": COLLECTION,
            # MAJORITY of two orgs with transient data: the gateway would otherwise endorse on its own
            # org only, which cannot satisfy the policy.
            "endorsingOrgs": [msp_id for msp_id, _ in ORGS],
            "keyPrefix": f"{client}-{self.chaincode_kind}",
            "mvccSubmits": 8,
            "rangeKeys": 105,
        }
        if self.tls:
            peer_tls = self.crypto_dir / "peerOrganizations" / domain / "peers" / f"peer0.{domain}" / "tls"
            config["tlsCaCertPath"] = str(peer_tls / "ca.crt")
            config["serverNameOverride"] = f"peer0.{domain}"
        return config

    def logs(self) -> str:
        return "\n".join(f"--- {s.log_path.name}\n{s.log_tail()}" for s in self.servers)


def start_python_ccaas(log_dir: Path, chaincode_id: str = CHAINCODE_ID, port: int | None = None,
                       ) -> tuple[ServerProcess, str]:
    """The Python conformance chaincode as a CCaaS server (`emissions chaincode serve`); it and its address."""
    port = port or free_port()
    server = ServerProcess(
        argv=[
            sys.executable, "-m", "emissions.cli.main", "chaincode", "serve",
            "--chaincode", PYTHON_CHAINCODE, "--address", f"127.0.0.1:{port}", "--id", chaincode_id,
        ],
        cwd=ROOT,
        log_path=log_dir / "python-chaincode.log",
    )
    server.start(port)
    return server, f"127.0.0.1:{port}"


def start_peer(kind: str, crypto_dir: Path, folder: Path, *, tls: bool = False) -> PeerUnderTest:
    servers: list[ServerProcess] = []
    if kind == "node-ccaas":
        require_node()
        node = start_node_chaincode(folder, CHAINCODE_ID)
        servers.append(node.process)
        source = ChaincodeSource(ccaas_address=node.address)
    elif kind == "python-ccaas":
        server, address = start_python_ccaas(folder)
        servers.append(server)
        source = ChaincodeSource(ccaas_address=address)
    elif kind == "python-inprocess":
        source = ChaincodeSource(python=PYTHON_CHAINCODE)
    else:
        raise ValueError(f"unknown chaincode kind {kind!r}")
    try:
        peer = RunningPeer(write_devpeer_config(folder, crypto_dir, source, tls=tls))
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return PeerUnderTest(kind, peer, crypto_dir, tls, servers)


def stop_peer(under_test: PeerUnderTest) -> None:
    try:
        under_test.peer.stop()
    finally:
        for server in under_test.servers:
            server.stop()


def run_client(client: str, config: dict, scenarios: tuple[str, ...] = ALL_SCENARIOS) -> dict:
    if client == "node":
        require_node()
        return run_node_client(config, list(scenarios))
    from tests.conformance.python_client import run_python_client

    return run_python_client(config, list(scenarios))


@dataclass(frozen=True)
class ScenarioRun:
    """The facts one client recorded against one peer; indexing a scenario that crashed fails the
    test with the crash and the chaincode servers' logs."""

    client: str
    peer: PeerUnderTest
    facts: dict

    def __getitem__(self, scenario: str) -> dict:
        outcome = self.facts[scenario]
        if "crashed" in outcome:
            pytest.fail(
                f"{self.client} client, {self.peer.chaincode_kind} chaincode: scenario {scenario} crashed: "
                f"{outcome['crashed']}\n{self.peer.logs()}"
            )
        return outcome
