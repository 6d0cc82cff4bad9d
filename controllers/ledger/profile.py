"""Connection profile: which gateway, as whom, to which channel and chaincode (a TOML file).

    gateway = "127.0.0.1:7051"
    tls_ca = "crypto/peerOrganizations/auditor1.example.com/tlsca/tlsca.auditor1.example.com-cert.pem"
    server_name_override = "peer0.auditor1.example.com"
    msp_id = "Auditor1MSP"
    msp_dir = "crypto/peerOrganizations/auditor1.example.com/users/User1@auditor1.example.com/msp"
    channel = "utilityemissions"
    chaincode = "emissions"
    endorsing_orgs = ["Auditor1MSP", "Auditor2MSP"]

Relative paths resolve against the profile's folder. `endorsing_orgs` names who may see the
transient (personal) data of RecordEmissions: the members of the record detail collection.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ConnectionProfile", "ProfileError", "dump_profile", "load_profile", "parse_profile"]


class ProfileError(ValueError):
    """The profile is unusable; the message names the field."""


@dataclass(frozen=True)
class ConnectionProfile:
    gateway: str
    msp_id: str
    msp_dir: Path
    channel: str = "utilityemissions"
    chaincode: str = "emissions"
    tls_ca: Path | None = None
    server_name_override: str | None = None
    endorsing_orgs: tuple[str, ...] = field(default=("Auditor1MSP", "Auditor2MSP"))


def _text(data: dict[str, Any], key: str, source: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise ProfileError(f"{source}: {key} must be a non-empty string")
    return value


def parse_profile(data: dict[str, Any], base: Path, source: str = "profile") -> ConnectionProfile:
    unknown = sorted(set(data) - {"gateway", "msp_id", "msp_dir", "channel", "chaincode", "tls_ca",
                                  "server_name_override", "endorsing_orgs"})
    if unknown:
        raise ProfileError(f"{source}: unknown key(s) {', '.join(unknown)}")
    gateway = _text(data, "gateway", source)
    if ":" not in gateway:
        raise ProfileError(f"{source}: gateway {gateway!r} must be host:port")
    orgs = data.get("endorsing_orgs", ["Auditor1MSP", "Auditor2MSP"])
    if not isinstance(orgs, list) or not orgs or not all(isinstance(o, str) and o for o in orgs):
        raise ProfileError(f"{source}: endorsing_orgs must be a non-empty list of MSP ids")

    def path(key: str) -> Path | None:
        if key not in data:
            return None
        return (base / _text(data, key, source)).resolve()

    msp_dir = path("msp_dir")
    if msp_dir is None:
        raise ProfileError(f"{source}: msp_dir must name the user's MSP folder")
    override = data.get("server_name_override")
    if override is not None and (not isinstance(override, str) or not override):
        raise ProfileError(f"{source}: server_name_override must be a host name")
    tls_ca = path("tls_ca")
    if override and tls_ca is None:
        raise ProfileError(f"{source}: server_name_override needs tls_ca")
    return ConnectionProfile(
        gateway=gateway, msp_id=_text(data, "msp_id", source), msp_dir=msp_dir,
        channel=_text(data, "channel", source, "utilityemissions"),
        chaincode=_text(data, "chaincode", source, "emissions"),
        tls_ca=tls_ca, server_name_override=override, endorsing_orgs=tuple(orgs),
    )


def load_profile(path: str | Path) -> ConnectionProfile:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path} is not valid TOML: {exc}") from None
    return parse_profile(data, path.resolve().parent, str(path))


def dump_profile(profile: ConnectionProfile) -> str:
    """The profile as the TOML `load_profile` reads back (paths absolute)."""
    def quoted(value: object) -> str:
        return json.dumps(str(value))  # a JSON string is a valid TOML basic string

    lines = [f"gateway = {quoted(profile.gateway)}", f"msp_id = {quoted(profile.msp_id)}",
             f"msp_dir = {quoted(profile.msp_dir.resolve())}", f"channel = {quoted(profile.channel)}",
             f"chaincode = {quoted(profile.chaincode)}",
             f"endorsing_orgs = [{', '.join(quoted(org) for org in profile.endorsing_orgs)}]"]
    if profile.tls_ca is not None:
        lines.append(f"tls_ca = {quoted(profile.tls_ca.resolve())}")
    if profile.server_name_override:
        lines.append(f"server_name_override = {quoted(profile.server_name_override)}")
    return "\n".join(lines) + "\n"
