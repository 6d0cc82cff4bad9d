"""The customer's X25519 key-agreement key: bills are encrypted to its public half.

Stored in bill custody's private-key format (a private JWK, 0600, written atomically), so the key
a consent names is the very file that later decrypts the customer's bills.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from custody.keys import generate_private_key, load_private_key, public_multibase, save_private_key


@dataclass(frozen=True)
class KeyAgreementKey:
    private: X25519PrivateKey

    @property
    def public_multibase(self) -> str:
        return public_multibase(self.private.public_key())


def load_or_create(path: Path) -> KeyAgreementKey:
    """The key stored at `path`, creating it (mode 0600) on first use; refuses a file others can read."""
    if path.exists():
        return KeyAgreementKey(load_private_key(path))
    key = generate_private_key()
    save_private_key(key, path)
    return KeyAgreementKey(key)
