"""The auditor's service as a child process (`emissions auditor serve`), for tests that kill it.

The parent writes the service's config beside the consent stack's data (the same workflow store,
ledger, agent and bill store the in-process service used) and starts a child. A child may carry a
kill point: at the first write of the audit book with that label it SIGKILLs itself, before the
write ("before") or right after it ("after"). That is a real SIGKILL, at a point the test chooses
instead of one a timer happens to hit.

    python -m testkit.auditor_process CONFIG READY_FILE [LABEL WHEN]
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from controllers.auditor import AuditManager, AuditRecord, AuditState
from controllers.ledger import dump_profile
from custody import public_multibase
from testkit.policy import ROOT

__all__ = ["AuditorProcess", "label_of", "write_config"]


def label_of(audit: AuditRecord, state: AuditState, data: dict) -> str:
    """What a write of the audit book does: a move to a state, a period's step, or a plain save."""
    if state != audit.state:
        return str(state)
    for old, new in zip(audit.periods, data.get("periods") or []):
        if old.get("step") != new.get("step"):
            return f"period {new['step']}"
    return "save"


def kill_at(label: str, when: str):
    """A `before_start` hook: SIGKILL this process at the first write labelled `label`."""
    def arm(manager: AuditManager) -> None:
        book = manager.book
        write = book._write

        def dying(audit, state, data, refs):
            hit = label_of(audit, state, data) == label
            if hit and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            written = write(audit, state, data, refs)
            if hit:
                os.kill(os.getpid(), signal.SIGKILL)
            return written

        book._write = dying

    return arm


def write_config(stack, directory: Path, *, operator_key: str) -> Path:
    """The config of a service equal to `stack.auditor` (a testkit consent Stack), with its secrets
    in 0600 files beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    auditor, spec = stack.auditor, stack.network.specs["auditor"]

    def secret(name: str, value: str) -> str:
        path = directory / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        return name

    (directory / "ledger.toml").write_text(dump_profile(auditor.issuer.ledger.profile))
    recipients = "\n".join(f'{r.kid} = "{public_multibase(r.public_key)}"' for r in auditor.issuer.auditor_recipients)
    utilities = "\n".join(f'"{eia}" = "{url}"' for eia, url in auditor.config.utility_urls.items())
    config = directory / "auditor.toml"
    config.write_text(f"""\
data_dir = "{auditor.config.data_dir}"
listen = "127.0.0.1:{spec.controller_port}"
operator_key_file = "{secret('operator.key', operator_key)}"
ledger_profile = "ledger.toml"
bills = "{stack.data_dir / 'bills'}"

[agent]
admin_url = "{stack.network.running['auditor'].admin_url}"
api_key_file = "{secret('admin.key', stack.network.running['auditor'].api_key)}"
webhook_secret_file = "{secret('webhook.key', spec.webhook_secret)}"

[issuer]
did = "{auditor.issuer.settings.auditor_did}"
edition = "{auditor.issuer.settings.edition}"

[recipients]
{recipients}

[utilities]
{utilities}

[timing]
exchange_timeout = {auditor.config.exchange_timeout}
sweep_interval = {auditor.config.sweep_interval}
""")
    return config


class AuditorProcess:
    """One child at a time; `start` waits until it serves, `exited` says how it ended."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.ready = config.parent / "ready"
        self.log = config.parent / "stderr.log"  # a file, not a pipe: a pipe nobody reads fills and blocks the child
        self.process: subprocess.Popen | None = None

    def start(self, kill_point: tuple[str, str] | None = None, *, timeout: float = 30.0) -> None:
        self.ready.unlink(missing_ok=True)
        args = [sys.executable, "-m", "testkit.auditor_process", str(self.config), str(self.ready), *(kill_point or ())]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout
        while not (self.ready.exists() and self.ready.read_text()):
            if self.process.poll() is not None:
                raise AssertionError(f"auditor service exited ({self.process.returncode}): {self._stderr()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("auditor service did not start serving")
            time.sleep(0.05)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _stderr(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""


def _main(argv: list[str]) -> None:
    from emissions.services.auditor import load_service_config, serve_auditor

    config, ready, *point = argv
    hook = kill_at(*point) if point else None
    asyncio.run(serve_auditor(load_service_config(config), ready_file=Path(ready), before_start=hook))


if __name__ == "__main__":
    _main(sys.argv[1:])
