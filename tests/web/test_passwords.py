"""Passwords are stored as salted scrypt hashes that carry their own parameters."""

from __future__ import annotations

import base64
import threading

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from controllers.web import passwords
from controllers.web.passwords import (PasswordPolicyError, check_new_password, hash_password, hash_password_async,
                                       verify_password, verify_password_async)

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(PASSWORD)


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def test_the_hash_verifies_the_password_and_nothing_else(stored):
    assert verify_password(PASSWORD, stored)
    for wrong in ("correct horse batterY", "", PASSWORD + " ", PASSWORD[:-1]):
        assert not verify_password(wrong, stored), wrong
    assert PASSWORD not in stored


def test_the_encoding_names_scrypt_its_parameters_a_salt_and_the_key(stored):
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")
    assert len(_unb64(salt)) == 16 and len(_unb64(key)) == 32
    # A fresh salt each time: the same password never hashes to the same string.
    assert hash_password(PASSWORD) != stored


def test_verification_reads_the_parameters_from_the_stored_string():
    """So the cost can be raised later while hashes made with the old parameters still verify."""
    salt = b"0123456789abcdef"
    key = Scrypt(salt=salt, length=32, n=2**10, r=4, p=1).derive(PASSWORD.encode())
    old = f"scrypt$1024$4$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert verify_password(PASSWORD, old)
    assert not verify_password("another password", old)
    assert not verify_password(PASSWORD, old.replace("$4$", "$8$", 1))  # other parameters, other key


def test_a_tampered_or_malformed_encoding_verifies_nothing(stored):
    scheme, n, r, p, salt, key = stored.split("$")
    flipped = base64.b64encode(bytes([_unb64(key)[0] ^ 1]) + _unb64(key)[1:]).decode().rstrip("=")
    for bad in ("", "scrypt", f"bcrypt${n}${r}${p}${salt}${key}", f"scrypt$1000${r}${p}${salt}${key}",
                f"scrypt${n}${r}${p}$!!!${key}", f"scrypt${n}${r}${p}${salt}${flipped}",
                f"scrypt${2**30}${r}${p}${salt}${key}", stored + "$x"):
        assert not verify_password(PASSWORD, bad), bad


def test_the_policy_names_the_problem_in_one_sentence():
    check_new_password("a" * 10)
    check_new_password("a" * 1024)
    with pytest.raises(PasswordPolicyError, match=r"^The password must be at least 10 characters long\.$"):
        check_new_password("a" * 9)
    with pytest.raises(PasswordPolicyError, match=r"^The password must be at most 1024 characters long\.$"):
        check_new_password("a" * 1025)
    assert issubclass(PasswordPolicyError, ValueError)


async def test_the_async_forms_run_the_kdf_off_the_event_loop(monkeypatch):
    threads = []

    def fake_kdf(password, salt, n, r, p, length):
        threads.append(threading.get_ident())
        return bytes(length)

    monkeypatch.setattr(passwords, "_kdf", fake_kdf)
    encoded = await hash_password_async(PASSWORD)
    assert await verify_password_async(PASSWORD, encoded)
    assert len(threads) == 2 and threading.get_ident() not in threads


async def test_the_async_forms_agree_with_the_sync_ones(stored):
    assert await verify_password_async(PASSWORD, stored)
    assert not await verify_password_async("wrong password", stored)
