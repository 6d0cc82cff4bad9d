"""CIDs: our computation must give exactly what Kubo's `ipfs add` returns for the same bytes.

Vectors are Kubo's own (ipfs/kubo test/cli/cid_profiles_test.go and add_test.go): files of
deterministic bytes (ChaCha20 keyed by SHA-256 of a seed, zero nonce, as in kubo's
test/cli/testutils/random_deterministic.go) added with `--profile=unixfs-v1-2025`.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from custody import LEGACY_CIDV1, UNIXFS_V1_2025, Cid, ImportProfile, InvalidCid, parse_cid, unixfs_cid
from custody.cid import DAG_PB, RAW

MIB = 1024 * 1024


def kubo_deterministic_bytes(size: int, seed: str) -> bytearray:
    key = hashlib.sha256(seed.encode()).digest()
    stream = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
    out = bytearray(size)
    view = memoryview(out)
    zeros = bytes(MIB)
    for at in range(0, size, MIB):
        piece = view[at : at + MIB]
        piece[:] = stream.update(zeros[: len(piece)])
    return out


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"),  # sha256("") raw block
        (b"hello world", "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"),
    ],
)
@pytest.mark.parametrize("profile", [UNIXFS_V1_2025, LEGACY_CIDV1])
def test_single_block_files_are_raw_cids(data: bytes, expected: str, profile: ImportProfile) -> None:
    assert str(unixfs_cid(data, profile)) == expected


def test_file_of_exactly_one_chunk_is_a_raw_leaf() -> None:
    data = kubo_deterministic_bytes(MIB, "chunk-v1-seed")
    assert str(unixfs_cid(data)) == "bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta"


def test_file_one_byte_over_a_chunk_gets_a_dag_pb_root() -> None:
    data = kubo_deterministic_bytes(MIB + 1, "chunk-v1-seed")
    cid = unixfs_cid(data)
    assert cid.codec == DAG_PB
    assert str(cid) == "bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64"


@pytest.mark.slow
def test_balanced_layout_full_level_and_one_level_deeper() -> None:
    """1024 chunks fill one node; one byte more makes Kubo add a level (1 GiB of data, ~8 s)."""
    data = kubo_deterministic_bytes(1024 * MIB + 1, "v1-2025-seed")
    view = memoryview(data)
    assert str(unixfs_cid(view[:-1])) == "bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm"
    assert str(unixfs_cid(view)) == "bafybeibdsi225ugbkmpbdohnxioyab6jsqrmkts3twhpvfnzp77xtzpyhe"


def test_profiles_differ_above_the_smaller_chunk_size() -> None:
    data = bytes(300 * 1024)
    assert unixfs_cid(data, UNIXFS_V1_2025).codec == RAW
    assert unixfs_cid(data, LEGACY_CIDV1).codec == DAG_PB


def test_kubo_add_options_name_the_profile() -> None:
    options = UNIXFS_V1_2025.kubo_add_options
    assert options["chunker"] == "size-1048576"
    assert options["max-file-links"] == "1024"
    assert options["cid-version"] == "1" and options["raw-leaves"] == "true" and options["trickle"] == "false"


def test_parse_round_trip() -> None:
    cid = Cid.of_block(RAW, b"bill")
    assert parse_cid(str(cid)) == cid
    assert str(cid).startswith("bafkrei")


def _b32(raw: bytes) -> str:
    return "b" + base64.b32encode(raw).decode().rstrip("=").lower()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("QmWmRj3dFDZdb6ABvbmKhEL6TmPbAfBZ1t5BxsEyJrcZhE", "CIDv0"),
        ("BAFKREIHDWDCEFGH4DQKJV67UZCMW7OJEE6XEDZDETOJUZJEVTENXQUVYKU", "lowercase base32"),
        ("zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA", "lowercase base32"),
        ("bafkrei../../etc/passwd", "outside lowercase base32"),
        ("", "non-empty"),
        # dag-cbor (0x71) CID from the IPLD codec fixtures
        ("bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe", "codec"),
        (_b32(bytes([1, RAW, 0x12, 0x20]) + bytes(31)), "digest length"),
        (_b32(bytes([1, RAW, 0x13, 0x40]) + bytes(64)), "sha2-256"),
        (_b32(bytes([2, RAW, 0x12, 0x20]) + bytes(32)), "version"),
    ],
)
def test_parse_refuses(text: str, problem: str) -> None:
    with pytest.raises(InvalidCid, match=problem):
        parse_cid(text)


def test_parse_refuses_non_canonical_trailing_bits() -> None:
    canonical = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    # 'u' -> 'v' changes only padding bits: same bytes, a second name for them.
    with pytest.raises(InvalidCid):
        parse_cid(canonical[:-1] + "v")
