"""A real browser for tests: Playwright (async API) driving the system's Chromium.

Playwright never downloads a browser here: we launch Debian's `chromium` package (`./run test`
installs it with apt-get when missing) through `executable_path`. `$CHROMIUM` names another
executable; when it is set but not executable, Chromium counts as missing (no silent fallback to
the one on PATH). Tests get the browser through the `browser` fixture of tests/browser/conftest.py,
which skips locally and fails under CI=true when Chromium is missing (see testkit.policy).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, async_playwright

from testkit.policy import ROOT

# A page action or navigation may take this long before Playwright gives up. Generous, so that a
# 2-core CI machine running other suites in parallel does not make the tests flaky.
DEFAULT_TIMEOUT_MS = 20_000
# Starting Chromium itself (a cold start on a slow machine takes a few seconds).
LAUNCH_TIMEOUT_MS = 60_000

INSTALL_HINT = "install it with 'apt-get install chromium' (./run test does so), or set CHROMIUM=/path/to/it"


class ChromiumMissing(RuntimeError):
    """No Chromium executable: see `missing_reason()`."""


def chromium_path() -> str | None:
    """The Chromium to launch: `$CHROMIUM` when set (None if it is not an executable file), else
    `chromium` or `chromium-browser` on PATH, else None."""
    wanted = os.environ.get("CHROMIUM", "").strip()
    if wanted:
        return shutil.which(wanted)  # a path or a command name; None unless executable
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_reason() -> str:
    """One line saying why `chromium_path()` is None and how to fix it."""
    wanted = os.environ.get("CHROMIUM", "").strip()
    if wanted:
        return f"Chromium not found: CHROMIUM={wanted} is not an executable; {INSTALL_HINT}"
    return f"Chromium not found ('chromium' is not on PATH); {INSTALL_HINT}"


def chromium_args() -> list[str]:
    """Flags for a headless Chromium in a container or on a CI machine."""
    args = [
        "--disable-dev-shm-usage",  # a container's /dev/shm is often 64 MB; use /tmp instead
        "--disable-gpu",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
    return args


@contextlib.asynccontextmanager
async def launch_browser(*, executable: str | None = None, headless: bool = True) -> AsyncIterator[Browser]:
    """A Playwright `Browser` on the system's Chromium, closed (with Playwright) on exit.

    Raises ChromiumMissing when there is no Chromium; the `browser` fixture checks first and
    skips or fails according to the test policy.
    """
    path = executable or chromium_path()
    if path is None:
        raise ChromiumMissing(missing_reason())
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=path, headless=headless, args=chromium_args(), timeout=LAUNCH_TIMEOUT_MS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def new_person(browser: Browser, **context_options: Any) -> BrowserContext:
    """A fresh browser context: its own cookies and storage, as a separate person would have.

    `context_options` go to `Browser.new_context` (e.g. `base_url=...`). Actions and navigations
    time out after DEFAULT_TIMEOUT_MS. The context closes with the browser, or call `.close()`.
    """
    context = await browser.new_context(**context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    return context


def artifacts_dir() -> Path:
    """Where tests save screenshots and other evidence: `$TEST_ARTIFACTS`, else
    `<project>/test-artifacts/` (ignored by git). Created when missing."""
    configured = os.environ.get("TEST_ARTIFACTS", "").strip()
    out = Path(configured) if configured else ROOT / "test-artifacts"
    out.mkdir(parents=True, exist_ok=True)
    return out
