"""Real-browser fixtures: Playwright driving the system's Chromium (see testkit.browser).

`browser` is one headless Chromium per test (about a second to start); `person` is a fresh context
in it, with its own cookies, as one person would have. Without Chromium the tests skip locally and
fail under CI=true (testkit.policy).
"""

from __future__ import annotations

import pytest

from testkit.browser import chromium_path, launch_browser, missing_reason, new_person
from testkit.policy import require


@pytest.fixture
async def browser():
    path = chromium_path()
    require(path is not None, missing_reason())
    async with launch_browser(executable=path) as b:
        yield b


@pytest.fixture
async def person(browser):
    context = await new_person(browser)
    yield context
    await context.close()
