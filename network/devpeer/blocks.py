"""Block assembly and Fabric's header hash chain."""

from __future__ import annotations

import hashlib

from fabric_protos.common import common_pb2

__all__ = ["header_hash", "data_hash", "build_block", "METADATA_SLOTS"]

# Fabric always sizes block metadata to every BlockMetadataIndex slot (SIGNATURES .. COMMIT_HASH).
METADATA_SLOTS = max(common_pb2.BlockMetadataIndex.values()) + 1


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _der_integer(value: int) -> bytes:
    # Minimal two's complement: one leading zero byte when the high bit would read as negative.
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return _der(0x02, body)


def header_hash(header: common_pb2.BlockHeader) -> bytes:
    """sha256 of the ASN.1 DER SEQUENCE {number INTEGER, previous_hash OCTET STRING, data_hash OCTET STRING}."""
    sequence = _der(
        0x30,
        _der_integer(header.number) + _der(0x04, header.previous_hash) + _der(0x04, header.data_hash),
    )
    return hashlib.sha256(sequence).digest()


def data_hash(entries: list[bytes]) -> bytes:
    return hashlib.sha256(b"".join(entries)).digest()


def build_block(number: int, previous_hash: bytes, entries: list[bytes], tx_filter: bytes) -> common_pb2.Block:
    block = common_pb2.Block(
        header=common_pb2.BlockHeader(number=number, previous_hash=previous_hash, data_hash=data_hash(entries)),
        data=common_pb2.BlockData(data=entries),
    )
    metadata = [b""] * METADATA_SLOTS
    metadata[common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER] = tx_filter
    block.metadata.metadata.extend(metadata)
    return block
