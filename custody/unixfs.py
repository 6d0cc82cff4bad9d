"""The root CID that Kubo's `ipfs add` gives a file, computed without Kubo.

Why UnixFS and not one raw block: Kubo refuses `block put` above 1 MiB (2 MiB in recent releases)
and bitswap will not move bigger blocks, while a year of 15-minute readings is several MB of XML.
`ipfs add` chunks any size, and its root CID is a pure function of the bytes and four settings,
which `ImportProfile` pins. The default is Kubo's `unixfs-v1-2025` profile (the one Kubo
recommends for reproducible CIDs): CIDv1, sha2-256, raw leaves, fixed 1 MiB chunks, balanced
layout, at most 1024 links per node. A file of one chunk or less is its own raw block (`bafkrei...`),
exactly as Kubo returns it; bigger files get a dag-pb root (`bafybei...`).

Encoding follows the dag-pb spec's canonical form, as Go's boxo writes it: in each node the links
come first (Hash, Name = "" always present, Tsize), then Data, a UnixFS `Data` message of Type=File,
filesize and one blocksize per child. A link's Tsize is the child's block plus everything under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from custody.cid import DAG_PB, RAW, Cid, varint

_UNIXFS_FILE = 2


@dataclass(frozen=True)
class ImportProfile:
    """The `ipfs add` settings that decide a root CID (the rest are fixed: CIDv1, sha2-256,
    raw leaves, balanced layout, no inlining)."""

    chunk_size: int
    max_links: int

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.max_links < 2:
            raise ValueError("chunk_size must be >= 1 and max_links >= 2")

    @property
    def kubo_add_options(self) -> dict[str, str]:
        """Query arguments of Kubo's /api/v0/add that reproduce this profile (Kubo >= 0.35)."""
        return {
            "cid-version": "1",
            "hash": "sha2-256",
            "raw-leaves": "true",
            "chunker": f"size-{self.chunk_size}",
            "trickle": "false",
            "max-file-links": str(self.max_links),
            "inline": "false",
        }


UNIXFS_V1_2025 = ImportProfile(chunk_size=1024 * 1024, max_links=1024)
"""Kubo's `--profile=unixfs-v1-2025`."""
LEGACY_CIDV1 = ImportProfile(chunk_size=256 * 1024, max_links=174)
"""`ipfs add --cid-version=1` with Kubo's historical defaults (256 KiB chunks, 174 links)."""


@dataclass(frozen=True)
class _Link:
    cid: Cid
    tsize: int  # bytes of the child's block and all blocks under it
    filesize: int  # file bytes under the child


def _field(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def _bytes_field(number: int, value: bytes) -> bytes:
    return _field(number, 2) + varint(len(value)) + value


def _uint_field(number: int, value: int) -> bytes:
    return _field(number, 0) + varint(value)


def _file_node(children: Sequence[_Link]) -> _Link:
    filesize = sum(child.filesize for child in children)
    data = _uint_field(1, _UNIXFS_FILE) + _uint_field(3, filesize)
    data += b"".join(_uint_field(4, child.filesize) for child in children)
    links = b"".join(
        _bytes_field(2, _bytes_field(1, child.cid.to_bytes()) + _bytes_field(2, b"") + _uint_field(3, child.tsize))
        for child in children
    )
    block = links + _bytes_field(1, data)
    return _Link(Cid.of_block(DAG_PB, block), len(block) + sum(child.tsize for child in children), filesize)


def _subtree(leaves: Sequence[_Link], depth: int, max_links: int) -> _Link:
    if depth == 0:
        return leaves[0]
    span = max_links ** (depth - 1)
    return _file_node([_subtree(leaves[i : i + span], depth - 1, max_links) for i in range(0, len(leaves), span)])


def unixfs_cid(data: bytes, profile: ImportProfile = UNIXFS_V1_2025) -> Cid:
    """The root CID `ipfs add` returns for `data` under `profile`."""
    view = memoryview(data)
    size = profile.chunk_size
    leaves = [
        _Link(Cid.of_block(RAW, view[at : at + size]), len(view[at : at + size]), len(view[at : at + size]))
        for at in range(0, max(len(view), 1), size)
    ]
    # Boxo's balanced layout fills a tree of the least depth that holds every leaf, left first; a
    # single leaf stays the root itself.
    depth = 0
    while profile.max_links**depth < len(leaves):
        depth += 1
    return _subtree(leaves, depth, profile.max_links).cid
