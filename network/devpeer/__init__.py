"""A single-process, Fabric-compatible dev peer: the Gateway service, per-org endorsement over the
chaincode shim protocol, a solo block cutter, Fabric's commit-time validation and a SQLite ledger."""

from network.devpeer.config import (
    BlockCuttingConfig,
    CcaasConfig,
    ChaincodeConfig,
    ConfigError,
    DevPeerConfig,
    ListenConfig,
    OrgConfig,
    load_config,
)
from network.devpeer.peer import DevPeer, run_devpeer

__all__ = [
    "DevPeerConfig",
    "ListenConfig",
    "OrgConfig",
    "ChaincodeConfig",
    "CcaasConfig",
    "BlockCuttingConfig",
    "ConfigError",
    "load_config",
    "DevPeer",
    "run_devpeer",
]
