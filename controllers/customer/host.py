"""`WalletHost`: the customer service hosts one wallet per customer.

Each customer is a sub-wallet of the multitenant customer agent (its own DIDs, keys, connections
and credentials) with a `CustomerWallet` controller of its own: its records in the service's store
(`<data>/customers.sqlite3`, scoped to the sub-wallet), its bill key under `<data>/wallets/<wallet id>/`. Signing up creates the sub-wallet; signing in opens the customer's
controller and nobody else's. The agent posts every sub-wallet's webhooks to this one service with
an `x-wallet-id` header, and the host hands each to its wallet's controller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from controllers.acapy import AcaPyAdmin, AdminApiError, WebhookEvent
from controllers.customer.directory import CustomerDirectory, UsernameError, normalise_username
from controllers.customer.store import CustomerStore
from controllers.customer.wallet import CustomerConfig, CustomerWallet
from controllers.web.passwords import (PasswordPolicyError, check_new_password, hash_password_async,
                                       verify_password_async)
from controllers.web.signin import SignUpRefused
from controllers.workflow import WorkflowStore
from custody import ContentStore

LOG = logging.getLogger(__name__)

__all__ = ["HostConfig", "WalletHost", "ACTIVE_SECONDS", "IDLE_PER_SWEEP"]

ACTIVE_SECONDS = 120.0  # a wallet with an event or a use this recently is swept every time
IDLE_PER_SWEEP = 4  # other wallets swept each time, in turn



@dataclass
class HostConfig:
    data_dir: Path  # the customer service's directory: the directory of customers, each wallet's records
    utility_urls: dict[str, str] = field(default_factory=dict)  # EIA utility id -> utility service URL
    auto_share_emissions: bool = False  # demos and tests only: see CustomerConfig
    bill_store: ContentStore | None = None
    signups_per_minute: int = 30  # new wallets from one address (each costs a password hash and a sub-wallet)
    auditor_urls: dict[str, str] = field(default_factory=dict)  # auditor DID -> its service URL (OpenID4VCI offers)


class WalletHost:
    def __init__(self, config: HostConfig, agent: AcaPyAdmin) -> None:
        self.config, self.agent = config, agent
        self.store = WorkflowStore(config.data_dir / "customers.sqlite3")
        self.directory = CustomerDirectory(self.store)
        self._wallets: dict[str, CustomerWallet] = {}  # username -> its started controller
        self._opening: dict[str, asyncio.Lock] = {}
        # One sub-wallet created at a time. ACA-Py 1.7 opens the shared tenants store lazily, on the
        # first wallet's creation, with no lock of its own; two first sign-ups at once raced there
        # ("Error opening store", once in a full CI run). Creation is rare and quick; order is cheap.
        self._creating = asyncio.Lock()
        self._touched: dict[str, float] = {}  # username -> when its wallet last had an event or a use
        self._idle_cursor = 0
        # Before anything is served, so no sign-up can be running: reservations a crash left behind.
        released = self.directory.release_stale()
        if released:
            LOG.info("%d unfinished sign-up(s) released", released)
        # Checked against when the username is unknown, so a wrong name costs as much as a wrong password.
        self._nobody: str | None = None

    async def start(self) -> None:
        """Open every customer's wallet, so each replays what it missed while the service was down.
        One wallet that cannot open (its agent records unreadable, say) is logged and left for its
        first use; it does not keep the others closed."""
        for entry in self.directory.all():
            try:
                await self.wallet(entry.username)
            except Exception:  # noqa: BLE001 - one wallet's failure must not stop the service
                LOG.exception("a customer's wallet could not be opened; it is tried again on its next use")

    def close(self) -> None:
        for wallet in self._wallets.values():
            wallet.close()
        self._wallets.clear()
        self.store.close()

    # -- customers ------------------------------------------------------------------------------
    async def signup(self, username: str, password: str) -> str:
        """A new customer with a new wallet; returns the username it signs in with."""
        try:
            name = normalise_username(username)
            check_new_password(password)
        except (UsernameError, PasswordPolicyError) as exc:
            raise SignUpRefused(str(exc)) from None
        if not self.directory.reserve(name, await hash_password_async(password)):
            raise SignUpRefused("That username is taken; choose another.")
        try:
            async with self._creating:
                wallet_id, _token = await self.agent.create_tenant("Customer")
        except BaseException:
            # Nothing named the sub-wallet if the agent made one after all: it holds nothing yet.
            self.directory.release(name)
            raise
        try:
            self.directory.activate(name, wallet_id)
        except BaseException:
            self.directory.release(name)
            with contextlib.suppress(Exception):
                await self.agent.delete_tenant(wallet_id)
            raise
        LOG.info("customer wallet created")
        try:
            await self.wallet(name)
        except Exception:  # noqa: BLE001 - the account exists; its wallet opens on first use
            LOG.exception("a new customer's wallet could not be opened yet")
        return name

    async def authenticate(self, username: str, password: str) -> str | None:
        """The username if the password is right, else None (same cost either way)."""
        try:
            entry = self.directory.get(normalise_username(username))
        except UsernameError:
            entry = None
        if entry is None and self._nobody is None:
            self._nobody = await hash_password_async(secrets.token_urlsafe(16))
        ok = await verify_password_async(password, entry.password_hash if entry else self._nobody or "")
        return entry.username if entry is not None and ok else None

    async def wallet(self, username: str) -> CustomerWallet:
        """The customer's wallet controller, opened (and started) on first use."""
        self._touched[username] = time.monotonic()
        if (found := self._wallets.get(username)) is not None:
            return found
        async with self._opening.setdefault(username, asyncio.Lock()):
            if (found := self._wallets.get(username)) is not None:
                return found
            entry = self.directory.get(username)
            if entry is None:
                raise KeyError("no such customer")
            # ACA-Py honours only a sub-wallet's newest token: this process asks once and keeps it.
            admin = self.agent.tenant(await self.agent.tenant_token(entry.wallet_id))
            config = CustomerConfig(self.config.data_dir / "wallets" / entry.wallet_id, self.config.utility_urls,
                                    self.config.auto_share_emissions, self.config.bill_store, self.config.auditor_urls)
            # Its records in the service's one store, scoped to its sub-wallet: one open file for
            # every customer, however many there are.
            wallet = CustomerWallet(config, admin, CustomerStore(self.store, scope=entry.wallet_id))
            try:
                await wallet.start()
            except BaseException:
                wallet.close()
                raise
            self._wallets[username] = wallet
            return wallet

    # -- the agent's events ---------------------------------------------------------------------
    async def on_webhook(self, event: WebhookEvent) -> None:
        if event.wallet_id is None:
            return  # the agent's own wallet holds no customer's records
        entry = self.directory.by_wallet(event.wallet_id)
        if entry is None:
            LOG.debug("webhook for a sub-wallet with no customer here")
            return
        await (await self.wallet(entry.username)).on_webhook(event.topic, event.payload)

    def sweep_due(self) -> list[str]:
        """The wallets the next sweep looks at: those busy lately (an event or the person's use in
        the last ACTIVE_SECONDS), and IDLE_PER_SWEEP of the others in turn. A sweep lists a wallet's
        waiting exchanges; doing that for every wallet every few seconds would grow with the number
        of customers, while a lost webhook is almost always in a wallet that is busy."""
        now = time.monotonic()
        busy = [u for u in self._wallets if now - self._touched.get(u, float("-inf")) < ACTIVE_SECONDS]
        busy_set = set(busy)
        idle = [u for u in self._wallets if u not in busy_set]
        if not idle:
            return busy
        start = self._idle_cursor % len(idle)
        chosen = (idle[start:] + idle[:start])[:IDLE_PER_SWEEP]
        self._idle_cursor = start + len(chosen)
        return busy + chosen

    async def sweep(self) -> None:
        for username in self.sweep_due():
            try:
                await self._wallets[username].sweep()
            except AdminApiError as exc:
                LOG.warning("wallet sweep failed: %s", exc)
            except Exception:  # noqa: BLE001 - one wallet's bad record must not stop the others' sweeps
                LOG.exception("a wallet's sweep failed")
