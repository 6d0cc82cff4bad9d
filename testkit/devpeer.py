"""The dev peer as tests and benchmarks run it: two auditor orgs, the probe chaincode, in-process
peers and gateway clients on them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from network.devpeer import DevPeer, DevPeerConfig
from network.devpeer.config import config_from_mapping
from network.gateway import connect, create_channel
from network.msp import MspMember, load_msp

CHANNEL = "utilityemissions"
ORGS = (("Auditor1MSP", "auditor1.example.com"), ("Auditor2MSP", "auditor2.example.com"))
PROBE = "testkit.probe_chaincode:chaincode"
COLLECTIONS = [
    {
        "name": "shared",
        "policy": "OR('Auditor1MSP.member','Auditor2MSP.member')",
        "requiredPeerCount": 0,
        "maxPeerCount": 0,
        "blockToLive": 0,
        "memberOnlyRead": True,
        "memberOnlyWrite": True,
    },
    {
        "name": "auditor2only",
        "policy": "OR('Auditor2MSP.member')",
        "requiredPeerCount": 0,
        "maxPeerCount": 0,
        "blockToLive": 0,
        "memberOnlyRead": True,
        "memberOnlyWrite": False,
    },
    {
        "name": "auditor1only",
        "policy": "OR('Auditor1MSP.member')",
        "requiredPeerCount": 0,
        "maxPeerCount": 0,
        "blockToLive": 0,
        "memberOnlyRead": True,
        "memberOnlyWrite": False,
    },
]


def org_dir(crypto: Path, domain: str) -> Path:
    return crypto / "peerOrganizations" / domain


def user(crypto: Path, msp_id: str, name: str = "User1") -> MspMember:
    domain = dict(ORGS)[msp_id]
    return load_msp(org_dir(crypto, domain) / "users" / f"{name}@{domain}" / "msp", msp_id)


def peer_member(crypto: Path, msp_id: str) -> MspMember:
    domain = dict(ORGS)[msp_id]
    return load_msp(org_dir(crypto, domain) / "peers" / f"peer0.{domain}" / "msp", msp_id)


def config_mapping(crypto: Path, data_dir: Path, **cutting) -> dict:
    collections = data_dir.parent / "collections.json"
    collections.parent.mkdir(parents=True, exist_ok=True)
    collections.write_text(json.dumps(COLLECTIONS))
    return {
        "channel": CHANNEL,
        "data_dir": str(data_dir),
        "listen": {"address": "127.0.0.1:0"},
        "orgs": [
            {
                "msp_id": msp_id,
                "msp_dir": str(org_dir(crypto, domain) / "msp"),
                "peer_msp_dir": str(org_dir(crypto, domain) / "peers" / f"peer0.{domain}" / "msp"),
            }
            for msp_id, domain in ORGS
        ],
        "chaincodes": [
            {"name": "probe", "version": "1.0", "endorsement_policy": "MAJORITY",
             "collections_config": str(collections), "python": PROBE},
            {"name": "other", "version": "1.0", "endorsement_policy": "MAJORITY", "python": PROBE},
        ],
        "block_cutting": {"max_message_count": 10, "preferred_max_bytes": 512 * 1024, "batch_timeout": "50ms", **cutting},
    }


def make_config(crypto: Path, data_dir: Path, **cutting) -> DevPeerConfig:
    return config_from_mapping(config_mapping(crypto, data_dir, **cutting), data_dir)


@dataclass
class Client:
    peer: DevPeer
    crypto: Path
    channels: list

    def gateway(self, msp_id: str = "Auditor1MSP", name: str = "User1", member: MspMember | None = None):
        member = member or user(self.crypto, msp_id, name)
        channel = create_channel(self.peer.address)
        self.channels.append(channel)
        return connect(channel, member.identity, member.signer)

    def contract(self, chaincode: str = "probe", **kwargs):
        return self.gateway(**kwargs).network(CHANNEL).contract(chaincode)


async def start_peer(crypto: Path, data_dir: Path, **cutting) -> DevPeer:
    peer = DevPeer(make_config(crypto, data_dir, **cutting))
    await peer.start()
    return peer


def config_toml(mapping: dict) -> str:
    """A dev peer config mapping as the TOML file `emissions devpeer serve` reads."""
    lines = [f"channel = {json.dumps(mapping['channel'])}", f"data_dir = {json.dumps(mapping['data_dir'])}"]
    lines += ["[listen]", f"address = {json.dumps(mapping['listen']['address'])}"]
    lines += ["[block_cutting]"] + [f"{k} = {json.dumps(v)}" for k, v in mapping["block_cutting"].items()]
    for org in mapping["orgs"]:
        lines += ["[[orgs]]"] + [f"{k} = {json.dumps(v)}" for k, v in org.items()]
    for cc in mapping["chaincodes"]:
        lines += ["[[chaincodes]]"] + [f"{k} = {json.dumps(v)}" for k, v in cc.items()]
    return "\n".join(lines) + "\n"
