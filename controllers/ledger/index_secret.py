"""The customer index secret on the client side: made once by the first founding org, kept in a
file readable by its owner only, presented to the chaincode as transient data at Bootstrap.

Losing it does not lose records, but whoever holds it (and the collection) can link a guessed
customer to its private index entry, so it is as sensitive as the collection itself.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from chaincode.emissions.interface import INDEX_SECRET_BYTES as SECRET_BYTES, TRANSIENT_INDEX_SECRET as TRANSIENT_KEY

__all__ = ["SECRET_BYTES", "TRANSIENT_KEY", "SecretFileError", "check_secret", "new_secret", "read_secret_file",
           "create_secret_file"]


class SecretFileError(ValueError):
    """The secret file is unusable; the message names the file and the problem."""


def check_secret(secret: bytes) -> bytes:
    if not isinstance(secret, bytes) or len(secret) != SECRET_BYTES:
        raise ValueError(f"the customer index secret must be {SECRET_BYTES} bytes")
    return secret


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def read_secret_file(path: Path) -> bytes:
    """The secret from `path`: 64 hex characters, in a file no one but its owner may read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretFileError(f"cannot read the index secret file {path}: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretFileError(f"the index secret file {path} is accessible to others (mode {stat.S_IMODE(mode):04o}); "
                              f"chmod 600 {path}")
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != SECRET_BYTES:
        raise SecretFileError(f"the index secret file {path} must hold {SECRET_BYTES * 2} hex characters")
    return secret


def create_secret_file(path: Path) -> bytes:
    """A new random secret written to `path` (created with mode 0600; never overwrites)."""
    secret = new_secret()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SecretFileError(f"cannot create the index secret file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    return secret
