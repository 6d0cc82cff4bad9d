"""Each stub call becomes the right shim request, and the peer's answer becomes the right value."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_response_pb2

from chaincode.runtime import ChaincodeStub, Response, create_composite_key, split_composite_key, success
from shim_peer import (
    expected_binding,
    make_certificate,
    make_signed_proposal,
    query_response,
    ready_peer,
)

Message = chaincode_shim_pb2.ChaincodeMessage


class Script:
    """Runs one test-supplied coroutine per transaction; its (bytes) result is the payload."""

    def __init__(self, script):
        self.script = script

    async def init(self, stub: ChaincodeStub) -> Response:
        return await self.invoke(stub)

    async def invoke(self, stub: ChaincodeStub) -> Response:
        return success(await self.script(stub) or b"")


def kv(key: str, value: str) -> bytes:
    return kv_query_result_pb2.KV(namespace="cc", key=key, value=value.encode()).SerializeToString()


async def test_get_put_delete_state():
    async def script(stub):
        before = await stub.get_state("asset1")
        await stub.put_state("asset1", "blue")
        await stub.delete_state("asset2")
        missing = await stub.get_state("asset3")
        return f"{before.decode()}|{missing}".encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    get = await peer.expect(Message.GET_STATE, "tx1")
    assert chaincode_shim_pb2.GetState.FromString(get.payload) == chaincode_shim_pb2.GetState(key="asset1")
    peer.respond(get, b"red")
    put = await peer.expect(Message.PUT_STATE, "tx1")
    assert chaincode_shim_pb2.PutState.FromString(put.payload) == chaincode_shim_pb2.PutState(key="asset1", value=b"blue")
    peer.respond(put)
    delete = await peer.expect(Message.DEL_STATE, "tx1")
    assert chaincode_shim_pb2.DelState.FromString(delete.payload).key == "asset2"
    peer.respond(delete)
    peer.respond(await peer.expect(Message.GET_STATE, "tx1"), b"")  # the peer's answer for a missing key
    assert (await peer.completed("tx1")).payload == b"red|None"
    await peer.close()


async def test_range_query_reads_every_batch_with_query_state_next():
    async def script(stub):
        return json.dumps([kv.key async for kv in stub.get_state_by_range("", "k9")]).encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    request = await peer.expect(Message.GET_STATE_BY_RANGE, "tx1")
    decoded = chaincode_shim_pb2.GetStateByRange.FromString(request.payload)
    assert (decoded.startKey, decoded.endKey, decoded.collection, decoded.metadata) == ("\x01", "k9", "", b"")
    peer.respond(request, query_response([kv("k1", "a"), kv("k2", "b")], has_more=True, query_id="it-7"))
    following = await peer.expect(Message.QUERY_STATE_NEXT, "tx1")
    assert chaincode_shim_pb2.QueryStateNext.FromString(following.payload).id == "it-7"
    peer.respond(following, query_response([kv("k3", "c")], has_more=False, query_id="it-7"))
    # No QUERY_STATE_CLOSE: the peer frees an iterator once it sent the last batch.
    assert json.loads((await peer.completed("tx1")).payload) == ["k1", "k2", "k3"]
    await peer.close()


async def test_leaving_a_range_early_closes_the_peer_iterator():
    async def script(stub):
        async with stub.get_state_by_range("a", "z") as results:
            async for first in results:
                return first.value

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    peer.respond(await peer.expect(Message.GET_STATE_BY_RANGE, "tx1"), query_response([kv("b", "B")], has_more=True))
    close = await peer.expect(Message.QUERY_STATE_CLOSE, "tx1")
    assert chaincode_shim_pb2.QueryStateClose.FromString(close.payload).id == "q1"
    peer.respond(close, query_response([]))
    assert (await peer.completed("tx1")).payload == b"B"
    await peer.close()


async def test_paginated_range_sends_page_size_and_bookmark_and_returns_the_next_bookmark():
    async def script(stub):
        page = await stub.get_state_by_range_with_pagination("a", "z", 2, "b")
        return json.dumps([[kv.key for kv in page.records], page.bookmark, page.fetched_records_count]).encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    request = await peer.expect(Message.GET_STATE_BY_RANGE, "tx1")
    metadata = chaincode_shim_pb2.QueryMetadata.FromString(chaincode_shim_pb2.GetStateByRange.FromString(request.payload).metadata)
    assert (metadata.pageSize, metadata.bookmark) == (2, "b")
    meta = chaincode_shim_pb2.QueryResponseMetadata(fetched_records_count=2, bookmark="d").SerializeToString()
    peer.respond(request, query_response([kv("b", "1"), kv("c", "2")], metadata=meta))
    assert json.loads((await peer.completed("tx1")).payload) == [["b", "c"], "d", 2]
    await peer.close()


async def test_partial_composite_key_query_scans_the_key_prefix():
    async def script(stub):
        keys = [kv.key async for kv in stub.get_state_by_partial_composite_key("record", ["utility-42"])]
        return json.dumps([split_composite_key(key) for key in keys]).encode()

    composite = create_composite_key("record", ["utility-42", "2024-01"])
    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    request = await peer.expect(Message.GET_STATE_BY_RANGE, "tx1")
    decoded = chaincode_shim_pb2.GetStateByRange.FromString(request.payload)
    assert decoded.startKey == "\x00record\x00utility-42\x00"
    assert decoded.endKey == "\x00record\x00utility-42\x00\U0010ffff"
    peer.respond(request, query_response([kv(composite, "x")]))
    assert json.loads((await peer.completed("tx1")).payload) == [["record", ["utility-42", "2024-01"]]]
    await peer.close()


def test_composite_keys_round_trip_and_reject_reserved_characters():
    key = create_composite_key("factor", ["eGRID2023", "CAMX"])
    assert key == "\x00factor\x00eGRID2023\x00CAMX\x00"
    assert split_composite_key(key) == ("factor", ["eGRID2023", "CAMX"])
    assert split_composite_key(create_composite_key("type", [])) == ("type", [])
    with pytest.raises(ValueError, match="reserved"):
        create_composite_key("factor", ["a\x00b"])
    with pytest.raises(ValueError, match="must not be empty"):
        create_composite_key("", ["a"])
    with pytest.raises(ValueError, match="not a composite key"):
        split_composite_key("plain")


async def test_range_over_simple_keys_refuses_a_composite_start_key():
    async def script(stub):
        try:
            stub.get_state_by_range("\x00record", "")
        except ValueError as exc:
            return str(exc).encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    assert b"reserved for composite keys" in (await peer.completed("tx1")).payload
    await peer.close()


async def test_history_is_decoded_newest_first_as_the_peer_sends_it():
    async def script(stub):
        changes = [c async for c in stub.get_history_for_key("asset1")]
        return json.dumps([[c.tx_id, c.value.decode(), c.is_delete, c.timestamp.seconds] for c in changes]).encode()

    def modification(tx_id: str, value: bytes, is_delete: bool, seconds: int) -> bytes:
        km = kv_query_result_pb2.KeyModification(tx_id=tx_id, value=value, is_delete=is_delete)
        km.timestamp.seconds = seconds
        return km.SerializeToString()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    request = await peer.expect(Message.GET_HISTORY_FOR_KEY, "tx1")
    assert chaincode_shim_pb2.GetHistoryForKey.FromString(request.payload).key == "asset1"
    peer.respond(request, query_response([modification("t2", b"", True, 20), modification("t1", b"v1", False, 10)]))
    assert json.loads((await peer.completed("tx1")).payload) == [["t2", "", True, 20], ["t1", "v1", False, 10]]
    await peer.close()


async def test_private_data_calls_carry_the_collection():
    async def script(stub):
        await stub.put_private_data("conformanceCollection", "p1", b"secret")
        value = await stub.get_private_data("conformanceCollection", "p1")
        digest = await stub.get_private_data_hash("conformanceCollection", "p1")
        await stub.delete_private_data("conformanceCollection", "p1")
        await stub.purge_private_data("conformanceCollection", "p1")
        return value + b"|" + digest.hex().encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    put = await peer.expect(Message.PUT_STATE, "tx1")
    assert chaincode_shim_pb2.PutState.FromString(put.payload) == chaincode_shim_pb2.PutState(
        key="p1", value=b"secret", collection="conformanceCollection")
    peer.respond(put)
    get = await peer.expect(Message.GET_STATE, "tx1")
    assert chaincode_shim_pb2.GetState.FromString(get.payload).collection == "conformanceCollection"
    peer.respond(get, b"secret")
    hashed = await peer.expect(Message.GET_PRIVATE_DATA_HASH, "tx1")
    assert chaincode_shim_pb2.GetState.FromString(hashed.payload) == chaincode_shim_pb2.GetState(
        key="p1", collection="conformanceCollection")
    peer.respond(hashed, bytes.fromhex("ab" * 32))
    delete = await peer.expect(Message.DEL_STATE, "tx1")
    assert chaincode_shim_pb2.DelState.FromString(delete.payload).collection == "conformanceCollection"
    peer.respond(delete)
    purge = await peer.expect(Message.PURGE_PRIVATE_DATA, "tx1")
    assert chaincode_shim_pb2.PurgePrivateState.FromString(purge.payload).collection == "conformanceCollection"
    peer.respond(purge)
    assert (await peer.completed("tx1")).payload == b"secret|" + b"ab" * 32
    await peer.close()


async def test_private_data_needs_a_collection():
    async def script(stub):
        await stub.get_private_data("", "p1")

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    response = await peer.completed("tx1")
    assert (response.status, response.message) == (500, "collection must be a non-empty string")
    await peer.close()


async def test_state_metadata_get_and_put():
    async def script(stub):
        await stub.set_state_validation_parameter("asset1", b"policy-bytes")
        metadata = await stub.get_state_metadata("asset1")
        return json.dumps({k: v.decode() for k, v in metadata.items()}).encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    put = await peer.expect(Message.PUT_STATE_METADATA, "tx1")
    decoded = chaincode_shim_pb2.PutStateMetadata.FromString(put.payload)
    assert (decoded.key, decoded.metadata.metakey, decoded.metadata.value) == ("asset1", "VALIDATION_PARAMETER", b"policy-bytes")
    peer.respond(put)
    get = await peer.expect(Message.GET_STATE_METADATA, "tx1")
    assert chaincode_shim_pb2.GetStateMetadata.FromString(get.payload).key == "asset1"
    result = chaincode_shim_pb2.StateMetadataResult(
        entries=[chaincode_shim_pb2.StateMetadata(metakey="VALIDATION_PARAMETER", value=b"policy-bytes")])
    peer.respond(get, result.SerializeToString())
    assert json.loads((await peer.completed("tx1")).payload) == {"VALIDATION_PARAMETER": "policy-bytes"}
    await peer.close()


async def test_invoke_chaincode_sends_a_spec_and_unwraps_the_callee_response():
    async def script(stub):
        answer = await stub.invoke_chaincode("factors", ["GetFactor", "CAMX"], channel="other")
        return f"{answer.status}:{answer.payload.decode()}".encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    request = await peer.expect(Message.INVOKE_CHAINCODE, "tx1")
    spec = chaincode_pb2.ChaincodeSpec.FromString(request.payload)
    assert spec.chaincode_id.name == "factors/other"
    assert list(spec.input.args) == [b"GetFactor", b"CAMX"]
    callee = Message(type=Message.COMPLETED, txid="tx1", channel_id="other",
                     payload=proposal_response_pb2.Response(status=200, payload=b"0.34967").SerializeToString())
    peer.respond(request, callee.SerializeToString())
    assert (await peer.completed("tx1")).payload == b"200:0.34967"
    await peer.close()


async def test_event_travels_in_completed():
    async def script(stub):
        stub.set_event("RecordEmissions", b'{"recordId":"r1"}')

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    await peer.completed("tx1")
    event = peer.last_completed.chaincode_event
    assert (event.event_name, event.payload) == ("RecordEmissions", b'{"recordId":"r1"}')
    await peer.close()


async def test_empty_value_and_empty_key_are_refused_with_a_clear_error():
    async def script(stub):
        problems = []
        for call in (lambda: stub.put_state("k", b""), lambda: stub.get_state("")):
            try:
                await call()
            except ValueError as exc:
                problems.append(str(exc))
        return "|".join(problems).encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    assert (await peer.completed("tx1")).payload == b"value for 'k' is empty; use delete to remove a key|key must not be empty"
    await peer.close()


async def test_proposal_gives_timestamp_creator_identity_transient_and_binding():
    certificate, key = make_certificate("auditor-app", units=("client", "auditing"),
                                        attributes={"role": "auditor", "hf.EnrollmentID": "auditor-app"})
    proposal = make_signed_proposal("tx1", ["run"], certificate_pem=certificate, key=key,
                                    transient={"value": b"42 kWh"}, epoch=3)
    seen = {}

    async def script(stub):
        identity = stub.client_identity
        seen.update(
            timestamp=stub.tx_timestamp, msp=stub.creator.msp_id, cert=stub.creator.id_bytes,
            units=identity.organizational_units, role=identity.get_attribute_value("role"),
            asserted=identity.assert_attribute_value("role", "auditor"), id=identity.id,
            missing=identity.get_attribute_value("nope"), transient=dict(stub.transient), binding=stub.binding,
        )

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run", proposal=proposal)
    assert (await peer.completed("tx1")).status == 200
    assert seen["timestamp"].seconds == 1_714_564_800 and seen["timestamp"].nanos == 123_456_789
    assert seen["timestamp"].to_datetime() == datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert seen["timestamp"].isoformat() == "2024-05-01T12:00:00.123456789Z"
    assert (seen["msp"], seen["cert"]) == ("Auditor1MSP", certificate)
    assert seen["units"] == ("client", "auditing")
    assert (seen["role"], seen["asserted"], seen["missing"]) == ("auditor", True, None)
    assert seen["id"] == "x509::CN=auditor-app,OU=auditing,OU=client,O=auditor1.example.com::CN=ca.auditor1.example.com"
    assert seen["transient"] == {"value": b"42 kWh"}
    creator = identities_pb2.SerializedIdentity(mspid="Auditor1MSP", id_bytes=certificate).SerializeToString()
    assert seen["binding"] == expected_binding(b"n" * 24, creator, 3)
    await peer.close()


async def test_certificate_without_attribute_extension_has_no_attributes():
    certificate, key = make_certificate(attributes=None)
    proposal = make_signed_proposal("tx1", ["run"], certificate_pem=certificate, key=key)

    async def script(stub):
        return repr(dict(stub.client_identity.attributes)).encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run", proposal=proposal)
    assert (await peer.completed("tx1")).payload == b"{}"
    await peer.close()


async def test_transaction_without_proposal_says_so_when_identity_is_needed():
    async def script(stub):
        return stub.creator.msp_id.encode()

    peer = await ready_peer(Script(script))
    peer.start("tx1", "run")
    assert (await peer.completed("tx1")).message == "the peer sent this transaction without a signed proposal"
    await peer.close()
