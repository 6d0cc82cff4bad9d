"""Where the Fabric binaries are: --fabric-bin, then $FABRIC_BIN, then ../shared/fabric/bin.

The folder is `bin/` of Fabric's release layout (what `install-fabric.sh binary` unpacks): its
sibling `config/` holds the sample core.yaml / orderer.yaml this package derives its settings from,
and `builders/ccaas/` the chaincode-as-a-service builder the peers run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from network.fabric.errors import FabricError

__all__ = ["BINARIES", "PROJECT_ROOT", "FabricDist", "locate_fabric"]

BINARIES = ("peer", "orderer", "osnadmin", "configtxgen", "fabric-ca-server", "fabric-ca-client")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class FabricDist:
    bin_dir: Path

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    @property
    def config_dir(self) -> Path:
        return self.bin_dir.parent / "config"

    @property
    def ccaas_builder(self) -> Path:
        return self.bin_dir.parent / "builders" / "ccaas"


def locate_fabric(explicit: str | Path | None = None, *, env: Mapping[str, str] | None = None,
                  project_root: Path = PROJECT_ROOT) -> FabricDist:
    """The Fabric release to use; FabricError naming what is missing and how to get it."""
    env = os.environ if env is None else env
    if explicit:
        folder, source = Path(explicit), "--fabric-bin"
    elif env.get("FABRIC_BIN"):
        folder, source = Path(env["FABRIC_BIN"]), "FABRIC_BIN"
    else:
        folder, source = project_root.parent / "shared" / "fabric" / "bin", "the default"
    folder = folder.expanduser().resolve()
    hint = ("get Fabric 2.5 with `curl -sSLO https://raw.githubusercontent.com/hyperledger/fabric/main/scripts/"
            "install-fabric.sh && bash install-fabric.sh --fabric-version 2.5.16 binary` (it unpacks ./bin, ./config, "
            "./builders) and pass --fabric-bin ./bin (or set FABRIC_BIN)")
    if not folder.is_dir():
        raise FabricError(f"no Fabric binaries at {folder} ({source}): {hint}")
    missing = [name for name in BINARIES if not os.access(folder / name, os.X_OK)]
    if missing:
        raise FabricError(f"{folder} ({source}) lacks {', '.join(missing)}: {hint}")
    dist = FabricDist(folder)
    for needed in (dist.config_dir / "core.yaml", dist.config_dir / "orderer.yaml", dist.ccaas_builder / "bin" / "build"):
        if not needed.exists():
            raise FabricError(f"{needed} is missing: the release layout has bin/, config/ and builders/ccaas/ side by side")
    return dist


def fabric_available(explicit: str | Path | None = None) -> str | None:
    """None when the binaries are usable, else the reason (for tests that skip or fail on it)."""
    try:
        locate_fabric(explicit)
    except FabricError as exc:
        return str(exc)
    return None
