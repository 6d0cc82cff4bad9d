"""The customer's X25519 key-agreement key: bills are encrypted to its public half.

The private key lives in one file readable by the controller's user only (0600), written
atomically so a crash never leaves a half key behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from controllers.consent import multibase


@dataclass(frozen=True)
class KeyAgreementKey:
    private: X25519PrivateKey

    @property
    def public_multibase(self) -> str:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return multibase.encode(multibase.X25519_PUB, raw)


def load_or_create(path: Path) -> KeyAgreementKey:
    """The key stored at `path`, creating it (mode 0600) on first use."""
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise PermissionError(f"key file {path.name} is readable by others (mode {mode:o}); expected 0600")
        return KeyAgreementKey(X25519PrivateKey.from_private_bytes(path.read_bytes()))
    key = X25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, raw)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return KeyAgreementKey(key)
