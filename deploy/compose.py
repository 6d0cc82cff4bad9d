"""The material docker-compose.yml mounts, made with the native network's own code (network.fabric).

    python -m deploy.compose prepare --fabric /srv/emissions/fabric --data /srv/emissions/data
    docker-compose up -d ca.operator.example.com ca.auditor1.example.com \
        ca.auditor2.example.com ca.verifier.example.com
    python -m deploy.compose material          # identities from the CAs, genesis block, packages, profiles
    docker-compose up -d
    python -m deploy.compose channel           # osnadmin join, peer join, install/approve/commit

The compose network is the native one with container names instead of 127.0.0.1: the same orgs,
ports (base 7050, 3 orderers), identities issued by each org's fabric-ca, configtx policies,
collections, CCaaS packages and package ids. Two facts make that reuse possible:

- every Fabric container mounts its own identity folder (read-only) at the same absolute path as
  on the host, so the paths in the node settings and the profiles are right on both sides;
- every container publishes its ports on the host's loopback with the native numbers, and the
  CAs put 127.0.0.1 in every TLS certificate, so the host-side steps (fabric-ca-client, osnadmin,
  the peer CLI) are network.fabric's functions, unchanged.

The chaincode container shares its peer's network namespace (`network_mode: service:<peer>`), so
the peer dials it at 127.0.0.1:<port> exactly as natively: the same connection.json, the same
package id, and no other container can reach the chaincode server.

The public side is one TLS-terminating proxy (service `proxy`, Caddy, deploy/Caddyfile): with
`prepare --public-domain example.org` every agent's endpoint is https://<role>.example.org and the
mediator's https:// and wss://mediator.example.org, all served by it on ports 80/443 (the only ports
published on every interface). Without it the endpoints stay the in-network http URLs.

Every step is idempotent; the env file keeps every generated secret (0600) and is only added to
(the public names and endpoints excepted: an explicit --public-domain replaces them).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from dataclasses import replace
from pathlib import Path

import yaml

from agents.secrets import load_or_create_secrets
from agents.spec import agent_specs
from network.fabric import ca, channel, config, lifecycle
from network.fabric.binaries import locate_fabric
from network.fabric.errors import FabricError
from network.fabric.layout import CHANNEL, ORGS, NetworkLayout, Org
from network.fabric.processes import in_parallel, run
from network.fabric.profiles import profile_specs

__all__ = ["BASE_PORT", "MEDIATOR_PORTS", "ORDERERS", "PUBLIC_SITES", "compose_configtx", "compose_layout",
           "container_profiles", "env_values", "bind_sources", "orderer_host", "peer_host", "read_env", "write_env"]

BASE_PORT = 7050  # the native default: docker-compose.yml publishes these very ports
ORDERERS = 3
# docker-compose reads .env beside docker-compose.yml by itself; .gitignore keeps it out of git.
DEFAULT_ENV_FILE = Path(__file__).resolve().parent.parent / ".env"
# The mediator's ports in docker-compose.yml (after the four agents' 8020..8050): http, admin, ws.
MEDIATOR_PORTS = {"http": 8060, "admin": 8061, "ws": 8062}
# The host names deploy/Caddyfile serves (<SITE>_HOST), one per agent and the mediator.
PUBLIC_SITES = ("utility", "customer", "auditor", "verifier", "mediator")


def compose_layout(fabric_root: str | Path) -> NetworkLayout:
    layout = NetworkLayout.open(Path(fabric_root), BASE_PORT, ORDERERS)
    layout.save()
    return layout


def orderer_host(index: int) -> str:
    return f"orderer{index}.{ORGS['OperatorMSP'].domain}"


def peer_host(org: Org) -> str:
    return NetworkLayout.peer_name(org)


# --- the env file: every value docker-compose.yml interpolates -------------------------------------
def read_env(path: Path) -> dict[str, str]:
    values = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.lstrip().startswith("#"):
                values[key.strip()] = value.strip()
    return values


def write_env(path: Path, values: dict[str, str]) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("# Written by `python -m deploy.compose`: secrets, keep it 0600 and out of version control.\n")
        out.writelines(f"{key}={value}\n" for key, value in values.items())
    return path


def _short(org: Org) -> str:
    return org.short.upper()


def env_values(layout: NetworkLayout, data_dir: Path, existing: dict[str, str], *,
               public_domain: str | None = None) -> dict[str, str]:
    """The env file's values: what `existing` holds wins, what is missing is generated once.

    Public names: with `public_domain` D, each site S of PUBLIC_SITES is served by the proxy as
    S.D (`S_HOST`) and every agent's endpoint is https://S.D (the mediator's WebSocket one
    wss://mediator.D); given explicitly, these replace what `existing` holds. Without it, the hosts
    default to S.localhost (Caddy's local CA) and the endpoints to the in-network http URLs.
    """
    values = dict(existing)
    if public_domain is not None:
        domain = _domain(public_domain)
        for site in PUBLIC_SITES:
            values[f"{site.upper()}_HOST"] = f"{site}.{domain}"
            values[f"{site.upper()}_ENDPOINT"] = f"https://{site}.{domain}"
        values["MEDIATOR_WS_ENDPOINT"] = f"wss://mediator.{domain}"
    for site in PUBLIC_SITES:
        values.setdefault(f"{site.upper()}_HOST", f"{site}.localhost")
    values.setdefault("EMISSIONS_FABRIC", str(layout.root))
    values.setdefault("EMISSIONS_DATA", str(Path(data_dir).resolve()))
    values.setdefault("EMISSIONS_UID", str(os.getuid()))
    values.setdefault("EMISSIONS_GID", str(os.getgid()))
    # The CAs' bootstrap admins: the very secrets the native network keeps in secrets.json.
    fabric_secrets = ca.load_secrets(layout)
    for org in ORGS.values():
        values.setdefault(f"CA_{_short(org)}_ADMIN_SECRET", fabric_secrets[f"{org.domain}/bootstrap-admin"])
    for org in layout.peer_orgs():
        values.setdefault(f"COUCHDB_{_short(org)}_PASSWORD", secrets.token_hex(16))
        # Replaced by `material` once the peers' TLS material exists; not a valid package id before.
        values.setdefault(f"CHAINCODE_ID_{_short(org)}", "pending:run-python-m-deploy.compose-material")
    # The agents' own secrets files, as agents/spec.py keeps them natively (one folder per role).
    specs = agent_specs(Path(data_dir) / "agents")
    for role, spec in specs.items():
        prefix = role.upper()
        values.setdefault(f"{prefix}_WALLET_KEY", spec.wallet_key)
        values.setdefault(f"{prefix}_ADMIN_API_KEY", spec.api_key)
        values.setdefault(f"{prefix}_WEBHOOK_SECRET", spec.webhook_secret)
        values.setdefault(f"{prefix}_POSTGRES_PASSWORD", secrets.token_hex(16))
        values.setdefault(f"{prefix}_ENDPOINT", f"http://{role}-agent:{spec.inbound_port}")
        if spec.profile.multitenant:
            values.setdefault(f"{prefix}_JWT_SECRET", spec.jwt_secret)
    # The mediator (not one of the four roles): its own secrets file beside theirs, no webhooks.
    mediator = load_or_create_secrets(Path(data_dir) / "agents" / "mediator")
    values.setdefault("MEDIATOR_WALLET_KEY", mediator.wallet_key)
    values.setdefault("MEDIATOR_ADMIN_API_KEY", mediator.admin_api_key)
    values.setdefault("MEDIATOR_POSTGRES_PASSWORD", secrets.token_hex(16))
    values.setdefault("MEDIATOR_ENDPOINT", f"http://mediator-agent:{MEDIATOR_PORTS['http']}")
    values.setdefault("MEDIATOR_WS_ENDPOINT", f"ws://mediator-agent:{MEDIATOR_PORTS['ws']}")
    return values


def _domain(value: str) -> str:
    domain = value.strip().strip(".").lower()
    labels = domain.split(".")
    if len(labels) < 2 or not all(label and all(c.isalnum() or c == "-" for c in label) for label in labels):
        raise FabricError(f"--public-domain must be a DNS name such as example.org, not {value!r}")
    return domain


def bind_sources(layout: NetworkLayout, data_dir: Path) -> list[Path]:
    """The host folders docker-compose.yml bind-mounts, made by the host user before Docker would
    make them as root (the host-side steps then could not write beside them)."""
    folders = [layout.ca_home(org) for org in ORGS.values()]
    folders += [layout.node_dir(orderer_host(i)) for i in range(layout.orderers)]
    folders += [layout.node_dir(peer_host(org)) for org in layout.peer_orgs()]
    folders += [layout.root / "profiles-compose", Path(data_dir) / "auditor"]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return folders


# --- the channel: the native configtx with container names -------------------------------------------
def compose_configtx(layout: NetworkLayout) -> Path:
    """configtx.yaml as `emissions network up` writes it (policies, orgs, Raft options), with the
    orderers and anchor peers named by their container host names."""
    path = config.write_configtx(layout)
    document = yaml.safe_load(path.read_text())
    profile = document["Profiles"][config.CHANNEL_PROFILE]
    by_port = {layout.orderer_port(i): orderer_host(i) for i in range(layout.orderers)}
    by_port |= {layout.peer_port(org): peer_host(org) for org in layout.peer_orgs()}
    for consenter in profile["Orderer"]["EtcdRaft"]["Consenters"]:
        consenter["Host"] = by_port[consenter["Port"]]
    for org in profile["Orderer"]["Organizations"]:
        org["OrdererEndpoints"] = [f"{by_port[int(e.rpartition(':')[2])]}:{e.rpartition(':')[2]}"
                                   for e in org["OrdererEndpoints"]]
    for org in profile["Application"]["Organizations"]:
        for anchor in org.get("AnchorPeers", []):
            anchor["Host"] = by_port[anchor["Port"]]
    return config.write_yaml(path, document)


def _genesis_block(dist, layout: NetworkLayout) -> bool:
    if layout.genesis_block.is_file():
        return False
    configtx = compose_configtx(layout)
    staging = layout.genesis_block.with_suffix(".tmp")
    run([dist.tool("configtxgen"), "-profile", config.CHANNEL_PROFILE, "-outputBlock", str(staging),
         "-channelID", CHANNEL], env={"FABRIC_CFG_PATH": str(configtx.parent)}, what="configtxgen")
    staging.replace(layout.genesis_block)
    return True


# --- connection profiles for the containers ------------------------------------------------------------
def container_profiles(layout: NetworkLayout):
    """The native profiles, reaching each gateway by its container name (in the peers' TLS
    certificates) instead of 127.0.0.1; the host keeps the native ones for `emissions ledger`."""
    hosts = {layout.address(layout.peer_port(org)): f"{peer_host(org)}:{layout.peer_port(org)}"
             for org in layout.peer_orgs()}
    return [replace(spec, gateway=hosts[spec.gateway]) for spec in profile_specs(layout)]


def _write_profiles(folder: Path, specs) -> None:
    from emissions.stack.backends import write_fabric_profiles  # the one place that writes profile TOML

    write_fabric_profiles(folder, specs)


# --- the commands ----------------------------------------------------------------------------------------
def _prepare(args: argparse.Namespace) -> None:
    layout = compose_layout(args.fabric)
    values = env_values(layout, args.data, read_env(args.env_file), public_domain=args.public_domain)
    bind_sources(layout, args.data)
    write_env(args.env_file, values)
    print(f"wrote {args.env_file}; next: `docker-compose up -d` the four ca.* services, then "
          "`python -m deploy.compose material`")


def _layout_from(args: argparse.Namespace) -> tuple[NetworkLayout, dict[str, str]]:
    values = read_env(args.env_file)
    if "EMISSIONS_FABRIC" not in values:
        raise FabricError(f"{args.env_file} has no EMISSIONS_FABRIC: run `python -m deploy.compose prepare` first")
    return compose_layout(values["EMISSIONS_FABRIC"]), values


def _material(args: argparse.Namespace) -> None:
    dist = locate_fabric(args.fabric_bin)
    layout, values = _layout_from(args)
    fabric_secrets = ca.load_secrets(layout)
    # The containerised CAs answer on the host's loopback at the native ports: enroll as natively.
    made = in_parallel(lambda org: ca.issue_identities(dist, layout, org, fabric_secrets), list(ORGS.values()))
    print(f"identities: {sum(made)} enrollments made by the orgs' CAs")
    for org in layout.peer_orgs():
        config.peer_settings(dist, layout, org)  # the peer CLI's core.yaml, used from the host only
    if _genesis_block(dist, layout):
        print(f"channel: genesis block {layout.genesis_block}")
    for org in layout.peer_orgs():
        _, package_id = lifecycle.package_for(layout, org)
        values[f"CHAINCODE_ID_{_short(org)}"] = package_id
        print(f"chaincode: {org.msp_id} package id {package_id}")
    write_env(args.env_file, values)
    _write_profiles(layout.profiles_dir, profile_specs(layout))
    _write_profiles(layout.root / "profiles-compose", container_profiles(layout))
    print(f"profiles: {layout.profiles_dir} (host) and {layout.root / 'profiles-compose'} (containers)")


def _channel(args: argparse.Namespace) -> None:
    dist = locate_fabric(args.fabric_bin)
    layout, _ = _layout_from(args)
    joined = sum(in_parallel(lambda i: channel.join_orderer(dist, layout, i), list(range(layout.orderers))))
    joined += sum(in_parallel(lambda org: channel.join_peer(dist, layout, org), layout.peer_orgs()))
    print(f"channel: {CHANNEL} ({joined} joined now)")
    packages = {org.msp_id: lifecycle.package_for(layout, org) for org in layout.peer_orgs()}
    lifecycle.deploy(dist, layout, lifecycle.EMISSIONS, packages, say=print)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.compose", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", type=Path, default=DEFAULT_ENV_FILE, help=f"default {DEFAULT_ENV_FILE}")
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="the env file: folders, CA bootstrap secrets, wallet and DB secrets")
    prepare.add_argument("--fabric", type=Path, required=True, help="absolute host folder of the Fabric material")
    prepare.add_argument("--data", type=Path, required=True, help="absolute host folder of the services' data")
    prepare.add_argument("--public-domain", help="serve the agents and the mediator as <name>.DOMAIN over HTTPS "
                         "(the proxy, deploy/Caddyfile) and make those their endpoints, e.g. example.org")
    prepare.set_defaults(handler=_prepare)
    for name, handler, what in (("material", _material, "identities, genesis block, package ids, profiles"),
                                ("channel", _channel, "join orderers and peers, deploy the chaincode")):
        command = commands.add_parser(name, help=what)
        command.add_argument("--fabric-bin", help="Fabric 2.5 bin/ on this host (default: $FABRIC_BIN)")
        command.set_defaults(handler=handler)
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except FabricError as exc:
        print(f"deploy: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
