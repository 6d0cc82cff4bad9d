"""docker-compose.yml against the native network: `docker-compose config` accepts it, and it runs
the same orgs, ports, identities, channel, chaincode and agents as `emissions network up` and
agents/spec.py. Docker itself is not needed (nor run): `config` only resolves the file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from agents.spec import WEBHOOK_PATH, agent_specs
from deploy.compose import MEDIATOR_PORTS, PUBLIC_SITES, compose_configtx, container_profiles, env_values, main, read_env
from network.fabric import lifecycle
from network.fabric.config import CHANNEL_PROFILE, write_configtx
from network.fabric.layout import AUDITOR_ORGS, CHAINCODE, CHAINCODE_LABEL, CHAINCODE_VERSION, CHANNEL, ORGS, NetworkLayout
from network.fabric.profiles import profile_specs
from testkit.mediator import MediatorSpec
from testkit.policy import require

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
EXAMPLE = ROOT / "deploy" / ".env.example"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
OPERATOR = ORGS["OperatorMSP"]
IMAGES = {  # service name pattern -> the image it must run
    r"ca\..*": r"hyperledger/fabric-ca:1\.5\.\d+",
    r"orderer\d\..*": r"hyperledger/fabric-orderer:2\.5\.\d+",
    r"peer0\..*": r"hyperledger/fabric-peer:2\.5\.\d+",
    r"couchdb\..*": r"couchdb:3\.\d+\.\d+",
    r"chaincode\..*": r"emissions-chaincode:[\w.]+",
    r".*-wallet-db": r"postgres:\d+",
    r".*-(agent|controller)": r"emissions-services:[\w.]+",
    r"kubo": r"ipfs/kubo:v0\.\d+\.\d+",
    r"fabric-admin": r"hyperledger/fabric-tools:2\.5\.\d+",
    r"proxy": r"caddy:2(\.\d+)*",
}


def docker_compose(env_file: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("docker-compose")
    require(exe is not None, "docker-compose is not installed (apt-get install docker-compose)")
    # Only the env file's values: a variable set in the test's own environment would win over it.
    return subprocess.run([exe, "--env-file", str(env_file), "-f", str(COMPOSE), "config"], cwd=ROOT,
                          env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")},
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def services() -> dict:
    result = docker_compose(EXAMPLE)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


@pytest.fixture(scope="module")
def example() -> dict[str, str]:
    return read_env(EXAMPLE)


@pytest.fixture(scope="module")
def layout(example, tmp_path_factory) -> NetworkLayout:
    """The native network's layout with its default ports and orderers, rooted where compose mounts it."""
    native = NetworkLayout.open(tmp_path_factory.mktemp("native"))
    return replace(native, root=Path(example["EMISSIONS_FABRIC"]))


def published(service: dict) -> list[tuple[str, int, int]]:
    """(host ip, host port, container port) of each published port, in either form compose prints."""
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.append((port.get("host_ip", ""), int(port["published"]), int(port["target"])))
        else:
            ip, host, target = re.fullmatch(r"(?:([\d.]+):)?(\d+):(\d+)(?:/tcp)?", port).groups()
            out.append((ip or "", int(host), int(target)))
    return out


def mounts(service: dict) -> dict[str, tuple[str, str]]:
    """target -> (source, mode)."""
    out = {}
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        out[target] = (source, mode[0] if mode else "rw")
    return out


def test_every_service_runs_its_official_or_project_image(services):
    for name, service in services.items():
        patterns = [image for pattern, image in IMAGES.items() if re.fullmatch(pattern, name)]
        assert len(patterns) == 1, f"{name}: no image rule"
        assert re.fullmatch(patterns[0], service["image"]), f"{name} runs {service['image']}"
    for name, service in services.items():
        if name.startswith("chaincode."):
            assert service["build"]["dockerfile"] == "chaincode/Dockerfile"
        if name.endswith(("-agent", "-controller")):
            assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    kubo = re.fullmatch(r"ipfs/kubo:v0\.(\d+)\.\d+", services["kubo"]["image"])
    assert int(kubo.group(1)) >= 35  # custody/kubo.py: the first release that takes max-file-links on add
    assert "ports" not in services["kubo"]  # the RPC API is an admin interface


def test_the_same_orgs_nodes_and_ports_as_the_native_network(services, layout):
    cas = {name: s for name, s in services.items() if name.startswith("ca.")}
    assert set(cas) == {f"ca.{org.domain}" for org in ORGS.values()}
    for org in ORGS.values():
        command = cas[f"ca.{org.domain}"]["command"]
        assert command[command.index("--port") + 1] == str(layout.ca_port(org))
        assert command[command.index("--home") + 1] == str(layout.ca_home(org))
        assert ("127.0.0.1", layout.ca_port(org), layout.ca_port(org)) in published(cas[f"ca.{org.domain}"])

    orderers = sorted(name for name in services if name.startswith("orderer"))
    assert orderers == [f"{name}.{OPERATOR.domain}" for name in layout.orderer_names()]
    for i, name in enumerate(orderers):
        e = services[name]["environment"]
        short = layout.orderer_names()[i]
        assert e["ORDERER_GENERAL_LOCALMSPID"] == OPERATOR.msp_id
        assert e["ORDERER_GENERAL_LISTENPORT"] == str(layout.orderer_port(i))
        assert e["ORDERER_ADMIN_LISTENADDRESS"] == f"0.0.0.0:{layout.orderer_admin_port(i)}"
        assert e["ORDERER_GENERAL_LOCALMSPDIR"] == str(layout.msp_dir(OPERATOR, short))
        assert e["ORDERER_GENERAL_TLS_CERTIFICATE"] == str(layout.tls_dir(OPERATOR, short) / "server.crt")
        assert e["ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED"] == "true"  # osnadmin's endpoint: mutual TLS, as natively
        assert e["ORDERER_FILELEDGER_LOCATION"] == str(layout.node_dir(name) / "ledger")

    peers = sorted(name for name in services if name.startswith("peer"))
    assert peers == sorted(layout.peer_name(org) for org in layout.peer_orgs())
    for org in layout.peer_orgs():
        e = services[layout.peer_name(org)]["environment"]
        assert e["CORE_PEER_LOCALMSPID"] == org.msp_id
        assert e["CORE_PEER_ADDRESS"] == f"{layout.peer_name(org)}:{layout.peer_port(org)}"
        assert e["CORE_PEER_MSPCONFIGPATH"] == str(layout.msp_dir(org, "peer0"))
        assert e["CORE_PEER_TLS_CERT_FILE"] == str(layout.tls_dir(org, "peer0") / "server.crt")
        assert e["CORE_PEER_FILESYSTEMPATH"] == str(layout.node_dir(layout.peer_name(org)) / "data")

    msp_ids = {s["environment"].get("CORE_PEER_LOCALMSPID") or s["environment"].get("ORDERER_GENERAL_LOCALMSPID")
               for name, s in services.items() if name.startswith(("peer", "orderer"))}
    assert msp_ids == {*AUDITOR_ORGS, OPERATOR.msp_id}


def test_fabric_ports_are_the_native_ones_published_on_loopback_only(services, layout):
    """The host-side steps (enrolment, osnadmin, peer lifecycle) are network.fabric's, unchanged."""
    native = layout.ports_of_processes()
    for name, ports in native.items():
        if name.startswith("chaincode."):
            continue  # in its peer's network namespace
        assert name in services
        for ip, host, target in published(services[name]):
            assert (ip, host) == ("127.0.0.1", target) and target in ports, f"{name} publishes {ip}:{host}:{target}"
    needed = [*(layout.orderer_port(i) for i in range(layout.orderers)),
              *(layout.orderer_admin_port(i) for i in range(layout.orderers)),
              *(layout.peer_port(org) for org in layout.peer_orgs()), *(layout.ca_port(org) for org in ORGS.values())]
    everything = {host for s in services.values() for _, host, _ in published(s)}
    assert set(needed) <= everything


def test_each_fabric_node_mounts_only_its_own_identity_read_only(services, layout):
    for i, short in enumerate(layout.orderer_names()):
        identity = str(layout.identity_dir(OPERATOR, short))
        assert mounts(services[f"{short}.{OPERATOR.domain}"])[identity] == (identity, "ro")
    for org in layout.peer_orgs():
        identity = str(layout.identity_dir(org, "peer0"))
        peer = mounts(services[layout.peer_name(org)])
        assert peer[identity] == (identity, "ro")
        assert all(target == identity or "/nodes/" in target for target in peer)


def test_one_chaincode_server_in_each_peers_namespace(services, layout, example):
    for org in layout.peer_orgs():
        beside = [name for name, s in services.items() if s.get("network_mode") == f"service:{layout.peer_name(org)}"]
        assert beside == [f"chaincode.{org.domain}"]
        service = services[beside[0]]
        e = service["environment"]
        # The address the native package's connection.json names (lifecycle.package_for).
        assert e["CHAINCODE_SERVER_ADDRESS"] == layout.address(layout.chaincode_server_port(org))
        assert e["CHAINCODE_OBJECT"] == lifecycle.CHAINCODE_OBJECT
        assert e["CHAINCODE_ID"] == example[f"CHAINCODE_ID_{org.short.upper()}"]
        assert e["CHAINCODE_ID"].startswith(f"{CHAINCODE_LABEL}:")
        tls = layout.identity_dir(org, "peer0") / "chaincode-tls"
        assert (e["CHAINCODE_TLS_CERT"], e["CHAINCODE_TLS_KEY"]) == (str(tls / "server.crt"), str(tls / "server.key"))
        assert e["CHAINCODE_CLIENT_CA_CERT"] == str(tls / "ca.crt")  # peers must present the org's certificate
        assert mounts(service) == {str(tls): (str(tls), "ro")} and service["read_only"] is True
    ids = [s["environment"]["CHAINCODE_ID"] for n, s in services.items() if n.startswith("chaincode.")]
    assert len(ids) == len(set(ids)) == len(layout.peer_orgs())


def test_each_peer_keeps_its_state_in_a_couchdb_of_its_own(services, layout):
    databases = []
    for org in layout.peer_orgs():
        e = services[layout.peer_name(org)]["environment"]
        assert e["CORE_LEDGER_STATE_STATEDATABASE"] == "CouchDB"
        host = e["CORE_LEDGER_STATE_COUCHDBCONFIG_COUCHDBADDRESS"].rpartition(":")[0]
        couch = services[host]
        assert couch["image"].startswith("couchdb:")
        assert couch["environment"]["COUCHDB_PASSWORD"] == e["CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD"]
        assert couch["environment"]["COUCHDB_USER"] == e["CORE_LEDGER_STATE_COUCHDBCONFIG_USERNAME"]
        databases.append(host)
    assert len(set(databases)) == len(layout.peer_orgs())


def test_channel_chaincode_and_collections_are_the_native_ones(services):
    admin = services["fabric-admin"]
    e = admin["environment"]
    assert (e["CHANNEL_NAME"], e["CHAINCODE_NAME"], e["CHAINCODE_VERSION"], e["CHAINCODE_LABEL"]) == (
        CHANNEL, CHAINCODE, CHAINCODE_VERSION, CHAINCODE_LABEL)
    source, _ = mounts(admin)[e["COLLECTIONS_CONFIG"]]
    assert Path(source).resolve() == lifecycle.COLLECTIONS.resolve()
    for org in ORGS.values():  # the peers, the chaincode and the CAs name only the native orgs
        assert f"ca.{org.domain}" in services
    for name, service in services.items():
        for value in service.get("environment", {}).values():
            assert not re.search(r"Org\dMSP|mychannel", str(value)), f"{name}: {value}"


def test_compose_configtx_is_the_native_one_with_container_names(tmp_path, services):
    layout = NetworkLayout.open(tmp_path)
    native = yaml.safe_load(write_configtx(layout).read_text())
    composed = yaml.safe_load(compose_configtx(layout).read_text())
    profile = composed["Profiles"][CHANNEL_PROFILE]
    consenters = profile["Orderer"]["EtcdRaft"]["Consenters"]
    anchors = [a for o in profile["Application"]["Organizations"] for a in o.get("AnchorPeers", [])]
    endpoints = profile["Orderer"]["Organizations"][0]["OrdererEndpoints"]
    for node in [*consenters, *anchors, *({"Host": h, "Port": int(p)} for h, p in (e.split(":") for e in endpoints))]:
        listen = services[node["Host"]]["environment"]
        port = listen.get("ORDERER_GENERAL_LISTENPORT") or listen["CORE_PEER_LISTENADDRESS"].rpartition(":")[2]
        assert int(port) == node["Port"], node
    # Put 127.0.0.1 back: what is left is exactly the native channel (policies, orgs, Raft options).
    for node in [*consenters, *anchors]:
        node["Host"] = "127.0.0.1"
    profile["Orderer"]["Organizations"][0]["OrdererEndpoints"] = [f"127.0.0.1:{e.rpartition(':')[2]}" for e in endpoints]
    assert composed == native


def test_agents_run_the_native_command_with_a_postgres_wallet_each(services, example, tmp_path):
    specs = agent_specs(tmp_path / "agents")
    databases = set()
    for role, spec in specs.items():
        service = services[f"{role}-agent"]
        e = service["environment"]
        expected = ["python", *spec.argv()[1:]]
        expected = ["0.0.0.0" if a == spec.host else a for a in expected]
        expected[expected.index("--endpoint") + 1] = example[f"{role.upper()}_ENDPOINT"]
        expected[expected.index("--wallet-storage-type") + 1] = "postgres_storage"
        assert service["command"] == expected
        assert urlsplit(example[f"{role.upper()}_ENDPOINT"]).port == spec.inbound_port
        config = json.loads(e["ACAPY_WALLET_STORAGE_CONFIG"])
        creds = json.loads(e["ACAPY_WALLET_STORAGE_CREDS"])
        host = config["url"].rpartition(":")[0]
        database = services[host]
        assert database["image"].startswith("postgres:")
        assert creds["account"] == database["environment"]["POSTGRES_USER"]
        assert creds["password"] == database["environment"]["POSTGRES_PASSWORD"]
        databases.add(host)
        webhook = urlsplit(e["ACAPY_WEBHOOK_URL"])
        assert (webhook.hostname, webhook.port, webhook.path) == (f"{role}-controller", spec.controller_port,
                                                                  WEBHOOK_PATH)
        assert webhook.fragment == example[f"{role.upper()}_WEBHOOK_SECRET"]
        assert e["ACAPY_WALLET_KEY"] == example[f"{role.upper()}_WALLET_KEY"]
        assert not any(example[f"{role.upper()}_WALLET_KEY"] in arg for arg in service["command"])
    assert len(databases) == len(specs)


def test_the_auditor_service_reaches_the_gateway_through_the_containers_profile(services, layout, tmp_path):
    controller = services["auditor-controller"]
    assert controller["command"][:3] == ["emissions", "auditor", "serve"]
    profiles = mounts(controller)
    assert str(layout.root / "profiles-compose") in profiles
    native = {s.file_name: s for s in profile_specs(NetworkLayout.open(tmp_path))}
    for spec in container_profiles(NetworkLayout.open(tmp_path)):
        host, _, port = spec.gateway.rpartition(":")
        assert host in services and host.startswith("peer0.")
        assert port == native[spec.file_name].gateway.rpartition(":")[2]
        assert replace(spec, gateway=native[spec.file_name].gateway) == native[spec.file_name]


def test_prepare_writes_every_value_the_compose_file_uses(tmp_path):
    used = set(re.findall(r"\$\{(\w+)", COMPOSE.read_text()))
    layout = NetworkLayout.open(tmp_path / "fabric")
    written = env_values(layout, tmp_path / "data", {})
    assert set(written) == used == set(read_env(EXAMPLE))
    assert written["EMISSIONS_FABRIC"] == str(layout.root)
    assert written["CA_AUDITOR1_ADMIN_SECRET"] == json.loads(layout.secrets_file.read_text())[
        "auditor1.example.com/bootstrap-admin"]
    assert env_values(layout, tmp_path / "data", written) == written  # a second prepare changes nothing


def test_a_missing_value_stops_docker_compose_with_the_step_to_run(tmp_path):
    values = {k: v for k, v in read_env(EXAMPLE).items() if k != "CHAINCODE_ID_AUDITOR1"}
    env_file = tmp_path / "partial.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    result = docker_compose(env_file)
    assert result.returncode != 0
    assert "deploy.compose material" in result.stderr


# --- the public side: the mediator and the TLS-terminating proxy ------------------------------------
def caddy_sites(text: str) -> dict[str, dict[str, list]]:
    """site address -> {"routes": [(matcher name or None, upstream)], "matchers": {name: [lines]}}.

    Enough of the Caddyfile syntax for deploy/Caddyfile: top-level site blocks, named matcher blocks
    and `reverse_proxy [@matcher] upstream...` lines (anything else inside a site is an error here).
    """
    sites: dict[str, dict[str, list]] = {}
    site = matcher = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if site is None:
            address, brace = line.rsplit(" ", 1)
            assert brace == "{", f"not a site block: {raw!r}"
            site = sites.setdefault(address, {"routes": [], "matchers": {}})
        elif matcher is not None:
            if line == "}":
                matcher = None
            else:
                site["matchers"][matcher].append(line)
        elif line == "}":
            site = None
        elif line.startswith("@") and line.endswith("{"):
            matcher = line[1:-1].strip()
            site["matchers"][matcher] = []
        else:
            directive, *rest = line.split()
            assert directive == "reverse_proxy", f"unexpected directive {raw!r}"
            name = rest.pop(0)[1:] if rest[0].startswith("@") else None
            site["routes"] += [(name, upstream) for upstream in rest]
    assert site is None and matcher is None, "unbalanced braces"
    return sites


def inbound_ports(command: list[str]) -> dict[str, int]:
    """transport -> port of each --inbound-transport in an ACA-Py command line."""
    return {command[i + 1]: int(command[i + 3]) for i, arg in enumerate(command) if arg == "--inbound-transport"}


def admin_port(command: list[str]) -> int:
    return int(command[command.index("--admin") + 2])


def test_the_mediator_runs_the_testkit_command_with_open_mediation_and_websockets(services, example, tmp_path):
    service = services["mediator-agent"]
    command = service["command"]
    # The very command testkit/mediator.py starts for the tests, with the compose ports and endpoints.
    spec = MediatorSpec(role="mediator", data_dir=tmp_path, inbound_port=MEDIATOR_PORTS["http"],
                        admin_port=MEDIATOR_PORTS["admin"], controller_port=0, webhook_url="", api_key="",
                        webhook_secret="", wallet_key="", ws_port=MEDIATOR_PORTS["ws"])
    expected = ["0.0.0.0" if a == spec.host else a for a in ["python", *spec.argv()[1:]]]
    at = expected.index("--endpoint")
    expected[at + 1 : at + 3] = [example["MEDIATOR_ENDPOINT"], example["MEDIATOR_WS_ENDPOINT"]]
    expected[expected.index("--wallet-storage-type") + 1] = "postgres_storage"
    assert command == expected
    assert {"--open-mediation", "--enable-undelivered-queue"} <= set(command)
    assert inbound_ports(command) == {"http": MEDIATOR_PORTS["http"], "ws": MEDIATOR_PORTS["ws"]}
    assert [command[i + 1] for i, a in enumerate(command) if a == "--outbound-transport"] == ["ws", "http"]
    # HTTP endpoint first: a mediation grant names the first, and the agents send over HTTP only.
    endpoints = command[at + 1 : at + 3]
    assert urlsplit(endpoints[0]).scheme in {"http", "https"} and urlsplit(endpoints[1]).scheme in {"ws", "wss"}
    assert urlsplit(endpoints[0]).port in {None, MEDIATOR_PORTS["http"]}
    assert urlsplit(endpoints[1]).port in {None, MEDIATOR_PORTS["ws"]}
    # Its own PostgreSQL wallet, no webhooks, no secret on the command line.
    e = service["environment"]
    host = json.loads(e["ACAPY_WALLET_STORAGE_CONFIG"])["url"].rpartition(":")[0]
    assert host == "mediator-wallet-db" and services[host]["image"].startswith("postgres:")
    users = [n for n, s in services.items() if host in str(s.get("environment", {}).get("ACAPY_WALLET_STORAGE_CONFIG", ""))]
    assert users == ["mediator-agent"]
    assert json.loads(e["ACAPY_WALLET_STORAGE_CREDS"])["password"] == services[host]["environment"]["POSTGRES_PASSWORD"]
    assert "ACAPY_WEBHOOK_URL" not in e
    assert e["ACAPY_WALLET_KEY"] == example["MEDIATOR_WALLET_KEY"]
    assert not any(example["MEDIATOR_WALLET_KEY"] in arg or example["MEDIATOR_ADMIN_API_KEY"] in arg for arg in command)


def test_the_proxy_routes_every_agents_didcomm_port_and_the_mediator_never_an_admin_port(services, example):
    proxy = services["proxy"]
    source, mode = mounts(proxy)["/etc/caddy/Caddyfile"]
    assert Path(source).resolve() == CADDYFILE.resolve() and mode == "ro"
    text = CADDYFILE.read_text()
    used = set(re.findall(r"\{\$(\w+)\}", text))
    assert used == {f"{site.upper()}_HOST" for site in PUBLIC_SITES}
    assert {k: proxy["environment"][k] for k in used} == {k: example[k] for k in used}
    sites = caddy_sites(text)
    assert set(sites) == {f"{{${site.upper()}_HOST}}" for site in PUBLIC_SITES}

    # Each party's agent: its host name goes to its DIDComm (http inbound) port, and only there.
    for site in PUBLIC_SITES:
        command = services[f"{site}-agent"]["command"]
        routes = sites[f"{{${site.upper()}_HOST}}"]["routes"]
        http = (None, f"{site}-agent:{inbound_ports(command)['http']}")
        if site != "mediator":
            assert routes == [http], site
            continue
        # The mediator: WebSocket upgrades to its ws port, everything else to its http port.
        matcher, ws = next(r for r in routes if r[0] is not None)
        assert ws == f"mediator-agent:{inbound_ports(command)['ws']}"
        assert "header Upgrade websocket" in sites["{$MEDIATOR_HOST}"]["matchers"][matcher]
        assert routes == [(matcher, ws), http]  # the matched route first: Caddy tries them in order
    admin = {(name, admin_port(s["command"])) for name, s in services.items() if "--admin" in s.get("command", [])}
    assert len(admin) == len(PUBLIC_SITES)
    upstreams = {tuple(u.split(":")) for site in sites.values() for _, u in site["routes"]}
    for host, port in upstreams:
        assert host in services and (host, int(port)) not in admin, f"{host}:{port} is routed"
        assert int(port) in inbound_ports(services[host]["command"]).values()


def test_only_the_proxy_publishes_on_every_interface(services):
    for name, service in services.items():
        for ip, host, target in published(service):
            if name == "proxy":
                assert ip in {"", "0.0.0.0"} and host == target, f"proxy publishes {ip}:{host}:{target}"
            else:
                assert ip == "127.0.0.1", f"{name} publishes {ip or '*'}:{host}:{target} beyond loopback"
    assert sorted((host, target) for _, host, target in published(services["proxy"])) == [(80, 80), (443, 443)]
    for site in PUBLIC_SITES:  # every admin port, if published at all, only on loopback
        command = services[f"{site}-agent"]["command"]
        ports = {target: ip for ip, _, target in published(services[f"{site}-agent"])}
        assert ports.get(admin_port(command), "127.0.0.1") == "127.0.0.1"
        assert all(ports[p] == "127.0.0.1" for p in inbound_ports(command).values())


def test_prepare_makes_public_names_and_endpoints_from_a_domain(tmp_path):
    env = tmp_path / "compose.env"
    base = ["--env-file", str(env), "prepare", "--fabric", str(tmp_path / "fabric"), "--data", str(tmp_path / "data")]
    assert main(base) == 0
    first = read_env(env)
    assert first["UTILITY_ENDPOINT"] == "http://utility-agent:8020"  # in-network, as before
    assert first["MEDIATOR_ENDPOINT"] == f"http://mediator-agent:{MEDIATOR_PORTS['http']}"
    assert first["MEDIATOR_WS_ENDPOINT"] == f"ws://mediator-agent:{MEDIATOR_PORTS['ws']}"
    assert {first[f"{s.upper()}_HOST"] for s in PUBLIC_SITES} == {f"{s}.localhost" for s in PUBLIC_SITES}

    assert main([*base, "--public-domain", "Example.org"]) == 0
    public = read_env(env)
    for site in PUBLIC_SITES:
        assert public[f"{site.upper()}_HOST"] == f"{site}.example.org"
        assert public[f"{site.upper()}_ENDPOINT"] == f"https://{site}.example.org"
    assert public["MEDIATOR_WS_ENDPOINT"] == "wss://mediator.example.org"
    changed = {k for k in public if public[k] != first[k]}
    assert changed == {f"{s.upper()}_{what}" for s in PUBLIC_SITES for what in ("HOST", "ENDPOINT")} | {"MEDIATOR_WS_ENDPOINT"}
    assert main(base) == 0 and read_env(env) == public  # a later prepare keeps them
    assert main([*base, "--public-domain", "not a domain"]) == 1 and read_env(env) == public
