"""The local content-addressed store: named by CID, atomic, idempotent, verified on read."""

from __future__ import annotations

import os

import pytest

from custody import (
    ContentMismatch,
    ContentNotFound,
    ContentStore,
    InvalidCid,
    LocalContentStore,
    unixfs_cid,
)

BIG = bytes(range(256)) * 5000  # 1.28 MB: more than one 1 MiB chunk, so a dag-pb root


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def test_put_get_has_round_trip(tmp_path) -> None:
    store = LocalContentStore(tmp_path)
    assert isinstance(store, ContentStore)
    for data in (b"", b"ciphertext", BIG):
        cid = await store.put(data)
        assert cid == str(unixfs_cid(data))
        assert await store.has(cid)
        assert await store.get(cid) == data
    assert (await store.put(BIG)).startswith("bafybei")


async def test_files_are_named_by_cid_only(tmp_path) -> None:
    store = LocalContentStore(tmp_path)
    cid = await store.put(b"ciphertext")
    (path,) = stored_files(tmp_path)
    assert path.name == cid
    assert path == store.path_of(cid)


async def test_put_is_idempotent(tmp_path) -> None:
    store = LocalContentStore(tmp_path)
    first = await store.put(b"same bytes")
    inode = store.path_of(first).stat().st_ino
    assert await store.put(b"same bytes") == first
    assert store.path_of(first).stat().st_ino == inode  # not rewritten
    assert len(stored_files(tmp_path)) == 1


async def test_a_crash_before_the_rename_leaves_nothing_under_the_cid(tmp_path, monkeypatch) -> None:
    store = LocalContentStore(tmp_path)

    def crash(*_args, **_kwargs):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        await store.put(b"half written")
    monkeypatch.undo()
    assert stored_files(tmp_path) == []  # neither the file nor its temporary
    assert not await store.has(str(unixfs_cid(b"half written")))


async def test_a_corrupt_file_is_refused_on_read_and_repaired_by_put(tmp_path) -> None:
    store = LocalContentStore(tmp_path)
    cid = await store.put(BIG)
    path = store.path_of(cid)
    corrupt = bytearray(path.read_bytes())
    corrupt[-1] ^= 0xFF
    path.write_bytes(bytes(corrupt))
    with pytest.raises(ContentMismatch, match=f"content under {cid} hashes to b"):
        await store.get(cid)
    assert await store.put(BIG) == cid
    assert await store.get(cid) == BIG


async def test_a_file_swapped_for_other_content_is_refused(tmp_path) -> None:
    store = LocalContentStore(tmp_path)
    cid = await store.put(b"original")
    store.path_of(cid).write_bytes(b"replaced")
    with pytest.raises(ContentMismatch):
        await store.get(cid)


async def test_missing_content(tmp_path) -> None:
    store = LocalContentStore(tmp_path)
    cid = str(unixfs_cid(b"never stored"))
    assert not await store.has(cid)
    with pytest.raises(ContentNotFound, match=f"no content {cid}"):
        await store.get(cid)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "Qm" + "1" * 44, "bafy", "bafkrei/x"])
async def test_names_that_are_not_cids_never_reach_the_file_system(tmp_path, bad: str) -> None:
    store = LocalContentStore(tmp_path)
    with pytest.raises(InvalidCid):
        await store.get(bad)
    with pytest.raises(InvalidCid):
        await store.has(bad)
