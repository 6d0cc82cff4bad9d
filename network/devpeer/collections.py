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


def parse_collections(data: object, channel_orgs: Sequence[str], source: str = "collections config", *,
                      peer_orgs: Sequence[str] = ()) -> dict[str, Collection]:
    """`peer_orgs`: the orgs this dev peer runs a peer for. Fabric's requiredPeerCount is how many
    other member peers an endorser must hand the private data to before it endorses; here every
    hosted peer reads the one ledger, so the data reaches as many as there are hosted peers of
    member orgs besides the endorser's, and a count beyond that could never be met."""
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
        members = frozenset(p.msp_id for p in principals(distribution))
        required, maximum = int(entry.get("requiredPeerCount", 0)), int(entry.get("maxPeerCount", 0))
        hosted = len(members & set(peer_orgs))
        reachable = max(0, hosted - 1)
        if not 0 <= required <= maximum:
            raise CollectionsError(f"{where}: requiredPeerCount ({required}) must be from 0 to maxPeerCount ({maximum})")
        if required > reachable:
            raise CollectionsError(f"{where}: requiredPeerCount is {required}, but this dev peer runs peers for "
                                   f"{hosted} member org(s), "
                                   f"so an endorser can hand private data to at most {reachable} other peer(s)")
        collections[name] = Collection(
            name=name,
            members=members,
            required_peer_count=required,
            max_peer_count=maximum,
            block_to_live=int(entry.get("blockToLive", 0)),
            member_only_read=bool(entry.get("memberOnlyRead", False)),
            member_only_write=bool(entry.get("memberOnlyWrite", False)),
            endorsement_policy=endorsement,
        )
    return collections


def load_collections(path: Path, channel_orgs: Sequence[str], *, peer_orgs: Sequence[str] = ()) -> dict[str, Collection]:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise CollectionsError(f"cannot read collections config {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise CollectionsError(f"collections config {path} is not JSON: {exc}") from exc
    return parse_collections(data, channel_orgs, source=str(path), peer_orgs=peer_orgs)
