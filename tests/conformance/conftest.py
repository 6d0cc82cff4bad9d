"""Fixtures of the conformance suite: crypto material, one dev peer per chaincode flavour, and the
scenario results of each client against it (every scenario runs once per peer and client; the tests
then assert on the recorded facts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.harness import CHAINCODE_KINDS, CLIENTS, ScenarioRun, params, run_client, start_peer, stop_peer


@pytest.fixture(scope="session")
def crypto_dir(tmp_path_factory) -> Path:
    from network.msp import generate_crypto_material

    out = tmp_path_factory.mktemp("crypto")
    generate_crypto_material(out)
    return out


@pytest.fixture(scope="module", params=params(CHAINCODE_KINDS, "chaincode"))
def peer_under_test(request, crypto_dir, tmp_path_factory):
    under_test = start_peer(request.param, crypto_dir, tmp_path_factory.mktemp(request.param))
    yield under_test
    stop_peer(under_test)


@pytest.fixture(scope="module", params=params(CLIENTS, "client"))
def results(request, peer_under_test) -> ScenarioRun:
    """Every scenario, run once by one client against one peer; each test asserts one scenario."""
    client = request.param
    return ScenarioRun(client, peer_under_test, run_client(client, peer_under_test.client_config(client)))
