"""`up`, `down` and `status` of the whole network.

`up` is idempotent: every step looks first (a live pid file, an enrolled MSP, a genesis block, a
channel the orderer lists, a peer that already joined, an installed package, an approval, a
committed definition) and does only what is missing, so it also resumes a network stopped by
`down` on the same data folder. `down` stops exactly the processes whose pid files `up` wrote.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from network.fabric import ca, channel, config, lifecycle
from network.fabric.binaries import FabricDist
from network.fabric.errors import FabricError
from network.fabric.layout import ORGS, PORT_SPAN, NetworkLayout, Org
from network.fabric.processes import ProcessSpec, Running, in_parallel, read_pid, start, stop, wait_listening
from network.fabric.profiles import ProfileSpec, profile_specs
from network.ports import ephemeral_range, in_use

__all__ = ["NetworkStatus", "ProcessState", "down", "process_names", "status", "up"]

Say = Callable[[str], None]


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _orderer_specs(dist: FabricDist, layout: NetworkLayout) -> list[tuple[ProcessSpec, list[int]]]:
    specs = []
    for i, name in enumerate(layout.orderer_names()):
        node = layout.node_dir(f"{name}.{ORGS['OperatorMSP'].domain}")
        spec = ProcessSpec(f"{name}.{ORGS['OperatorMSP'].domain}", [dist.tool("orderer")],
                           env={"FABRIC_CFG_PATH": str(node), "FABRIC_LOGGING_SPEC": "INFO"})
        specs.append((spec, [layout.orderer_port(i), layout.orderer_admin_port(i)]))
    return specs


def _peer_spec(dist: FabricDist, layout: NetworkLayout, org: Org) -> tuple[ProcessSpec, list[int]]:
    node = layout.node_dir(layout.peer_name(org))
    spec = ProcessSpec(layout.peer_name(org), [dist.tool("peer"), "node", "start"],
                       env={"FABRIC_CFG_PATH": str(node), "FABRIC_LOGGING_SPEC": "INFO"})
    return spec, [layout.peer_port(org)]


def process_names(layout: NetworkLayout) -> list[str]:
    """Every process of the network, in start order."""
    return [f"ca.{o.domain}" for o in ORGS.values()] + \
        [f"{n}.{ORGS['OperatorMSP'].domain}" for n in layout.orderer_names()] + \
        [layout.peer_name(o) for o in layout.peer_orgs()] + [f"chaincode.{o.domain}" for o in layout.peer_orgs()]


def _check_ports(layout: NetworkLayout) -> None:
    for name, ports in layout.ports_of_processes().items():
        if read_pid(layout.run_dir, name):
            continue
        for port in ports:
            if in_use("127.0.0.1", port):
                raise FabricError(f"cannot start {name}: 127.0.0.1:{port} is in use by another process "
                                  f"(choose another --base-port)")


def ephemeral_overlap(layout: NetworkLayout) -> str | None:
    """A notice when the network's ports lie in the kernel's ephemeral range, where an outbound
    connection may take one between the check above and the process binding it."""
    ephemeral = ephemeral_range()
    last = layout.base_port + PORT_SPAN - 1
    if last < ephemeral.start or layout.base_port >= ephemeral.stop:
        return None
    return (f"notice: ports {layout.base_port}-{last} overlap this machine's ephemeral range "
            f"({ephemeral.start}-{ephemeral.stop - 1}); an outbound connection may take one before its "
            f"process binds it. A --base-port below {ephemeral.start - PORT_SPAN + 1} avoids that")


def _start_all(layout: NetworkLayout, specs: list[tuple[ProcessSpec, list[int]]], timeout: float = 30) -> list[Running]:
    running = [start(spec, layout.run_dir, layout.logs_dir) for spec, _ in specs]
    for (spec, ports), proc in zip(specs, running):
        for port in ports:
            wait_listening(proc, port, timeout=timeout)
    return running


def _gossip_met(proc: Running) -> bool:
    try:
        with open(proc.log, "rb") as f:
            f.seek(proc.log_offset)
            return b"peers went online" in f.read()
    except OSError:
        return False


def up(layout: NetworkLayout, dist: FabricDist, *, say: Say = lambda _: None,
       write_profiles: Callable[[list[ProfileSpec]], Any] | None = None, gossip_timeout: float = 30.0) -> dict[str, Any]:
    """Bring the network up (or finish bringing it up); a summary with the timings."""
    t0 = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str) -> float:
        timings[name] = round(time.monotonic() - t0, 2)
        return timings[name]

    fresh = not layout.exists
    _check_ports(layout)
    layout.save()
    secrets = ca.load_secrets(layout)
    say(f"network: {'creating' if fresh else 'resuming'} {layout.root} (ports {layout.base_port}-"
        f"{layout.base_port + PORT_SPAN - 1}, {_plural(layout.orderers, 'orderer')}, Fabric {dist.bin_dir})")
    if notice := ephemeral_overlap(layout):
        say(notice)

    # 1. Each org's fabric-ca, then the identities it issues.
    cas = [(ca.ca_process(dist, layout, org, secrets), [layout.ca_port(org)]) for org in ORGS.values()]
    started = _start_all(layout, cas)
    say(f"fabric-ca: {len(cas)} CAs listening ({sum(r.started_now for r in started)} started) [{lap('cas'):.1f} s]")
    made = in_parallel(lambda org: ca.issue_identities(dist, layout, org, secrets), list(ORGS.values()))
    say(f"identities: {sum(made)} enrollments made by the orgs' CAs [{lap('identities'):.1f} s]")

    # 2. Node settings, the channel's genesis block, the nodes.
    for i in range(layout.orderers):
        config.orderer_settings(dist, layout, i)
    for org in layout.peer_orgs():
        config.peer_settings(dist, layout, org)
    if channel.create_genesis_block(dist, layout):
        say(f"channel: genesis block of {channel.CHANNEL} written [{lap('genesis'):.1f} s]")
    nodes = _orderer_specs(dist, layout) + [_peer_spec(dist, layout, org) for org in layout.peer_orgs()]
    running = _start_all(layout, nodes)
    peers = running[layout.orderers:]
    say(f"nodes: {_plural(layout.orderers, 'orderer')} and {len(peers)} peers listening "
        f"({sum(r.started_now for r in running)} started) [{lap('nodes'):.1f} s]")

    # 3. Channel participation: every orderer, then every peer.
    joined = sum(in_parallel(lambda i: channel.join_orderer(dist, layout, i), list(range(layout.orderers))))
    joined_peers = sum(in_parallel(lambda org: channel.join_peer(dist, layout, org), layout.peer_orgs()))
    say(f"channel: {channel.CHANNEL} on {_plural(layout.orderers, 'orderer')} and {len(peers)} peers "
        f"({joined + joined_peers} joined now) [{lap('channel'):.1f} s]")

    # 4. The chaincode: its servers, then install, approve, commit.
    packages = {org.msp_id: lifecycle.package_for(layout, org) for org in layout.peer_orgs()}
    servers = [(lifecycle.chaincode_process(layout, org, packages[org.msp_id][1]), [layout.chaincode_server_port(org)])
               for org in layout.peer_orgs()]
    _start_all(layout, servers)
    say(f"chaincode: servers listening ({', '.join(p[1][:24] + '...' for p in packages.values())}) "
        f"[{lap('chaincode_servers'):.1f} s]")
    lifecycle.deploy(dist, layout, lifecycle.EMISSIONS, packages, say=say, lap=lap)
    timings["deploy"] = round(timings.get("commit", timings["chaincode_servers"]) - timings["channel"], 2)

    # 5. Connection profiles, then wait until gossip crossed the orgs (cross-org endorsement needs it).
    specs = profile_specs(layout)
    if write_profiles is not None:
        write_profiles(specs)
        say(f"profiles: {', '.join(s.file_name for s in specs)} in {layout.profiles_dir}")
    deadline = time.monotonic() + gossip_timeout
    while not all(_gossip_met(p) for p in peers):
        if time.monotonic() > deadline:
            say(f"gossip: the peers have not met within {gossip_timeout:g} s; cross-org endorsement may fail for a while")
            break
        time.sleep(0.2)
    else:
        say(f"gossip: both peers see each other [{lap('gossip'):.1f} s]")
    lap("total")
    say(f"network: up in {timings['total']:.1f} s")
    return {"data": str(layout.root), "base_port": layout.base_port, "profiles": str(layout.profiles_dir),
            "timings": timings}


def down(layout: NetworkLayout, *, say: Say = lambda _: None) -> list[tuple[str, int]]:
    """Stop every process `up` started (clients first, CAs last); the (name, pid) pairs stopped."""
    names = process_names(layout)
    groups = [[n for n in names if n.startswith(("chaincode.", "peer"))],
              [n for n in names if n.startswith("orderer")], [n for n in names if n.startswith("ca.")]]
    stopped: list[tuple[str, int]] = []
    for group in groups:
        for name, pid in zip(group, in_parallel(lambda n: stop(layout.run_dir, n), group)):
            if pid is not None:
                stopped.append((name, pid))
                say(f"stopped {name} (pid {pid})")
    if not stopped:
        say("network: nothing was running")
    return stopped


@dataclass
class ProcessState:
    name: str
    pid: int | None
    ports: list[int]


@dataclass
class NetworkStatus:
    processes: list[ProcessState]
    heights: dict[str, int | str] = field(default_factory=dict)  # peer -> height, or why unknown
    chaincode: dict[str, Any] | str | None = None  # committed definition, or why unknown

    @property
    def all_running(self) -> bool:
        return all(p.pid is not None for p in self.processes)

    def to_json(self) -> dict[str, Any]:
        return {"processes": [{"name": p.name, "pid": p.pid, "running": p.pid is not None, "ports": p.ports}
                              for p in self.processes],
                "heights": self.heights, "chaincode": self.chaincode, "all_running": self.all_running}


def status(layout: NetworkLayout, dist: FabricDist | None) -> NetworkStatus:
    ports = layout.ports_of_processes()
    processes = []
    for name in process_names(layout):
        record = read_pid(layout.run_dir, name)
        processes.append(ProcessState(name, record["pid"] if record else None, ports[name]))
    result = NetworkStatus(processes)
    if dist is None:
        return result
    running = {p.name for p in processes if p.pid is not None}
    for org in layout.peer_orgs():
        peer = layout.peer_name(org)
        if peer not in running:
            result.heights[peer] = "not running"
            continue
        try:
            result.heights[peer] = channel.channel_height(dist, layout, org)
        except FabricError as exc:
            result.heights[peer] = str(exc)
    first = layout.peer_orgs()[0]
    if layout.peer_name(first) in running:
        try:
            result.chaincode = lifecycle.committed(dist, layout, first) or "not committed"
        except FabricError as exc:
            result.chaincode = str(exc)
    else:
        result.chaincode = "unknown (peer not running)"
    return result
