"""`CustomerDirectory`: who has a wallet here, and how they sign in.

One record per customer (kind "customer", keyed by the lower-cased username, filed under its
sub-wallet id so a webhook's `x-wallet-id` finds its owner) holding the password's scrypt hash and
the id of the customer's sub-wallet in the multitenant agent. A name is reserved ("creating")
before the sub-wallet is made, so two sign-ups for one name cannot both get a wallet; a reservation
a crash left behind is released when the host starts. Usernames stay in this file: agents, ledger,
logs and URLs know a customer only by its sub-wallet id and DIDs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from controllers.workflow import WorkflowStore

__all__ = ["CustomerDirectory", "CustomerEntry", "UsernameError", "CUSTOMER", "normalise_username"]

CUSTOMER = "customer"
_CREATING, _ACTIVE = "creating", "active"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")


class UsernameError(ValueError):
    """A username that cannot be used; the message says why in one sentence."""


@dataclass(frozen=True)
class CustomerEntry:
    username: str
    wallet_id: str
    password_hash: str


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise UsernameError("A username is 3 to 64 letters, digits, dots, dashes or underscores, "
                            "starting with a letter or digit.")
    return name


class CustomerDirectory:
    def __init__(self, store: WorkflowStore) -> None:
        self.store = store

    def reserve(self, username: str, password_hash: str) -> bool:
        """Hold `username` for a sign-up in progress; False if it is taken."""
        _, created = self.store.put_if_absent(CUSTOMER, username, _CREATING, {"password_hash": password_hash})
        return created

    def activate(self, username: str, wallet_id: str) -> CustomerEntry:
        record = self.store.get(CUSTOMER, username)
        if record is None or record.state != _CREATING:
            raise UsernameError("That sign-up is no longer in progress.")
        data = {**record.data, "wallet_id": wallet_id}
        self.store.update(CUSTOMER, username, expected_version=record.version, state=_ACTIVE, data=data,
                          refs=[wallet_id])
        return CustomerEntry(username, wallet_id, data["password_hash"])

    def release(self, username: str) -> None:
        """Give up a reservation whose sub-wallet was never made."""
        record = self.store.get(CUSTOMER, username)
        if record is not None and record.state == _CREATING:
            self.store.delete(CUSTOMER, username)

    def release_stale(self) -> int:
        """Reservations a crash left behind (at start, when no sign-up can be running)."""
        stale = self.store.list(CUSTOMER, states=[_CREATING])
        for record in stale:
            self.store.delete(CUSTOMER, record.key)
        return len(stale)

    def get(self, username: str) -> CustomerEntry | None:
        record = self.store.get(CUSTOMER, username)
        if record is None or record.state != _ACTIVE:
            return None
        return CustomerEntry(record.key, record.data["wallet_id"], record.data["password_hash"])

    def by_wallet(self, wallet_id: str) -> CustomerEntry | None:
        record = self.store.find(CUSTOMER, wallet_id)
        if record is None or record.state != _ACTIVE:
            return None
        return CustomerEntry(record.key, record.data["wallet_id"], record.data["password_hash"])

    def all(self) -> list[CustomerEntry]:
        return [CustomerEntry(r.key, r.data["wallet_id"], r.data["password_hash"])
                for r in self.store.list(CUSTOMER, states=[_ACTIVE])]
