"""Per-agent secrets, generated once and kept 0600 in the agent's data directory.

The wallet key (a raw 256-bit key: RAW derivation skips argon2, which dominates start-up), the admin
API key and the webhook secret survive restarts, so an agent reopens its wallet and its controller
keeps authenticating across `down`/`up`. They reach ACA-Py through the environment, not the command
line, because argv is world-readable in /proc.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import base58

__all__ = ["AgentSecrets", "load_or_create_secrets", "SECRETS_FILE"]

SECRETS_FILE = "secrets.json"


@dataclass(frozen=True)
class AgentSecrets:
    wallet_key: str
    admin_api_key: str
    webhook_secret: str
    jwt_secret: str  # signs a multitenant agent's sub-wallet tokens

    def __repr__(self) -> str:
        return "AgentSecrets(<redacted>)"


def _generate() -> AgentSecrets:
    return AgentSecrets(
        wallet_key=base58.b58encode(secrets.token_bytes(32)).decode("ascii"),
        admin_api_key=secrets.token_urlsafe(32),
        webhook_secret=secrets.token_urlsafe(32),
        jwt_secret=secrets.token_urlsafe(32),
    )


def load_or_create_secrets(role_dir: Path) -> AgentSecrets:
    path = role_dir / SECRETS_FILE
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise PermissionError(f"{path} is readable by others (mode {mode:o}); expected 0600")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found = {k: str(data[k]) for k in ("wallet_key", "admin_api_key", "webhook_secret")}
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a valid agent secrets file: {exc}") from exc
        if not data.get("jwt_secret"):  # written before agents had one: add it, keep the rest
            found["jwt_secret"] = secrets.token_urlsafe(32)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(found, f)
            os.replace(tmp, path)
            return AgentSecrets(**found)
        return AgentSecrets(**found, jwt_secret=str(data["jwt_secret"]))
    role_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = _generate()
    # O_EXCL: two concurrent `up`s must not each write (and then use) different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_secrets(role_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(asdict(created), f)
    return created
