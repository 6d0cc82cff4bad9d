"""Passwords: stored only as memory-hard scrypt hashes, checked in constant time.

A stolen database must not give the passwords back cheaply, so each one is hashed with scrypt
(32 MiB per guess at n=2**15, r=8) under its own random salt. The stored string names the
algorithm and its parameters (`scrypt$n$r$p$salt$hash`), so the cost can be raised later while
old hashes still verify. The KDF takes tens of milliseconds of CPU: async code uses the `_async`
forms, which run it on a worker thread, and at most a few run at once so a burst of sign-ins
cannot take the memory of the machine.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import os
import threading

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = ["hash_password", "verify_password", "hash_password_async", "verify_password_async",
           "check_new_password", "PasswordPolicyError", "MIN_LENGTH", "MAX_LENGTH"]

N, R, P = 2**15, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 10
MAX_LENGTH = 1024
_MAX_N = 2**20  # a stored hash asking for more memory than this is not one of ours

# Each scrypt run holds 128*r*n bytes (32 MiB here); bound how many run at once.
_KDF_SLOTS = threading.BoundedSemaphore(4)


class PasswordPolicyError(ValueError):
    """A new password the policy refuses; str() is one sentence to show the person."""


def check_new_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        raise PasswordPolicyError(f"The password must be at most {MAX_LENGTH} characters long.")


def _kdf(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    with _KDF_SLOTS:
        return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(password.encode("utf-8"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_password(password: str) -> str:
    if not isinstance(password, str):
        raise TypeError("password must be a string")
    salt = os.urandom(SALT_BYTES)
    key = _kdf(password, salt, N, R, P, KEY_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` is the one `encoded` was made from; False for anything else, including
    a malformed or foreign `encoded` string."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH or not isinstance(encoded, str):
        return False
    try:
        scheme, n_text, r_text, p_text, salt_text, key_text = encoded.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, expected = _unb64(salt_text), _unb64(key_text)
    except (ValueError, binascii.Error):
        return False
    if scheme != "scrypt" or not (1 < n <= _MAX_N and n & (n - 1) == 0) or not (1 <= r <= 32) \
            or not (1 <= p <= 16) or not salt or not (16 <= len(expected) <= 64):
        return False
    try:
        actual = _kdf(password, salt, n, r, p, len(expected))
    except ValueError:  # parameters OpenSSL refuses
        return False
    return hmac.compare_digest(actual, expected)


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password: str, encoded: str) -> bool:
    return await asyncio.to_thread(verify_password, password, encoded)
