"""A program acting for one customer on the customer service's API, as a person would on its pages:
it signs up or signs in, keeps the session cookie, and sends the session's CSRF token with every
change."""

from __future__ import annotations

import aiohttp

__all__ = ["WalletSignInError", "open_wallet_session"]


class WalletSignInError(Exception):
    """The customer service refused the sign-in or sign-up; the message is its sentence."""


async def open_wallet_session(base_url: str, username: str, password: str, *, create: bool = False,
                              timeout: float = 60.0) -> aiohttp.ClientSession:
    """A client session signed in as `username` (created first when `create`); the caller closes it."""
    # unsafe=True: the service is on a loopback IP address, whose cookies aiohttp drops otherwise.
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 timeout=aiohttp.ClientTimeout(total=timeout))
    try:
        path = "/api/signup" if create else "/api/session"
        async with http.post(base_url.rstrip("/") + path, json={"username": username, "password": password}) as resp:
            body = await resp.json(content_type=None)
            if resp.status not in (200, 201):
                raise WalletSignInError(f"{'sign-up' if create else 'sign-in'} refused ({resp.status}): "
                                        f"{(body or {}).get('error', 'no reason given')}")
        http.headers["X-CSRF-Token"] = body["csrf_token"]
        return http
    except BaseException:
        await http.close()
        raise
