"""The network's settings without starting anything: binaries, ports, policies, profiles."""

from __future__ import annotations

import pytest
import yaml

from network.fabric import FabricError, NetworkLayout, locate_fabric
from network.fabric.config import CHANNEL_PROFILE, write_configtx
from network.fabric.layout import PORT_SPAN
from network.fabric.network import ephemeral_overlap
from network.ports import ephemeral_range
from network.fabric.profiles import profile_specs


def test_missing_binaries_are_one_line_that_says_how_to_get_them(tmp_path):
    with pytest.raises(FabricError, match="no Fabric binaries at .*install-fabric.sh"):
        locate_fabric(tmp_path / "nowhere")
    (tmp_path / "bin").mkdir()
    with pytest.raises(FabricError, match="lacks peer, orderer, osnadmin"):
        locate_fabric(env={"FABRIC_BIN": str(tmp_path / "bin")})


def test_every_port_is_distinct_loopback_and_within_the_span(tmp_path):
    layout = NetworkLayout.open(tmp_path, 30000, 3)
    ports = [p for group in layout.ports_of_processes().values() for p in group]
    assert len(ports) == len(set(ports)) and all(30000 <= p < 30000 + PORT_SPAN for p in ports)


def test_ports_in_the_kernels_ephemeral_range_get_a_notice_that_names_a_safe_base_port(tmp_path):
    ephemeral = ephemeral_range()
    inside = NetworkLayout.open(tmp_path / "inside", ephemeral.start + 1000, 3)
    notice = ephemeral_overlap(inside)
    assert notice and f"({ephemeral.start}-{ephemeral.stop - 1})" in notice
    assert f"below {ephemeral.start - PORT_SPAN + 1}" in notice
    straddling = NetworkLayout.open(tmp_path / "straddling", ephemeral.start - PORT_SPAN + 1, 3)
    assert ephemeral_overlap(straddling)
    assert ephemeral_overlap(NetworkLayout.open(tmp_path / "default")) is None  # 7050: the default stays clear
    assert ephemeral_overlap(NetworkLayout.open(tmp_path / "below", ephemeral.start - PORT_SPAN, 3)) is None


def test_a_network_keeps_the_ports_and_orderers_it_was_created_with(tmp_path):
    NetworkLayout.open(tmp_path, 30000, 1).save()
    assert NetworkLayout.open(tmp_path) == NetworkLayout(tmp_path.resolve(), 30000, 1)
    with pytest.raises(FabricError, match="created with base port 30000, not 31000"):
        NetworkLayout.open(tmp_path, 31000)


def test_channel_policies_orderer_org_members_and_anchor_peers(tmp_path):
    layout = NetworkLayout.open(tmp_path, 30000, 3)
    profile = yaml.safe_load(write_configtx(layout).read_text())["Profiles"][CHANNEL_PROFILE]
    operator = profile["Orderer"]["Organizations"][0]
    assert operator["Policies"]["Writers"]["Rule"] == "OR('OperatorMSP.member')"
    assert len(profile["Orderer"]["EtcdRaft"]["Consenters"]) == 3
    members = {o["ID"]: o for o in profile["Application"]["Organizations"]}
    assert set(members) == {"Auditor1MSP", "Auditor2MSP", "VerifierMSP"}
    assert members["Auditor2MSP"]["AnchorPeers"] == [{"Host": "127.0.0.1", "Port": 30040}]
    assert "AnchorPeers" not in members["VerifierMSP"]
    assert profile["Application"]["Policies"]["Endorsement"]["Rule"] == "MAJORITY Endorsement"


def test_profiles_for_every_org_and_client(tmp_path):
    specs = {s.file_name: s for s in profile_specs(NetworkLayout.open(tmp_path, 30000, 3))}
    assert set(specs) == {"Auditor1MSP.toml", "Auditor1MSP-Admin.toml", "Auditor2MSP.toml", "Auditor2MSP-Admin.toml",
                          "VerifierMSP.toml", "VerifierMSP-Admin.toml"}
    assert specs["VerifierMSP.toml"].gateway == specs["Auditor1MSP.toml"].gateway == "127.0.0.1:30030"
    assert specs["Auditor2MSP-Admin.toml"].msp_dir.parts[-2:] == ("Admin", "msp")
