"""A `ContentStore` on a Kubo (go-ipfs) node, through its published RPC API
(https://docs.ipfs.tech/reference/kubo/rpc/):

- put: `POST /api/v0/add` with the file as multipart/form-data field `file` and the import settings
  of our `ImportProfile` as query arguments; the answer is newline-delimited JSON objects with
  `Name`, `Hash`, `Size`. The `Hash` Kubo returns must equal the CID computed here, or the node
  imports differently from what credentials will name, and we refuse to record it.
- get: `POST /api/v0/cat?arg=<cid>`, bytes verified against the CID before they are returned.
- has: `POST /api/v0/block/stat?arg=<cid>&offline=true`, so asking never starts a network search.

Needs Kubo >= 0.35 (the release that accepts `max-file-links` on add). The RPC API is an admin
interface: keep it on loopback or behind authentication, never public.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp

from custody.cid import parse_cid
from custody.errors import ContentMismatch, ContentNotFound, InvalidCid, StoreUnavailable
from custody.store import verify
from custody.unixfs import UNIXFS_V1_2025, ImportProfile, unixfs_cid

_UPLOAD_NAME = "bill.jwe"  # Kubo echoes it as `Name`; it must say nothing about whose bill it is


class KuboContentStore:
    def __init__(
        self,
        api_url: str = "http://127.0.0.1:5001",
        *,
        profile: ImportProfile = UNIXFS_V1_2025,
        timeout_s: float = 60.0,
        session: aiohttp.ClientSession | None = None,
    ):
        self.api_url = api_url.rstrip("/")
        self.profile = profile
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> KuboContentStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _call(self, command: str, params: dict[str, str], data: aiohttp.FormData | None = None) -> bytes:
        """The body of a successful RPC call; StoreUnavailable with Kubo's message otherwise."""
        url = f"{self.api_url}/api/v0/{command}"
        try:
            async with self._client().post(url, params=params, data=data) as response:
                body = await response.read()
                if response.status == 200:
                    return body
                raise _KuboRefusal(response.status, _message(body))
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise StoreUnavailable(f"Kubo RPC {command} failed: {type(error).__name__}") from None

    async def put(self, data: bytes) -> str:
        data = bytes(data)
        expected = await asyncio.to_thread(unixfs_cid, data, self.profile)
        form = aiohttp.FormData()
        form.add_field("file", data, filename=_UPLOAD_NAME, content_type="application/octet-stream")
        params = self.profile.kubo_add_options | {"pin": "true", "progress": "false"}
        try:
            body = await self._call("add", params, form)
        except _KuboRefusal as refusal:
            raise StoreUnavailable(f"Kubo refused add: {refusal}") from None
        returned = _added_hash(body)
        try:
            matches = parse_cid(returned) == expected
        except InvalidCid:
            matches = False
        if not matches:
            raise ContentMismatch(
                f"Kubo stored the content as {returned!s:.80} but it hashes to {expected}: "
                "the node imports with other settings than this store's profile"
            )
        return str(expected)

    async def get(self, cid: str) -> bytes:
        parse_cid(cid)
        try:
            data = await self._call("cat", {"arg": cid, "progress": "false"})
        except _KuboRefusal as refusal:
            if refusal.not_found:
                raise ContentNotFound(f"no content {cid} on the Kubo node") from None
            raise StoreUnavailable(f"Kubo refused cat of {cid}: {refusal}") from None
        await asyncio.to_thread(verify, cid, data, self.profile)
        return data

    async def has(self, cid: str) -> bool:
        parse_cid(cid)
        try:
            await self._call("block/stat", {"arg": cid, "offline": "true"})
        except _KuboRefusal as refusal:
            if refusal.not_found:
                return False
            raise StoreUnavailable(f"Kubo refused block/stat of {cid}: {refusal}") from None
        return True


class _KuboRefusal(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        # Kubo answers a missing block with HTTP 500 and an ipld "not found" message.
        self.not_found = status == 500 and ("not found" in message or "could not find" in message)


def _message(body: bytes) -> str:
    """Kubo's error text: JSON `{"Message", "Code", "Type"}` per the RPC reference, else plain text."""
    try:
        return str(json.loads(body)["Message"])[:300]
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace")[:300]


def _added_hash(body: bytes) -> str:
    """The root `Hash` of an add answer (one JSON object per line; the last carries the root)."""
    hashes = []
    for line in body.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            raise StoreUnavailable("Kubo add answered with something other than JSON lines") from None
        if isinstance(event, dict) and isinstance(event.get("Hash"), str):
            hashes.append(event["Hash"])
    if not hashes:
        raise StoreUnavailable("Kubo add answered without a Hash")
    return hashes[-1]
