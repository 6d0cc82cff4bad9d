"""Session fixtures every test package may use; the policy itself is in testkit.policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.fabric import fabric_network  # noqa: F401 - one real network per session, for every package that needs it
from testkit.policy import SHARED, require


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fabric_too: runs against the dev peer and again against the real Fabric "
                                       "network (tests/emissions_chaincode's `network` fixture)")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    require(SHARED.is_dir(), f"../shared not found beside the project ({SHARED})")
    return SHARED
