"""The Node side of the suite: is Node usable, start the Node CCaaS chaincode, run the Node client."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from testkit.policy import node20_problem
from testkit.ports import free_port
from tests.conformance.processes import ServerProcess

__all__ = [
    "NODE_DIR",
    "node_problem",
    "start_node_chaincode",
    "run_node_client",
    "NodeClientError",
]

NODE_DIR = Path(__file__).resolve().parent / "node"
_SHIM_CLI = NODE_DIR / "node_modules" / "fabric-shim" / "cli.js"
_GATEWAY = NODE_DIR / "node_modules" / "@hyperledger" / "fabric-gateway" / "package.json"
_CLIENT = NODE_DIR / "client" / "main.js"


def node_problem() -> str | None:
    """Why the Node side cannot run here, or None when it can."""
    problem = node20_problem("the conformance suite (fabric-gateway 1.11 and fabric-shim 2.5.8)")
    if problem:
        return problem
    for needed in (_SHIM_CLI, _GATEWAY):
        if not needed.exists():
            return f"{needed.relative_to(NODE_DIR)} missing: run `npm ci` in {NODE_DIR} (./run setup)"
    return None


@dataclass(frozen=True)
class NodeChaincode:
    process: ServerProcess
    address: str
    chaincode_id: str


def start_node_chaincode(log_dir: Path, chaincode_id: str = "conformance:1", port: int | None = None) -> NodeChaincode:
    """Starts the fabric-contract-api chaincode as a CCaaS server, the way fabric-samples run it."""
    port = port or free_port()
    address = f"127.0.0.1:{port}"
    process = ServerProcess(
        argv=[
            "node", str(_SHIM_CLI), "server",
            "--chaincode-address", address,
            "--chaincode-id", chaincode_id,
            "--module-path", str(NODE_DIR / "chaincode"),
        ],
        cwd=NODE_DIR,
        env={"CORE_CHAINCODE_LOGGING_LEVEL": "info"},
        log_path=log_dir / "node-chaincode.log",
    )
    process.start(port)
    return NodeChaincode(process=process, address=address, chaincode_id=chaincode_id)


class NodeClientError(RuntimeError):
    """The Node client itself failed (not a scenario): bad config, crash, unparsable output."""


def run_node_client(config: dict, scenarios: list[str], timeout: float = 120.0) -> dict:
    """Runs scenarios with @hyperledger/fabric-gateway; returns {scenario: result}."""
    completed = subprocess.run(
        ["node", str(_CLIENT), "-", *scenarios],
        input=json.dumps(config),
        capture_output=True,
        text=True,
        cwd=NODE_DIR,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise NodeClientError(f"node client exited {completed.returncode}: {completed.stderr.strip()}")
    try:
        return json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError) as exc:
        raise NodeClientError(f"node client printed no JSON: {completed.stdout!r} {completed.stderr!r}") from exc
