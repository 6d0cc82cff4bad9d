"""What crypto material to generate: organisations, node counts and users (a TOML file)."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from network.msp.errors import MspError

__all__ = ["OrgSpec", "CryptoConfig", "load_crypto_config", "default_crypto_config", "DEFAULT_CONFIG_PATH"]

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "crypto-config.toml"
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_MSP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class OrgSpec:
    msp_id: str
    domain: str
    kind: Literal["peer", "orderer"]
    nodes: int  # peers or orderers
    users: tuple[str, ...]  # besides Admin


@dataclass(frozen=True)
class CryptoConfig:
    orgs: tuple[OrgSpec, ...]
    ca_validity_days: int = 3650
    node_validity_days: int = 365
    tls_extra_sans: tuple[str, ...] = ("localhost", "127.0.0.1")

    def org(self, msp_id: str) -> OrgSpec:
        for org in self.orgs:
            if org.msp_id == msp_id:
                return org
        raise KeyError(msp_id)


def _org(where: str, entry: Any, kind: Literal["peer", "orderer"]) -> OrgSpec:
    if not isinstance(entry, dict):
        raise MspError(f"{where}: expected a table")
    msp_id, domain = entry.get("msp_id"), entry.get("domain")
    if not isinstance(msp_id, str) or not _MSP_ID.match(msp_id):
        raise MspError(f"{where}: msp_id {msp_id!r} must be letters, digits, '.', '_' or '-'")
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        raise MspError(f"{where}: domain {domain!r} is not a lower-case DNS name")
    count_key = "peers" if kind == "peer" else "orderers"
    nodes = entry.get(count_key, 1)
    if not isinstance(nodes, int) or isinstance(nodes, bool) or not 0 <= nodes <= 64:
        raise MspError(f"{where}: {count_key} must be an integer from 0 to 64, got {nodes!r}")
    users = entry.get("users", [])
    if not isinstance(users, list) or not all(isinstance(u, str) and _USER.match(u) for u in users):
        raise MspError(f"{where}: users must be a list of simple names like 'User1'")
    if "Admin" in users:
        raise MspError(f"{where}: users must not list Admin (it is always created)")
    unknown = set(entry) - {"msp_id", "domain", count_key, "users"}
    if unknown:
        raise MspError(f"{where}: unknown keys {sorted(unknown)}")
    return OrgSpec(msp_id, domain, kind, nodes, tuple(users))


def parse_crypto_config(document: dict[str, Any], *, source: str = "crypto config") -> CryptoConfig:
    orgs = [_org(f"{source}: peer_orgs[{i}]", e, "peer") for i, e in enumerate(document.get("peer_orgs", []))]
    orgs += [_org(f"{source}: orderer_orgs[{i}]", e, "orderer") for i, e in enumerate(document.get("orderer_orgs", []))]
    if not orgs:
        raise MspError(f"{source}: no [[peer_orgs]] or [[orderer_orgs]]")
    for key in ("msp_id", "domain"):
        values = [getattr(o, key) for o in orgs]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise MspError(f"{source}: duplicate {key} {duplicates}")
    days = {}
    for key, default in (("ca_validity_days", 3650), ("node_validity_days", 365)):
        value = document.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise MspError(f"{source}: {key} must be a positive integer, got {value!r}")
        days[key] = value
    sans = document.get("tls_extra_sans", ["localhost", "127.0.0.1"])
    if not isinstance(sans, list) or not all(isinstance(s, str) and s for s in sans):
        raise MspError(f"{source}: tls_extra_sans must be a list of host names or IP addresses")
    for san in sans:
        try:
            ipaddress.ip_address(san)
        except ValueError:
            if not re.match(r"^[A-Za-z0-9.-]+$", san):
                raise MspError(f"{source}: tls_extra_sans entry {san!r} is neither a host name nor an IP address") from None
    return CryptoConfig(tuple(orgs), days["ca_validity_days"], days["node_validity_days"], tuple(sans))


def load_crypto_config(path: Path) -> CryptoConfig:
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MspError(f"{path}: cannot read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MspError(f"{path}: not valid TOML ({exc})") from exc
    return parse_crypto_config(document, source=str(path))


def default_crypto_config() -> CryptoConfig:
    """The development network: Auditor1MSP, Auditor2MSP (1 peer each) and OperatorMSP (1 orderer)."""
    return load_crypto_config(DEFAULT_CONFIG_PATH)
