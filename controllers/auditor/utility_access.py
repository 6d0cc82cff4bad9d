"""Reading a customer's bills at its utility under a consent (Green Button Connect, VC-authorised):
fresh challenge -> the consent presented as a VP signed by the auditor's DID -> a scoped token ->
the ESPI feed of the consented account and period."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from controllers.acapy import AcaPyAdmin

__all__ = ["UtilityAccess", "UtilityRefused"]


class UtilityRefused(Exception):
    """The utility said no; the message is its reason ("consent revoked", "consent expired", ...)."""


class UtilityAccess:
    def __init__(self, admin: AcaPyAdmin, http: aiohttp.ClientSession, did: str) -> None:
        self.admin, self.http, self.did = admin, http, did

    async def token(self, consent: dict[str, Any], base: str) -> dict[str, Any]:
        """A fresh access token for `consent` (challenge -> VP -> token), or UtilityRefused."""
        async with self.http.get(f"{base}/consent/challenge") as resp:
            challenge = (await resp.json())["challenge"]
        vp = await self.admin.vc_present(self.did, [consent], challenge=challenge)
        return await self.present(vp, base)

    async def present(self, vp: dict[str, Any], base: str) -> dict[str, Any]:
        async with self.http.post(f"{base}/consent/token", json={"verifiablePresentation": vp}) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise UtilityRefused(_error(body))
            return json.loads(body)

    async def download(self, consent: dict[str, Any], base: str) -> bytes:
        """The feed the consent grants, exactly as the utility served it."""
        token = await self.token(consent, base)
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        async with self.http.get(token["resourceURI"], headers=headers) as resp:
            body = await resp.read()
            if resp.status != 200:
                raise UtilityRefused(_error(body))
            return body


def _error(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error"))
    except (ValueError, AttributeError):
        return body[:200].decode(errors="replace")
