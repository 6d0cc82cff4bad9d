from __future__ import annotations

import pytest
from network.msp import CryptoLayout, MspMember, default_crypto_config, generate_crypto_material, load_msp


@pytest.fixture(scope="session")
def crypto(tmp_path_factory: pytest.TempPathFactory) -> CryptoLayout:
    return generate_crypto_material(tmp_path_factory.mktemp("crypto"), default_crypto_config())


@pytest.fixture(scope="session")
def client(crypto: CryptoLayout) -> MspMember:
    return load_msp(crypto.org("Auditor1MSP").user("User1").msp_dir, "Auditor1MSP")


@pytest.fixture(scope="session")
def peer(crypto: CryptoLayout) -> MspMember:
    return load_msp(crypto.org("Auditor1MSP").peers[0].msp_dir, "Auditor1MSP")
