"""Private data collections from Fabric's collections-config JSON (as `peer lifecycle` reads it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from network.devpeer.policy import Policy, PolicyError, parse_policy, principals

__all__ = ["Collection", "CollectionsError", "load_collections", "parse_collections"]


class CollectionsError(ValueError):
    """The collections config is unusable; the message names the collection and field."""


@dataclass(frozen=True)
class Collection:
    name: str
    members: frozenset[str]  # MSP ids named by the distribution policy
    required_peer_count: int
    max_peer_count: int
    block_to_live: int
    member_only_read: bool
    member_only_write: bool
    endorsement_policy: Policy | None

    def is_member(self, msp_id: str) -> bool:
        return msp_id in self.members


def _endorsement_policy(raw: object, where: str, channel_orgs: Sequence[str]) -> Policy | None:
    if raw in (None, {}, ""):
        return None
    if isinstance(raw, str):
        return parse_policy(raw, channel_orgs)
    if isinstance(raw, dict):
        if "signaturePolicy" in raw:
            return parse_policy(str(raw["signaturePolicy"]), channel_orgs)
        if "channelConfigPolicy" in raw:
            # "/Channel/Application/Endorsement" and friends: the channel default is MAJORITY here.
            return parse_policy("MAJORITY", channel_orgs)
    raise CollectionsError(f"{where}.endorsementPolicy must hold signaturePolicy or channelConfigPolicy")


def parse_collections(data: object, channel_orgs: Sequence[str], source: str = "collections config") -> dict[str, Collection]:
    if not isinstance(data, list):
        raise CollectionsError(f"{source}: expected a JSON array of collections")
    collections: dict[str, Collection] = {}
    for index, entry in enumerate(data):
        where = f"{source}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise CollectionsError(f"{where}: each collection needs a non-empty name")
        name = entry["name"]
        where = f"{source} collection {name!r}"
        if name in collections:
            raise CollectionsError(f"{where}: duplicate name")
        try:
            distribution = parse_policy(str(entry.get("policy", "")), channel_orgs)
            endorsement = _endorsement_policy(entry.get("endorsementPolicy"), where, channel_orgs)
        except PolicyError as exc:
            raise CollectionsError(f"{where}: {exc}") from exc
        required = int(entry.get("requiredPeerCount", 0))
        if required != 0:
            # One dev peer cannot disseminate private data to other peers before commit.
            raise CollectionsError(f"{where}: requiredPeerCount must be 0 on a single dev peer, got {required}")
        collections[name] = Collection(
            name=name,
            members=frozenset(p.msp_id for p in principals(distribution)),
            required_peer_count=required,
            max_peer_count=int(entry.get("maxPeerCount", 0)),
            block_to_live=int(entry.get("blockToLive", 0)),
            member_only_read=bool(entry.get("memberOnlyRead", False)),
            member_only_write=bool(entry.get("memberOnlyWrite", False)),
            endorsement_policy=endorsement,
        )
    return collections


def load_collections(path: Path, channel_orgs: Sequence[str]) -> dict[str, Collection]:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise CollectionsError(f"cannot read collections config {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise CollectionsError(f"collections config {path} is not JSON: {exc}") from exc
    return parse_collections(data, channel_orgs, source=str(path))
