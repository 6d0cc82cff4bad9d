"""The Gateway over TLS: server certificate from the org's TLS CA, host name checked against the peer's
name (server name override, as clients dialling loopback do in fabric-samples)."""

from __future__ import annotations

import pytest

from tests.conformance.harness import CLIENTS, params, run_client, start_peer, stop_peer

pytestmark = pytest.mark.slow

GRPC_UNAVAILABLE = 14


@pytest.fixture(scope="module")
def tls_peer(crypto_dir, tmp_path_factory):
    under_test = start_peer("python-inprocess", crypto_dir, tmp_path_factory.mktemp("tls"), tls=True)
    yield under_test
    stop_peer(under_test)


@pytest.mark.parametrize("client", params(CLIENTS, "client"))
def test_evaluate_submit_and_events_over_tls(tls_peer, client):
    config = tls_peer.client_config(client)
    outcome = run_client(client, config, ("evaluate", "submit", "events"))
    assert outcome["evaluate"] == {"whoami": "Auditor1MSP"}, outcome
    assert outcome["submit"].get("value") == "value-1", outcome["submit"]
    events = outcome["events"]
    assert "crashed" not in events, events
    assert [e["payload"] for e in events["fromBlock"]] == ["payload-1", "payload-2"]


@pytest.mark.parametrize("client", params(CLIENTS, "client"))
def test_plaintext_client_cannot_talk_to_a_tls_peer(tls_peer, client):
    config = tls_peer.client_config(client)
    del config["tlsCaCertPath"], config["serverNameOverride"]
    outcome = run_client(client, config, ("evaluate",))
    assert outcome["evaluate"]["crashed"]["code"] == GRPC_UNAVAILABLE, outcome


@pytest.mark.parametrize("client", params(CLIENTS, "client"))
def test_server_name_is_verified(tls_peer, client):
    config = tls_peer.client_config(client)
    config["serverNameOverride"] = "peer0.auditor2.example.com"  # not in the server certificate
    outcome = run_client(client, config, ("evaluate",))
    assert outcome["evaluate"]["crashed"]["code"] == GRPC_UNAVAILABLE, outcome
