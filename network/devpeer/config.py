"""The dev peer's configuration: one TOML file, paths relative to the file's folder.

Orgs come in two kinds:

- endorsing orgs give `peer_msp_dir`, the identity their peer endorses with; the dev peer plays
  that org's peer (its own chaincode connections, its own key);
- member-only orgs omit it: they are channel members without peers (a verifier org, say). Their
  clients may evaluate, ask commit status, stream events and, being channel Writers, submit — but
  the gateway never asks them to endorse.

MAJORITY and ANY count every application org, as Fabric's implicit-meta Endorsement policy counts
each org's Endorsement sub-policy: MAJORITY of three orgs is two, whether or not an org has peers.
An org without peers can never satisfy its part, so the peers of the other orgs must make up the
majority; a chaincode whose policy the endorsing orgs cannot satisfy is refused at start-up.

The gateway's "own" org (evaluations without a target, transient-data endorsements) is the first
endorsing org listed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ConfigError",
    "ListenConfig",
    "OrgConfig",
    "CcaasConfig",
    "ChaincodeConfig",
    "BlockCuttingConfig",
    "DevPeerConfig",
    "load_config",
    "parse_duration",
]


class ConfigError(ValueError):
    """The configuration file is unusable; the message names the offending entry."""


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | int | float, *, what: str = "duration") -> float:
    """Go-style durations as Fabric configs write them ("250ms", "10s", "2m") -> seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ConfigError(f"{what}: {text!r} is not a duration like '250ms', '10s' or '2m'")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


@dataclass(frozen=True)
class ListenConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = pick a free port when the server binds
    tls_cert: Path | None = None
    tls_key: Path | None = None
    client_ca: Path | None = None  # set -> mutual TLS

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


@dataclass(frozen=True)
class OrgConfig:
    msp_id: str
    msp_dir: Path  # the verifying MSP (cacerts, config.yaml with NodeOUs)
    peer_msp_dir: Path | None = None  # the identity this org's peer endorses with; None = no peer

    @property
    def endorses(self) -> bool:
        return self.peer_msp_dir is not None


@dataclass(frozen=True)
class CcaasConfig:
    """Fabric's connection.json fields for a chaincode-as-a-service server."""

    address: str
    dial_timeout: float = 10.0
    tls_required: bool = False
    client_auth_required: bool = False
    root_cert: bytes | None = None
    client_key: bytes | None = None
    client_cert: bytes | None = None


@dataclass(frozen=True)
class ChaincodeConfig:
    name: str
    version: str
    endorsement_policy: str = "MAJORITY"
    collections_config: Path | None = None
    python: str | None = None  # "pkg.module:attr", run in-process
    ccaas: CcaasConfig | None = None


@dataclass(frozen=True)
class BlockCuttingConfig:
    max_message_count: int = 50
    preferred_max_bytes: int = 512 * 1024
    batch_timeout: float = 0.25


@dataclass(frozen=True)
class DevPeerConfig:
    channel: str
    data_dir: Path
    orgs: tuple[OrgConfig, ...]
    chaincodes: tuple[ChaincodeConfig, ...]
    listen: ListenConfig = field(default_factory=ListenConfig)
    block_cutting: BlockCuttingConfig = field(default_factory=BlockCuttingConfig)

    def __post_init__(self) -> None:
        if not self.channel:
            raise ConfigError("channel must be a non-empty name")
        if not self.orgs:
            raise ConfigError("at least one [[orgs]] entry is needed")
        ids = [org.msp_id for org in self.orgs]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"duplicate org msp_id in {ids}")
        if not any(org.endorses for org in self.orgs):
            raise ConfigError("at least one org needs a peer_msp_dir: an org without a peer cannot endorse")
        names = [cc.name for cc in self.chaincodes]
        if len(set(names)) != len(names):
            raise ConfigError(f"duplicate chaincode name in {names}")

    @property
    def own_org(self) -> OrgConfig:
        """The gateway's "local" org: the first endorsing org listed (evaluations without a
        target and transient-data endorsements go to it)."""
        return next(org for org in self.orgs if org.endorses)

    @property
    def endorsing_orgs(self) -> tuple[OrgConfig, ...]:
        return tuple(org for org in self.orgs if org.endorses)


def _path(base: Path, value: object, what: str) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{what} must be a non-empty path string")
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def _optional_path(base: Path, table: dict, key: str, what: str) -> Path | None:
    return _path(base, table[key], f"{what}.{key}") if key in table else None


def _pem_field(base: Path, table: dict, key: str, what: str) -> bytes | None:
    """connection.json carries PEM inline; a TOML config may also point at a file."""
    value = table.get(key)
    if not value:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{what}.{key} must be a PEM string or a file path")
    if "-----BEGIN" in value:
        return value.encode()
    path = _path(base, value, f"{what}.{key}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what}.{key}: cannot read {path}: {exc.strerror}") from exc


def _listen(base: Path, table: dict) -> ListenConfig:
    address = table.get("address", "127.0.0.1:0")
    host, sep, port = str(address).rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"listen.address {address!r} must be host:port")
    listen = ListenConfig(
        host=host or "127.0.0.1",
        port=int(port),
        tls_cert=_optional_path(base, table, "tls_cert", "listen"),
        tls_key=_optional_path(base, table, "tls_key", "listen"),
        client_ca=_optional_path(base, table, "client_ca", "listen"),
    )
    if (listen.tls_cert is None) != (listen.tls_key is None):
        raise ConfigError("listen: tls_cert and tls_key go together")
    if listen.client_ca is not None and listen.tls_cert is None:
        raise ConfigError("listen.client_ca (mutual TLS) needs tls_cert and tls_key")
    return listen


def _org(base: Path, index: int, table: dict) -> OrgConfig:
    what = f"orgs[{index}]"
    msp_id = table.get("msp_id")
    if not isinstance(msp_id, str) or not msp_id:
        raise ConfigError(f"{what}.msp_id must be a non-empty string")
    if "msp_dir" not in table:
        raise ConfigError(f"{what} ({msp_id}) needs msp_dir")
    return OrgConfig(
        msp_id=msp_id,
        msp_dir=_path(base, table["msp_dir"], f"{what}.msp_dir"),
        peer_msp_dir=_optional_path(base, table, "peer_msp_dir", what),
    )


def _ccaas(base: Path, what: str, table: dict) -> CcaasConfig:
    address = table.get("address")
    if not isinstance(address, str) or ":" not in address:
        raise ConfigError(f"{what}.address must be host:port")
    return CcaasConfig(
        address=address,
        dial_timeout=parse_duration(table.get("dial_timeout", "10s"), what=f"{what}.dial_timeout"),
        tls_required=bool(table.get("tls_required", False)),
        client_auth_required=bool(table.get("client_auth_required", False)),
        root_cert=_pem_field(base, table, "root_cert", what),
        client_key=_pem_field(base, table, "client_key", what),
        client_cert=_pem_field(base, table, "client_cert", what),
    )


def _chaincode(base: Path, index: int, table: dict) -> ChaincodeConfig:
    what = f"chaincodes[{index}]"
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{what}.name must be a non-empty string")
    what = f"chaincode {name!r}"
    version = str(table.get("version", ""))
    if not version:
        # Fabric marks transactions of a chaincode without a version INVALID_CHAINCODE.
        raise ConfigError(f"{what}: version must be non-empty")
    python = table.get("python")
    ccaas = _ccaas(base, f"{what}.ccaas", table["ccaas"]) if "ccaas" in table else None
    if (python is None) == (ccaas is None):
        raise ConfigError(f"{what}: give exactly one of python = 'pkg.module:attr' or [chaincodes.ccaas]")
    if python is not None and (not isinstance(python, str) or ":" not in python):
        raise ConfigError(f"{what}.python must look like 'pkg.module:attr', got {python!r}")
    return ChaincodeConfig(
        name=name,
        version=version,
        endorsement_policy=str(table.get("endorsement_policy", "MAJORITY")),
        collections_config=_optional_path(base, table, "collections_config", what),
        python=python,
        ccaas=ccaas,
    )


def _block_cutting(table: dict) -> BlockCuttingConfig:
    cutting = BlockCuttingConfig(
        max_message_count=int(table.get("max_message_count", 50)),
        preferred_max_bytes=int(table.get("preferred_max_bytes", 512 * 1024)),
        batch_timeout=parse_duration(table.get("batch_timeout", "250ms"), what="block_cutting.batch_timeout"),
    )
    if cutting.max_message_count < 1 or cutting.preferred_max_bytes < 1 or cutting.batch_timeout <= 0:
        raise ConfigError("block_cutting: counts, sizes and the timeout must be positive")
    return cutting


def config_from_mapping(data: dict, base: Path) -> DevPeerConfig:
    """Build a config from an already-parsed TOML mapping; relative paths resolve against `base`."""
    if "channel" not in data:
        raise ConfigError("channel is missing")
    return DevPeerConfig(
        channel=str(data["channel"]),
        data_dir=_path(base, data.get("data_dir", "data/devpeer"), "data_dir"),
        orgs=tuple(_org(base, i, t) for i, t in enumerate(data.get("orgs", []))),
        chaincodes=tuple(_chaincode(base, i, t) for i, t in enumerate(data.get("chaincodes", []))),
        listen=_listen(base, data.get("listen", {})),
        block_cutting=_block_cutting(data.get("block_cutting", {})),
    )


def load_config(path: str | Path) -> DevPeerConfig:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc
    return config_from_mapping(data, path.resolve().parent)
