"""KuboContentStore against a fake node speaking the published Kubo RPC API
(https://docs.ipfs.tech/reference/kubo/rpc/: /api/v0/add, /api/v0/cat, /api/v0/block/stat)."""

from __future__ import annotations

import socket

import pytest

from custody import (
    LEGACY_CIDV1,
    ContentMismatch,
    ContentNotFound,
    ContentStore,
    InvalidCid,
    KuboContentStore,
    StoreUnavailable,
    unixfs_cid,
)
from tests.custody.kubo_fake import FakeKubo

BIG = bytes(range(256)) * 9000  # 2.3 MB: three 1 MiB chunks


@pytest.fixture
async def kubo():
    node = await FakeKubo().start()
    yield node
    await node.stop()


async def test_round_trip_and_request_shape(kubo: FakeKubo) -> None:
    async with KuboContentStore(kubo.url) as store:
        assert isinstance(store, ContentStore)
        cid = await store.put(BIG)
        assert cid == str(unixfs_cid(BIG))
        assert await store.has(cid)
        assert await store.get(cid) == BIG
    add = kubo.requests[0]
    assert add["method"] == "POST" and add["field"] == "file"
    assert add["filename"] == "bill.jwe"  # nothing about whose bill
    assert {
        "cid-version": "1",
        "raw-leaves": "true",
        "hash": "sha2-256",
        "chunker": "size-1048576",
        "max-file-links": "1024",
        "trickle": "false",
        "pin": "true",
    }.items() <= add["query"].items()
    assert kubo.requests[1]["query"] == {"arg": cid, "offline": "true"}
    assert kubo.requests[2]["command"] == "cat" and kubo.requests[2]["query"]["arg"] == cid


async def test_the_same_cid_as_the_local_store_for_each_profile(kubo: FakeKubo, tmp_path) -> None:
    from custody import LocalContentStore

    for profile in (LEGACY_CIDV1, None):
        kwargs = {"profile": profile} if profile else {}
        async with KuboContentStore(kubo.url, **kwargs) as store:
            assert await store.put(BIG) == await LocalContentStore(tmp_path, **kwargs).put(BIG)


async def test_a_node_returning_another_cid_is_refused(kubo: FakeKubo) -> None:
    kubo.lie_about_cid = True
    async with KuboContentStore(kubo.url) as store:
        with pytest.raises(ContentMismatch, match="other settings than this store's profile"):
            await store.put(BIG)


async def test_bytes_that_do_not_hash_to_the_cid_are_refused(kubo: FakeKubo) -> None:
    async with KuboContentStore(kubo.url) as store:
        cid = await store.put(BIG)
        kubo.corrupt_on_cat = True
        with pytest.raises(ContentMismatch, match=cid):
            await store.get(cid)


async def test_missing_content(kubo: FakeKubo) -> None:
    cid = str(unixfs_cid(b"never added"))
    async with KuboContentStore(kubo.url) as store:
        assert not await store.has(cid)
        with pytest.raises(ContentNotFound, match=cid):
            await store.get(cid)
        with pytest.raises(InvalidCid):
            await store.get("QmNotAcceptedHere")


async def test_an_unreachable_node_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with KuboContentStore(f"http://127.0.0.1:{port}", timeout_s=5) as store:
        with pytest.raises(StoreUnavailable, match="Kubo RPC add failed"):
            await store.put(b"x")
