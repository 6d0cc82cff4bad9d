"""Membership service providers: loading MSP folders (signing and verifying) and generating
cryptogen-style crypto material for a network."""

from network.msp.crypto_config import (
    DEFAULT_CONFIG_PATH,
    CryptoConfig,
    OrgSpec,
    default_crypto_config,
    load_crypto_config,
    parse_crypto_config,
)
from network.msp.cryptogen import generate_crypto_material
from network.msp.errors import MspError
from network.msp.layout import CryptoLayout, NodeLayout, OrgLayout, crypto_layout
from network.msp.member import MspMember, load_msp
from network.msp.nodeous import ROLES, NodeOUs, OuIdentifier, read_node_ous
from network.msp.org import OrgMsp, load_org_msp

__all__ = [
    "MspError",
    "MspMember",
    "load_msp",
    "OrgMsp",
    "load_org_msp",
    "ROLES",
    "NodeOUs",
    "OuIdentifier",
    "read_node_ous",
    "CryptoConfig",
    "OrgSpec",
    "load_crypto_config",
    "parse_crypto_config",
    "default_crypto_config",
    "DEFAULT_CONFIG_PATH",
    "generate_crypto_material",
    "crypto_layout",
    "CryptoLayout",
    "OrgLayout",
    "NodeLayout",
]
