"""The test policy every test and benchmark shares.

A test that needs an outside dependency (Node, a running service) calls `require(...)`: locally it
skips with the reason, under CI=true it fails, so CI never passes by silently skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent  # the project
SHARED = ROOT.parent / "shared"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI, when `condition` is false."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"missing dependency in CI: {reason}")
    pytest.skip(reason)


def node20_problem(purpose: str) -> str | None:
    """Why Node.js 20 cannot run `purpose` here (not on PATH, another version), or None."""
    node = shutil.which("node")
    if node is None:
        return f"node is not on PATH (Node.js 20 is needed for {purpose})"
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if not version.startswith("v20."):
        return f"Node 20 is needed for {purpose}, found {version or 'no version'}"
    return None
