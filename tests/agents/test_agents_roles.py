"""Per-role agent configuration: only the auto-flags a role needs, secrets kept out of argv."""

from __future__ import annotations

import stat

import pytest

from agents import ROLE_NAMES, AgentPorts, agent_specs, role


def test_auto_flags_per_role():
    customer = set(role("customer").args)
    # A person decides everything the customer's wallet does, except storing what it asked for.
    assert customer == {"--auto-store-credential"}
    assert "--auto-accept-requests" in role("auditor").args and "--auto-accept-requests" in role("verifier").args
    for r in ROLE_NAMES:
        args = role(r).args
        assert "--auto-respond-presentation-request" not in args
        assert "--auto-respond-credential-request" not in args
        assert all(f.reason for f in (*role(r).flags, *role(r).withheld))
    with pytest.raises(ValueError, match="unknown agent role 'bank'"):
        role("bank")


def test_specs_layout_and_secrets(tmp_path):
    specs = agent_specs(tmp_path, base_port=30000)
    assert [s.role for s in specs.values()] == list(ROLE_NAMES)
    assert (specs["utility"].inbound_port, specs["utility"].admin_port, specs["utility"].controller_port) == (30000, 30001, 31001)
    assert specs["verifier"].admin_url == "http://127.0.0.1:30031"
    spec = specs["customer"]
    argv = " ".join(spec.argv())
    for needed in ("--no-ledger", "--wallet-type askar", "--wallet-key-derivation-method RAW", "--preserve-exchange-records",
                   "--plugin agents.jsonld_plugin", "--admin 127.0.0.1 30011", "--endpoint http://127.0.0.1:30010"):
        assert needed in argv
    assert "--wallet-test" not in argv
    for secret in (spec.api_key, spec.wallet_key, spec.webhook_secret):
        assert secret not in argv and secret not in repr(spec)
    env = spec.env({})
    assert env["ACAPY_WEBHOOK_URL"] == f"http://127.0.0.1:31011/webhooks#{spec.webhook_secret}"
    assert env["ACAPY_HOME"].startswith(str(tmp_path))
    assert stat.S_IMODE((tmp_path / "customer" / "secrets.json").stat().st_mode) == 0o600
    # Secrets are stable across calls (an agent reopens its wallet after `down`/`up`).
    assert agent_specs(tmp_path, base_port=30000)["customer"].wallet_key == spec.wallet_key


def test_webhook_override_and_bad_input(tmp_path):
    ports = {"customer": AgentPorts(40000, 40001, 40002)}
    spec = agent_specs(tmp_path, ports=ports, roles=("customer",), webhook_urls={"customer": "http://127.0.0.1:5000/hooks#s3cret"})["customer"]
    assert spec.webhook_url == "http://127.0.0.1:5000/hooks" and spec.webhook_secret == "s3cret"
    with pytest.raises(ValueError, match="webhook URL for customer must be http"):
        agent_specs(tmp_path, ports=ports, roles=("customer",), webhook_urls={"customer": "ftp://x"})
    with pytest.raises(ValueError, match="must differ"):
        AgentPorts(1, 1, 2)
    with pytest.raises(ValueError, match="base port 10"):
        agent_specs(tmp_path, base_port=10)
    (tmp_path / "customer" / "secrets.json").chmod(0o644)
    with pytest.raises(PermissionError, match="readable by others"):
        agent_specs(tmp_path, ports=ports, roles=("customer",))
