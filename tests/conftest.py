"""Session fixtures every test package may use; the policy itself is in testkit.policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.policy import SHARED, require


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    require(SHARED.is_dir(), f"../shared not found beside the project ({SHARED})")
    return SHARED
