"""Where the stack's ledger comes from: the dev peer (the default) or a real Fabric network.

A backend's `start()` brings its ledger up (or finds it running) and returns a `LedgerAccess`:
the connection profiles the stack uses (the founders' admins for `prepare_ledger`, the auditor
org's client for issuance, the verifier org's client for verification and the auditor directory),
the folder of the profile files, and the index secret's file. `stop()` stops what the backend owns:

- `DevPeerBackend`: the dev peer child process (`<data>/ledger/devpeer`), as before this seam.
- `FabricBackend`: `network.fabric.up` on a network folder (default `<data>/fabric`), idempotent:
  a network already running is reused. `stop()` brings the network down only if this start had to
  start it; a network started beforehand (`emissions network up`) keeps running.

The stack itself never asks which backend it has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from controllers.ledger import ConnectionProfile, dump_profile
from emissions.stack.devpeer_process import DevPeerProcess
from emissions.stack.ledger_network import AUDITOR_ORGS, VERIFIER_ORG, LedgerLayout

__all__ = ["DevPeerBackend", "DevPeerLedger", "FabricBackend", "FabricLedger", "LedgerAccess", "LedgerBackend",
           "LedgerChoice"]

Say = Callable[[str], None]
AUDITOR_ORG = AUDITOR_ORGS[0]  # the org whose auditor service issues


@dataclass(frozen=True)
class LedgerAccess:
    """A running ledger, as the stack's services reach it."""

    gateway: str  # the address the auditor's client connects to
    admins: Mapping[str, ConnectionProfile]  # founding org -> an admin of it, founders in order
    auditor: ConnectionProfile  # the issuing auditor org's client
    verifier: ConnectionProfile  # the verifier org's client (public reads)
    profiles: Path  # a <msp>.toml / <msp>-Admin.toml per org, for `emissions ledger --profile`
    index_secret: Path  # the customer index's HMAC key, passed once when the ledger is bootstrapped
    data: Path  # where the ledger keeps its blocks
    description: str  # one line for people: what it is and where


class LedgerBackend(Protocol):
    async def start(self) -> LedgerAccess: ...

    async def stop(self) -> None: ...


# -- the dev peer ------------------------------------------------------------------------------------
class DevPeerBackend:
    def __init__(self, root: Path, listen: str, say: Say) -> None:
        self.layout = LedgerLayout(root)
        self.process = DevPeerProcess(self.layout.root)
        self.listen = listen
        self.say = say

    async def start(self) -> LedgerAccess:
        layout = self.layout
        self.say(f"ledger: crypto material in {layout.crypto}")
        layout.ensure_crypto()
        address = await self.process.start(layout.devpeer_mapping(listen=self.listen))
        self.say(f"ledger: dev peer {'started' if self.process.started else 'already running'} at {address} "
                 f"(data in {layout.peer_data})")
        return LedgerAccess(gateway=address, admins=layout.admin_profiles(address),
                            auditor=layout.profile(address, AUDITOR_ORG),
                            verifier=layout.profile(address, VERIFIER_ORG),
                            profiles=layout.write_profiles(address), index_secret=layout.index_secret,
                            data=layout.peer_data, description=f"dev peer at {address}")

    async def stop(self) -> None:
        await self.process.stop()


# -- a real Fabric network ------------------------------------------------------------------------------
class FabricBackend:
    def __init__(self, data: Path, fabric_bin: str | Path | None, base_port: int | None, say: Say) -> None:
        self.data = Path(data).resolve()
        self.fabric_bin = fabric_bin
        self.base_port = base_port
        self.say = say
        self.started = False  # whether start() had to start (part of) the network
        self._layout = None

    async def start(self) -> LedgerAccess:
        from network.fabric import NetworkLayout, locate_fabric, status, up
        from network.fabric.profiles import profile_specs

        dist = locate_fabric(self.fabric_bin)
        layout = self._layout = NetworkLayout.open(self.data, self.base_port)
        self.started = not (layout.exists and status(layout, None).all_running)
        if self.started:
            self.say(f"ledger: starting the Fabric network in {layout.root} (stopped again with the stack)")
        else:
            self.say(f"ledger: the Fabric network in {layout.root} is running (it stays running after the stack)")
        profiles: dict[str, ConnectionProfile] = {}

        def write(specs) -> None:
            profiles.update(write_fabric_profiles(layout.profiles_dir, specs))

        await asyncio.to_thread(up, layout, dist, say=lambda line: self.say(f"fabric: {line}"), write_profiles=write)
        if not profiles:  # up always writes them; a network.fabric without profiles is a bug here
            write(profile_specs(layout))
        auditor = profiles[AUDITOR_ORG]
        return LedgerAccess(gateway=auditor.gateway, admins={msp: profiles[f"{msp}-Admin"] for msp in AUDITOR_ORGS},
                            auditor=auditor, verifier=profiles[VERIFIER_ORG], profiles=layout.profiles_dir,
                            index_secret=layout.root / "index.secret", data=layout.root / "nodes",
                            description=f"Fabric network in {layout.root}, {AUDITOR_ORG} gateway {auditor.gateway}")

    async def stop(self) -> None:
        if not self.started or self._layout is None:
            return
        from network.fabric import down

        layout, self.started = self._layout, False
        self.say(f"ledger: stopping the Fabric network this stack started ({layout.root})")
        await asyncio.to_thread(down, layout)


# -- the choice, as StackConfig carries it ---------------------------------------------------------------
@dataclass(frozen=True)
class DevPeerLedger:
    """The default: a dev peer child process under `<data>/ledger`."""

    def backend(self, data_dir: Path, gateway_port: int, say: Say) -> DevPeerBackend:
        return DevPeerBackend(data_dir / "ledger", f"127.0.0.1:{gateway_port}", say)


@dataclass(frozen=True)
class FabricLedger:
    """A real Fabric network (`emissions network`): its folder (default `<data>/fabric`), the Fabric
    binaries (default: $FABRIC_BIN, else ../shared/fabric/bin), its base port when it is created."""

    data: Path | None = None
    fabric_bin: str | Path | None = None
    base_port: int | None = None

    def backend(self, data_dir: Path, gateway_port: int, say: Say) -> FabricBackend:
        return FabricBackend(self.data or data_dir / "fabric", self.fabric_bin, self.base_port, say)


LedgerChoice = DevPeerLedger | FabricLedger


def write_fabric_profiles(folder: Path, specs: Iterable[Any]) -> dict[str, ConnectionProfile]:
    """The network's profile specs (network.fabric.profile_specs) as connection profiles, one
    TOML file each in `folder`; returned by name (the file name without .toml)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for spec in specs:
        profile = ConnectionProfile(gateway=spec.gateway, msp_id=spec.msp_id, msp_dir=spec.msp_dir,
                                    channel=spec.channel, chaincode=spec.chaincode, tls_ca=spec.tls_ca,
                                    endorsing_orgs=spec.endorsing_orgs)
        (folder / spec.file_name).write_text(dump_profile(profile))
        written[spec.file_name.removesuffix(".toml")] = profile
    return written
