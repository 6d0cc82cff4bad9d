"""Content-addressed stores of bill ciphertexts: one interface, a local directory by default.

Every store names content by the CID Kubo's `ipfs add` would give it (see `unixfs`), so a bill
moved between the local store and IPFS keeps its name, and the name in a credential can be checked
against the bytes wherever they are fetched from.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path
from typing import Protocol, runtime_checkable

from custody.cid import Cid, parse_cid
from custody.errors import ContentMismatch, ContentNotFound
from custody.unixfs import UNIXFS_V1_2025, ImportProfile, unixfs_cid


@runtime_checkable
class ContentStore(Protocol):
    async def put(self, data: bytes) -> str:
        """Store `data`; returns its CID. Storing the same bytes again is a no-op."""
        ...

    async def get(self, cid: str) -> bytes:
        """The bytes stored under `cid`, verified to hash to it (ContentMismatch otherwise)."""
        ...

    async def has(self, cid: str) -> bool: ...


def verify(cid: str, data: bytes, profile: ImportProfile = UNIXFS_V1_2025) -> Cid:
    """Parse `cid` and check that `data` hashes to it; returns the parsed CID."""
    expected = parse_cid(cid)
    actual = unixfs_cid(data, profile)
    if actual != expected:
        raise ContentMismatch(f"content under {cid} hashes to {actual}: it is corrupt or was replaced")
    return expected


class LocalContentStore:
    """Files named by their CID under `root`, in subdirectories named by two characters of the CID
    (as Kubo's flatfs shards) so no directory grows to millions of entries."""

    def __init__(self, root: Path, profile: ImportProfile = UNIXFS_V1_2025):
        self.root = Path(root)
        self.profile = profile

    def path_of(self, cid: str) -> Path:
        parse_cid(cid)  # only a valid CID reaches the file system: no path tricks through a name
        return self.root / cid[-3:-1] / cid

    async def put(self, data: bytes) -> str:
        return await asyncio.to_thread(self._put, bytes(data))

    async def get(self, cid: str) -> bytes:
        return await asyncio.to_thread(self._get, cid)

    async def has(self, cid: str) -> bool:
        return self.path_of(cid).is_file()

    def _put(self, data: bytes) -> str:
        cid = str(unixfs_cid(data, self.profile))
        path = self.path_of(cid)
        try:
            if path.read_bytes() == data:
                return cid
        except FileNotFoundError:
            pass
        # A file under this name with other bytes is corrupt: replacing it repairs the store.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{cid}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)
        return cid

    def _get(self, cid: str) -> bytes:
        path = self.path_of(cid)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ContentNotFound(f"no content {cid} in the local store") from None
        verify(cid, data, self.profile)
        return data


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX: a rename lives in the directory's data)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
