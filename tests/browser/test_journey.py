"""The whole mission from the pages, in Chromium, on the embedded stack (`emissions up`): two
customers at once, each in a browser of its own, sign up for a wallet, connect to the utility and the
auditor by pasting the invitations the operators' pages show, read and approve the consent, watch
their credentials arrive, check a bill, and share with a verifier whose page shows the verdicts.
Each sees only its own wallet. Then the refusals a browser must meet: a wrong password, a form
from another site, a change without the page's CSRF token."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable

from playwright.async_api import BrowserContext, Page

from testkit.browser import artifacts_dir, new_person
from testkit.embedded import embedded_stack

PASSWORD = "a long enough password"
AUDITOR_NAME = "Auditor1 Assurance LLP"  # as the embedded stack registers it on the ledger
MONTHS = ("January 2024", "February 2024", "March 2024")


async def reload_until(page: Page, url: str, ready: Callable[[str], bool], what: str, timeout: float = 180) -> str:
    """Reload `url` until its main text satisfies `ready` (a person refreshing the page)."""
    deadline = time.monotonic() + timeout
    while True:
        await page.goto(url)
        text = await page.inner_text("main")
        if ready(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the page said: {text[:500]}")
        await asyncio.sleep(0.5)


async def sign_in(page: Page, base: str, username: str, password: str) -> None:
    await page.goto(f"{base}/signin")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("main button[type=submit]")
    await page.wait_for_load_state()
    assert "/signin" not in page.url, await page.inner_text("main")


async def invitation_on(page: Page) -> str:
    """The invitation link an operator's page shows, after checking it also shows it as a QR code."""
    assert await page.locator(".qr-box svg").count() == 1
    url = await page.input_value("#invitation-url")
    assert "oob=" in url
    return url


async def connect(page: Page, wallet: str, invitation: str, label: str) -> None:
    await page.goto(f"{wallet}/connect")
    await page.fill("#invitation", invitation)
    await page.fill("#label", label)
    await page.click("main button[type=submit]")
    assert f"Connected to {label}" in await page.inner_text("main")


async def customer_journey(stack, staff: BrowserContext, me: BrowserContext, name: str, account: str) -> dict:
    wallet, utility, auditor, verifier = stack.wallet_url, stack.url("utility"), stack.url("auditor"), stack.verifier_url
    page, desk = await me.new_page(), await staff.new_page()

    # 1. A wallet of one's own.
    await page.goto(f"{wallet}/signup")
    await page.fill("#username", name)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_again", PASSWORD)
    await page.click("main button[type=submit]")
    await page.wait_for_load_state()
    assert page.url.rstrip("/") == wallet and name in await page.inner_text("header")

    # 2. The utility's operator onboards the account; the customer pastes the invitation.
    await desk.goto(f"{utility}/onboardings/new")
    await desk.fill("#account", account)
    await desk.fill("#service_point", f"SP-{account}")
    await desk.click("main button[type=submit]")
    await connect(page, wallet, await invitation_on(desk), "My utility")
    await reload_until(page, f"{wallet}/credentials", lambda t: account in t, "the account credential")

    # 3. The auditor's operator starts an audit; the customer connects and reads the consent request.
    await desk.goto(f"{auditor}/audits/new")
    await desk.fill("#account", account)
    await desk.fill("#period_start", "2024-01-01")
    await desk.fill("#period_end", "2024-03-31")
    await desk.fill("#purpose", "Scope 2 emissions audit")
    await desk.fill("#consent_days", "30")
    await desk.click("main button[type=submit]")
    await connect(page, wallet, await invitation_on(desk), "My auditor")
    await reload_until(page, f"{wallet}/consents", lambda t: "Waiting for your answer" in t and account in t,
                       "the consent request")
    await page.click('main a[href^="/consents/"]')
    request = await page.inner_text("main")
    assert AUDITOR_NAME in request and account in request and "January to March 2024" in request
    assert "not in the ledger's auditor registry" not in request
    await page.click("main button:has-text('Approve')")
    await page.wait_for_load_state()

    # 4. The auditor's service runs by itself; the credentials arrive, one row per month.
    text = await reload_until(page, f"{wallet}/credentials", lambda t: all(m in t for m in MONTHS),
                              "three monthly credentials")
    assert await page.locator("main svg.chart").count() >= 1
    await page.screenshot(path=str(artifacts_dir() / f"credentials-{name}.png"), full_page=True)
    await page.click('main a[href^="/credentials/urn"]')
    await page.click("main button:has-text('Download and check the bill')")
    assert "matches the credential" in await page.inner_text("main")

    # 5. A verifier asks; the customer sees what would be shared and shares; the verifier's page
    # shows the verdict with its checks.
    await desk.goto(f"{verifier}/")
    await desk.click("main button:has-text('Invite a wallet')")
    await desk.wait_for_load_state()
    asked_at = desk.url
    await connect(page, wallet, await invitation_on(desk), "A verifier")
    await reload_until(desk, asked_at, lambda t: "The wallet is connected." in t, "the wallet's connection")
    await desk.click("main button:has-text('Ask the wallet')")
    await desk.wait_for_load_state()
    verdict_at = desk.url
    await reload_until(page, f"{wallet}/presentation-requests", lambda t: "Review and answer" in t, "the request")
    await page.click('main a[href^="/presentation-requests/"]')
    shared = await page.inner_text("main")
    assert all(m in shared for m in MONTHS)
    await page.click("main button:has-text('Share 3 credentials')")
    verdicts = await reload_until(desk, verdict_at, lambda t: "Waiting for the customer" not in t, "the verdicts",
                                  timeout=120)
    assert verdicts.count("Verified") >= 3 and "Rejected" not in verdicts, verdicts[:2000]
    assert "It was issued by an auditor registered and active on the ledger" in verdicts
    return {"credentials": text}


async def test_two_customers_do_the_whole_mission_from_the_pages(browser, tmp_path):
    async with embedded_stack(tmp_path / "stack") as stack:
        staff, alice, bob = [await new_person(browser) for _ in range(3)]
        # The three operators work in one browser: each service's session cookie is its own.
        desk = await staff.new_page()
        await sign_in(desk, stack.url("utility"), "operator", stack.operator_key)
        await sign_in(desk, stack.url("auditor"), "operator", stack.auditor_key)
        await sign_in(desk, stack.verifier_url, "operator", stack.verifier_key)

        seen = await asyncio.gather(customer_journey(stack, staff, alice, "alice", "ACCT-ALICE-1"),
                                    customer_journey(stack, staff, bob, "bob", "ACCT-BOB-2"))
        # Each sees only its own wallet.
        assert "ACCT-ALICE-1" in seen[0]["credentials"] and "ACCT-BOB-2" not in seen[0]["credentials"]
        assert "ACCT-BOB-2" in seen[1]["credentials"] and "ACCT-ALICE-1" not in seen[1]["credentials"]
        assert (artifacts_dir() / "credentials-alice.png").stat().st_size > 10_000

        await refusals(stack, browser, alice)


async def refusals(stack, browser, alice: BrowserContext) -> None:
    wallet = stack.wallet_url
    # A wrong password is refused, with a sentence, and no session.
    stranger = await new_person(browser)
    page = await stranger.new_page()
    await page.goto(f"{wallet}/signin")
    await page.fill("#username", "alice")
    await page.fill("#password", "not her password")
    async with page.expect_response(lambda r: r.url.endswith("/signin") and r.request.method == "POST") as answer:
        await page.click("main button[type=submit]")
    assert (await answer.value).status == 401
    assert "Wrong username or password." in await page.inner_text("main")
    assert not [c for c in await stranger.cookies() if c["name"] == "wallet_session"]

    # Alice is signed in; a form on another site posting to her wallet is refused ...
    response = await alice.request.post(f"{wallet}/connect", form={"invitation": "x"},
                                        headers={"Origin": "http://evil.example"}, max_redirects=0)
    assert response.status == 403
    # ... and so is a change from her own site that lacks the page's CSRF token.
    response = await alice.request.post(f"{wallet}/connect", form={"invitation": "x"}, headers={"Origin": wallet},
                                        max_redirects=0)
    assert response.status == 403 and re.search("did not come from this site", await response.text())
    cookie = next(c for c in await alice.cookies() if c["name"] == "wallet_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
