"""`emissions auditor serve`: a config that cannot work is refused in one line naming the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emissions.services.auditor import ServiceConfigError, load_service_config
from testkit.policy import ROOT

GOOD = """\
data_dir = "auditor"
listen = "127.0.0.1:9031"
operator_key_file = "operator.key"
ledger_profile = "ledger.toml"
bills = "bills"

[agent]
admin_url = "http://127.0.0.1:8031"
api_key_file = "admin.key"
webhook_secret_file = "webhook.key"

[issuer]
did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
edition = "eGRID2023"

[recipients]
Auditor1MSP = "z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"

[utilities]
"14328" = "http://127.0.0.1:9001"

[timing]
sweep_interval = 2
"""


def write(tmp_path: Path, text: str = GOOD, **secrets: str) -> Path:
    for name, value in {"operator.key": "op", "admin.key": "api", "webhook.key": "hook", **secrets}.items():
        (tmp_path / name).write_text(value + "\n")
        (tmp_path / name).chmod(0o600)
    config = tmp_path / "auditor.toml"
    config.write_text(text)
    return config


def test_a_good_config_resolves_paths_beside_it_and_reads_the_secrets(tmp_path):
    config = load_service_config(write(tmp_path))
    assert (config.data_dir, config.bills, config.ledger_profile) == (
        tmp_path / "auditor", tmp_path / "bills", tmp_path / "ledger.toml")
    assert (config.host, config.port, config.api_key, config.webhook_secret, config.operator_key) == (
        "127.0.0.1", 9031, "api", "hook", "op")
    assert (config.sweep_interval, config.exchange_timeout) == (2.0, 60.0)
    assert "api" not in repr(config) and "hook" not in repr(config)  # secrets stay out of logs


@pytest.mark.parametrize(("change", "named"), [
    (lambda t: "colour = 'blue'\n" + t, "unknown key(s) colour"),
    (lambda t: t + "sweep = 3\n", "unknown key(s) in [timing]: sweep"),
    (lambda t: t.replace('listen = "127.0.0.1:9031"', 'listen = "9031"'), "listen must be host:port"),
    (lambda t: t.replace('api_key_file = "admin.key"', 'api_key_file = "missing.key"'), "agent.api_key_file"),
    (lambda t: t.replace('Auditor1MSP = "z6LS', 'Auditor1MSP = "6LS'), "[recipients]"),
    (lambda t: t.replace("sweep_interval = 2", "sweep_interval = -1"), "timing.sweep_interval"),
    (lambda t: t.replace("sweep_interval = 2", "sweep_interval = true"), "timing.sweep_interval"),
    (lambda t: t.replace('did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"\n', ""), "issuer.did"),
    (lambda t: t.replace("[agent]", "[agent"), "not valid TOML"),
])
def test_a_bad_config_names_what_is_wrong(tmp_path, change, named):
    with pytest.raises(ServiceConfigError) as refused:
        load_service_config(write(tmp_path, change(GOOD)))
    assert named in str(refused.value)


def test_a_secret_others_can_read_is_refused(tmp_path):
    config = write(tmp_path)
    (tmp_path / "admin.key").chmod(0o644)
    with pytest.raises(ServiceConfigError, match="admin.key is accessible to others \\(mode 0644\\); chmod 600"):
        load_service_config(config)


def test_an_empty_secret_file_is_refused(tmp_path):
    with pytest.raises(ServiceConfigError, match="webhook.key is empty"):
        load_service_config(write(tmp_path, **{"webhook.key": ""}))


def test_the_command_reports_a_bad_config_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "emissions", "auditor", "serve", "--config", str(tmp_path / "none.toml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"emissions: error: auditor: cannot read {tmp_path / 'none.toml'}: "
                                                "No such file or directory"]
