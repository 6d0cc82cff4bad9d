"""The conformance scenarios with the project's Gateway client (network.gateway). Results have the
same JSON shapes as node/client/scenarios.js, so one set of tests asserts on both clients."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from network.gateway import ChaincodeEvent, ChaincodeEvents, Contract, GatewayError, InMemoryCheckpointer, Network, Status, connect, create_channel
from network.msp import load_msp

__all__ = ["run_python_client", "SCENARIOS", "connected"]

Key = Callable[[str], str]


def describe_error(error: BaseException) -> dict[str, Any]:
    if not isinstance(error, GatewayError):
        return {"type": type(error).__name__, "code": None, "message": str(error), "details": [], "transactionId": None}
    return {
        "type": type(error).__name__,
        "code": error.code.value[0] if error.code is not None else None,
        "message": error.message,
        "details": [{"address": d.address, "mspId": d.msp_id, "message": d.message} for d in error.details],
        "transactionId": error.transaction_id,
    }


async def failure(action: Awaitable[Any]) -> dict[str, Any]:
    try:
        value = await action
    except Exception as error:  # noqa: BLE001 - every failure is a fact to report
        return describe_error(error)
    return {"unexpectedSuccess": value.decode("utf-8", "replace") if isinstance(value, bytes) else repr(value)}


def describe_status(status: Status) -> dict[str, Any]:
    return {
        "code": status.code,
        "successful": status.successful,
        "blockNumber": status.block_number,
        "transactionId": status.transaction_id,
    }


def describe_event(event: ChaincodeEvent) -> dict[str, Any]:
    return {
        "blockNumber": event.block_number,
        "transactionId": event.transaction_id,
        "chaincodeName": event.chaincode_name,
        "eventName": event.event_name,
        "payload": event.payload.decode("utf-8"),
    }


async def collect_events(events: ChaincodeEvents, prefix: str, count: int, timeout: float = 15.0) -> list[dict]:
    """Reads `count` events named `prefix...`, then closes the stream; fewer if `timeout` passes."""
    seen: list[dict] = []

    async def read() -> None:
        async for event in events:
            if event.event_name.startswith(prefix):
                seen.append(describe_event(event))
                if len(seen) >= count:
                    return

    try:
        await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        pass
    except GatewayError as error:
        seen.append({"error": describe_error(error)})
    finally:
        events.close()
    return seen


async def submit_all(contract: Contract, name: str, argument_lists: list[list[str]]) -> list[Status]:
    submitted = await asyncio.gather(*(contract.submit_async(name, *args) for args in argument_lists))
    return list(await asyncio.gather(*(tx.status() for tx in submitted)))


async def evaluate(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    return {"whoami": (await contract.evaluate("Whoami")).text()}


async def submit(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    k = key("submit")
    transaction = await contract.new_proposal("Put", k, "value-1").endorse()
    submitted = await transaction.submit()
    status = await submitted.status()
    return {
        "result": transaction.result.text(),
        "transactionId": transaction.transaction_id,
        "status": describe_status(status),
        "value": (await contract.evaluate("Get", k)).text(),
    }


async def submit_async(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    k = key("async")
    submitted = await contract.submit_async("Increment", k)
    status = await submitted.status()
    return {
        "result": submitted.result.text(),
        "transactionId": submitted.transaction_id,
        "status": describe_status(status),
        "value": (await contract.evaluate("Get", k)).text(),
    }


async def evaluate_error(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    return {
        "fail": await failure(contract.evaluate("Fail", "evaluate went wrong")),
        "missing": await failure(contract.evaluate("Get", key("never-written"))),
    }


async def endorse_error(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    return {"fail": await failure(contract.submit("Fail", "endorse went wrong"))}


async def mvcc(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    # Every endorsement happens before any submit, so all read the same version whatever the
    # machine's speed: exactly one may commit, the rest must fail MVCC.
    k = key("mvcc")
    n = int(config.get("mvccSubmits", 5))
    endorsed = await asyncio.gather(*(contract.new_proposal("Increment", k).endorse() for _ in range(n)))
    submitted = await asyncio.gather(*(transaction.submit() for transaction in endorsed))
    statuses = await asyncio.gather(*(tx.status() for tx in submitted))
    return {"codes": [s.code for s in statuses], "final": (await contract.evaluate("Get", k)).text()}


async def private_data(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    k, collection, orgs = key("private"), config["collection"], config["endorsingOrgs"]
    value = f"secret-{k}"
    submitted = await contract.submit_async(
        "PutPrivate", collection, k, transient={"value": value}, endorsing_organizations=orgs
    )
    status = await submitted.status()
    return {
        "transactionId": submitted.transaction_id,
        "status": describe_status(status),
        "value": (await contract.evaluate("GetPrivate", collection, k)).text(),
        "hash": (await contract.evaluate("GetPrivateHash", collection, k)).text(),
        "expectedHash": hashlib.sha256(value.encode()).hexdigest(),
        "missingTransient": await failure(
            contract.submit("PutPrivate", collection, key("private-none"), endorsing_organizations=orgs)
        ),
    }


async def range_(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    base = key("range")
    keys = [f"{base}-{i:04d}" for i in range(int(config.get("rangeKeys", 105)))]
    statuses = await submit_all(contract, "Put", [[k, f"v{k[-4:]}"] for k in keys])
    every = (await contract.evaluate("Range", f"{base}-", f"{base}.")).json()
    some = (await contract.evaluate("Range", keys[1], keys[3])).json()
    return {"written": keys, "codes": [s.code for s in statuses], "all": every, "some": some}


async def history(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    k = key("history")
    ids = []
    for name, args in (("Put", (k, "first")), ("Put", (k, "second")), ("Delete", (k,))):
        submitted = await contract.submit_async(name, *args)
        await submitted.status()
        ids.append(submitted.transaction_id)
    return {"transactionIds": ids, "history": (await contract.evaluate("History", k)).json()}


async def events(contract: Contract, network: Network, key: Key, config: dict) -> dict:
    name, chaincode = key("event"), config["chaincode"]
    live = await network.chaincode_events(chaincode)
    live_seen = asyncio.create_task(collect_events(live, name, 1))
    await asyncio.sleep(0)  # let the stream request go out before the transaction is sent
    first = await contract.submit_async("Emit", f"{name}-1", "payload-1")
    first_status = await first.status()
    live_events = await live_seen

    second = await contract.submit_async("Emit", f"{name}-2", "payload-2")
    second_status = await second.status()

    from_block = await network.chaincode_events(chaincode, start_block=first_status.block_number)
    checkpoint = InMemoryCheckpointer()
    checkpoint.checkpoint_transaction(first_status.block_number, first.transaction_id)
    after_transaction = await network.chaincode_events(chaincode, checkpoint=checkpoint)
    return {
        "eventPrefix": name,
        "emitted": [
            {"transactionId": first.transaction_id, "status": describe_status(first_status)},
            {"transactionId": second.transaction_id, "status": describe_status(second_status)},
        ],
        "live": live_events,
        "fromBlock": await collect_events(from_block, name, 2),
        "afterTransaction": await collect_events(after_transaction, name, 1),
    }


SCENARIOS = {
    "evaluate": evaluate,
    "submit": submit,
    "submit_async": submit_async,
    "evaluate_error": evaluate_error,
    "endorse_error": endorse_error,
    "mvcc": mvcc,
    "private_data": private_data,
    "range": range_,
    "history": history,
    "events": events,
}


async def run_scenarios(config: dict, names: list[str]) -> dict:
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {sorted(SCENARIOS)}")
    prefix = config.get("keyPrefix") or f"python-{os.getpid()}"
    results: dict[str, Any] = {}
    async with connected(config) as network:
        contract = network.contract(config["chaincode"])
        for name in names:
            key = lambda label, name=name: f"{prefix}-{name}-{label}"  # noqa: E731
            try:
                results[name] = await SCENARIOS[name](contract, network, key, config)
            except Exception as error:  # noqa: BLE001 - reported, like the Node client does
                results[name] = {"crashed": describe_error(error)}
    return json.loads(json.dumps(results))  # the same plain-JSON view the Node client prints


@asynccontextmanager
async def connected(config: dict) -> AsyncIterator[Network]:
    """The channel a client config names, as its identity, through its endpoint."""
    member = load_msp(Path(config["certPath"]).parent.parent, config["mspId"])
    channel = create_channel(
        config["endpoint"],
        tls_root_certificates=config.get("tlsCaCertPath"),
        server_name_override=config.get("serverNameOverride"),
    )
    try:
        yield connect(channel, member.identity, member.signer).network(config["channel"])
    finally:
        await channel.close()


def run_python_client(config: dict, names: list[str]) -> dict:
    """Runs scenarios on a fresh event loop (fixtures call this from synchronous code)."""
    return asyncio.run(run_scenarios(config, names))
