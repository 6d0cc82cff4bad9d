"""A real Fabric network (`emissions network up`) for the tests that run against one: started once
per session in a temporary folder on a free range of loopback ports, stopped at the end.

Without the binaries (see network.fabric.binaries) the tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from controllers.ledger import ConnectionProfile, LedgerClient, LedgerSession, caught_up, load_profile, open_ledger
from network.fabric.binaries import fabric_available
from network.fabric.layout import AUDITOR_ORGS, PORT_SPAN
from testkit.policy import ROOT, require
from testkit.ports import free_base

__all__ = ["FabricLedger", "FabricNetwork", "fabric_network", "free_fabric_base_port", "network_cli",
           "require_fabric"]

_deployments = itertools.count(1)


def require_fabric() -> None:
    reason = fabric_available()
    require(reason is None, reason or "")


def free_fabric_base_port() -> int:
    """A base port whose PORT_SPAN ports are all free (probed by binding each)."""
    return free_base(lambda base: range(base, base + PORT_SPAN), span=PORT_SPAN, step=100)


def network_cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    """`emissions network ...` as a person runs it (its own process, the project's interpreter)."""
    return subprocess.run([sys.executable, "-m", "emissions.cli", "network", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})


@dataclass
class FabricNetwork:
    data: Path
    base_port: int
    up_seconds: float
    up_output: str
    shared: dict = field(default_factory=dict)  # what one test leaves for a later one

    def cli(self, command: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
        return network_cli(command, "--data", str(self.data), *args, timeout=timeout)

    def status(self) -> dict:
        done = self.cli("status", "--json", timeout=60)
        return json.loads(done.stdout)

    def profile(self, name: str) -> ConnectionProfile:
        """`Auditor1MSP`, `Auditor1MSP-Admin`, `VerifierMSP`, ..."""
        return load_profile(self.data / "profiles" / f"{name}.toml")

    def up(self) -> subprocess.CompletedProcess:
        return self.cli("up", "--base-port", str(self.base_port))

    def fresh_ledger(self) -> FabricLedger:
        """The emissions chaincode committed under a new name: on Fabric a chaincode's state, private
        data and events are its own namespace, so each test starts from an empty ledger as on a new
        dev peer. The installed package and its running servers are reused (about 2 s a deployment)."""
        from network.fabric import NetworkLayout, locate_fabric
        from network.fabric.lifecycle import EMISSIONS, deploy, package_for

        layout = NetworkLayout.open(self.data)
        definition = dataclasses.replace(EMISSIONS, name=f"{EMISSIONS.name}-t{next(_deployments)}")
        packages = {org.msp_id: package_for(layout, org) for org in layout.peer_orgs()}
        deploy(locate_fabric(), layout, definition, packages)
        return FabricLedger(self, definition.name)


class _CommittedEverywhere(LedgerClient):
    """A LedgerClient whose submits return once every auditor peer holds the block (controllers.ledger
    .caught_up): tests written against a dev peer's one ledger go straight from one org's write to
    another org's read or endorsement, which on two real peers races."""

    def __init__(self, inner: LedgerClient, peers: list[LedgerSession]) -> None:
        super().__init__(inner._contracts, inner._endorsing_orgs)
        self._peers = peers

    async def _submit(self, *args, **kwargs):
        try:
            return await super()._submit(*args, **kwargs)
        finally:
            await caught_up(self._peers)


@dataclass
class FabricLedger:
    """What testkit.ledger.LedgerNetwork is on a dev peer, for one chaincode deployment on the network."""

    network: FabricNetwork
    chaincode: str

    def profile(self, msp_id: str = "Auditor1MSP", user: str = "User1") -> ConnectionProfile:
        name = msp_id if user == "User1" else f"{msp_id}-{user}"
        return dataclasses.replace(self.network.profile(name), chaincode=self.chaincode)

    @asynccontextmanager
    async def client(self, msp_id: str = "Auditor1MSP", user: str = "User1") -> AsyncIterator[LedgerClient]:
        profile = self.profile(msp_id, user)
        async with AsyncExitStack() as stack:
            session = await stack.enter_async_context(open_ledger(profile))
            # The same identity at each auditor's own peer, to read how far each has committed.
            peers = [await stack.enter_async_context(open_ledger(dataclasses.replace(
                profile, gateway=own.gateway, tls_ca=own.tls_ca))) for own in map(self.network.profile, AUDITOR_ORGS)]
            yield _CommittedEverywhere(session.client, peers)


@pytest.fixture(scope="session")
def fabric_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FabricNetwork]:
    require_fabric()
    data = tmp_path_factory.mktemp("fabric") / "network"
    base = free_fabric_base_port()
    started = time.monotonic()
    done = network_cli("up", "--data", str(data), "--base-port", str(base))
    network = FabricNetwork(data, base, time.monotonic() - started, done.stdout)
    try:
        if done.returncode != 0:
            pytest.fail(f"emissions network up failed:\n{done.stdout}{done.stderr}")
        yield network
    finally:
        network.cli("down", timeout=60)
