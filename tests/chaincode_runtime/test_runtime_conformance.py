"""The Python conformance chaincode behaves as the conformance section of the brief specifies."""

from __future__ import annotations

import json

from fabric_protos.peer import chaincode_shim_pb2

from shim_peer import make_signed_proposal, query_response, ready_peer
from tests.conformance.chaincode_py.conformance import chaincode

Message = chaincode_shim_pb2.ChaincodeMessage
COLLECTION = "conformanceCollection"


async def test_get_of_a_missing_key_names_the_key():
    peer = await ready_peer(chaincode)
    peer.start("tx1", "Get", "absent")
    peer.respond(await peer.expect(Message.GET_STATE, "tx1"), b"")
    response = await peer.completed("tx1")
    assert (response.status, response.message) == (500, "key not found: absent")
    await peer.close()


async def test_increment_reads_then_writes_the_successor():
    peer = await ready_peer(chaincode)
    peer.start("tx1", "Increment", "counter")
    peer.respond(await peer.expect(Message.GET_STATE, "tx1"), b"41")
    put = await peer.expect(Message.PUT_STATE, "tx1")
    assert chaincode_shim_pb2.PutState.FromString(put.payload).value == b"42"
    peer.respond(put)
    assert (await peer.completed("tx1")).payload == b"42"
    await peer.close()


async def test_put_private_takes_the_value_from_transient_data():
    peer = await ready_peer(chaincode)
    with_value = make_signed_proposal("tx1", ["PutPrivate", COLLECTION, "p"], transient={"value": b"secret"})
    peer.start("tx1", "PutPrivate", COLLECTION, "p", proposal=with_value)
    put = await peer.expect(Message.PUT_STATE, "tx1")
    assert chaincode_shim_pb2.PutState.FromString(put.payload) == chaincode_shim_pb2.PutState(
        key="p", value=b"secret", collection=COLLECTION)
    peer.respond(put)
    assert (await peer.completed("tx1")).payload == b""
    without = make_signed_proposal("tx2", ["PutPrivate", COLLECTION, "p"])
    peer.start("tx2", "PutPrivate", COLLECTION, "p", proposal=without)
    assert (await peer.completed("tx2")).message == "transient field 'value' missing"
    await peer.close()


async def test_private_hash_is_lowercase_hex_and_missing_hash_is_an_error():
    peer = await ready_peer(chaincode)
    peer.start("tx1", "GetPrivateHash", COLLECTION, "p")
    peer.respond(await peer.expect(Message.GET_PRIVATE_DATA_HASH, "tx1"), bytes(range(32)))
    assert (await peer.completed("tx1")).payload == bytes(range(32)).hex().encode()
    peer.start("tx2", "GetPrivateHash", COLLECTION, "q")
    peer.respond(await peer.expect(Message.GET_PRIVATE_DATA_HASH, "tx2"), b"")
    assert (await peer.completed("tx2")).message == "no private data hash for q"
    await peer.close()


async def test_range_returns_key_value_json():
    from fabric_protos.ledger.queryresult import kv_query_result_pb2

    rows = [kv_query_result_pb2.KV(key=k, value=v.encode()).SerializeToString() for k, v in (("a", "1"), ("b", "2"))]
    peer = await ready_peer(chaincode)
    peer.start("tx1", "Range", "a", "c")
    peer.respond(await peer.expect(Message.GET_STATE_BY_RANGE, "tx1"), query_response(rows))
    assert json.loads((await peer.completed("tx1")).payload) == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    await peer.close()


async def test_emit_fail_and_whoami():
    peer = await ready_peer(chaincode)
    peer.start("tx1", "Emit", "Ping", "pong")
    await peer.completed("tx1")
    assert peer.last_completed.chaincode_event.event_name == "Ping"
    assert peer.last_completed.chaincode_event.payload == b"pong"
    peer.start("tx2", "Fail", "exactly this")
    assert (await peer.completed("tx2")).message == "exactly this"
    peer.start("tx3", "Whoami", proposal=make_signed_proposal("tx3", ["Whoami"], msp_id="Auditor2MSP"))
    assert (await peer.completed("tx3")).payload == b"Auditor2MSP"
    await peer.close()
