from __future__ import annotations

from pathlib import Path

import pytest

from network.msp import CryptoLayout, default_crypto_config, generate_crypto_material


@pytest.fixture(scope="session")
def crypto(tmp_path_factory: pytest.TempPathFactory) -> CryptoLayout:
    """The default network's material, generated once (read-only for tests)."""
    return generate_crypto_material(tmp_path_factory.mktemp("crypto"), default_crypto_config())


@pytest.fixture
def fresh_crypto(tmp_path: Path) -> CryptoLayout:
    """A private copy tests may damage."""
    return generate_crypto_material(tmp_path / "crypto", default_crypto_config())
