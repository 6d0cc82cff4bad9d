"""A mediated Credo wallet (as on a phone: no inbound port at all) against the project's real agents.

The wallet asks an ACA-Py mediator (testkit/mediator.py, `--open-mediation`) for routing and picks up
its messages over a WebSocket it opens itself (Credo's implicit pickup). The utility and the auditor
reach it only through the mediator: its connection DIDs name the mediator's HTTP endpoint and
routing key, and the wallet process listens on nothing but its loopback control port.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import base58
import pytest

from controllers.acapy import AcaPyAdmin, new_challenge
from testkit.credo_holder import CredoHolder, require_credo
from testkit.mediator import mediator_agent  # noqa: F401  (session-scoped: the ACA-Py mediator)
from tests.wallets.test_credo_holder import (
    INTEROP_SCHEMA,
    account_definition,
    account_for,
    connect,
    eventually,
    exchange_state,
    offer,
    pending_request,
)

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _credo_available():
    require_credo()


def listening_ports(pid: int) -> set[int]:
    """The TCP ports the process `pid` listens on (its sockets in /proc/net/tcp{,6} in state LISTEN)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: TCP_LISTEN
                ports.add(int(fields[1].rpartition(":")[2], 16))
    return ports


async def didcomm_service(agent: AcaPyAdmin, connection_id: str) -> dict[str, Any]:
    """The DIDComm service of the other party's connection DID, as the agent resolves it."""
    their_did = (await agent.connection(connection_id)).their_did
    document = (await agent.resolve(their_did))["did_document"]
    [service] = [s for s in document.get("service", []) if s.get("type") == "did-communication"]
    return service


def verkey_of(key_ref: str) -> str:
    """The base58 Ed25519 public key of a did:key (or its DID URL), as ACA-Py lists verkeys."""
    fingerprint = key_ref.split("#")[0].removeprefix("did:key:")
    raw = base58.b58decode(fingerprint.removeprefix("z"))
    assert raw[:2] == b"\xed\x01", key_ref
    return base58.b58encode(raw[2:]).decode("ascii")


async def test_mediated_wallet_connects_receives_and_presents(agent_network, mediator_agent, tmp_path):  # noqa: F811
    invitation = await mediator_agent.invitation_url()
    async with (
        CredoHolder.start(tmp_path / "phone", label="Phone", mediator_invitation=invitation) as holder,
        agent_network.admin("utility") as utility,
        agent_network.admin("auditor") as auditor,
    ):
        # No inbound transport: the wallet listens on its control port only, and names the mediator.
        control_port = int(holder.control_url.rpartition(":")[2])
        assert listening_ports(holder.process.pid) == {control_port}
        assert holder.endpoint == mediator_agent.endpoint == (await holder.status())["endpoint"]
        async with mediator_agent.admin() as mediator:
            granted = (await mediator.request("GET", "/mediation/requests", params={"state": "granted"}))["results"]
            # The mediator's routing key is one of its wallet's keys (made at its first grant).
            mediator_keys = {d["verkey"] for d in (await mediator.request("GET", "/wallet/did"))["results"]}
        assert granted, "the mediator granted no mediation"

        # The utility's connection goes via the mediator: its HTTP endpoint and its routing key.
        conn_id = await connect(utility, holder)
        service = await didcomm_service(utility, conn_id)
        assert service["serviceEndpoint"] == mediator_agent.endpoint
        assert service["routingKeys"] and all(verkey_of(k) in mediator_keys for k in service["routingKeys"])

        # An ld_proof credential bound to the connection's did:key, delivered through the mediator.
        customer = await utility.connection_did_key(conn_id)
        assert customer and customer.startswith("did:key:z6Mk") and customer in await holder.dids()
        issuer = await utility.create_did_key()
        credential = account_for(issuer.did, customer)
        await exchange_state(utility, await offer(utility, conn_id, credential), {"done"})
        [held] = await holder.credentials()
        assert held["id"] == credential["id"] and held["credentialSubject"]["id"] == customer

        # A DIF request from the auditor (also via the mediator); the auditor's agent verifies it.
        audit_conn = await connect(auditor, holder)
        audit_service = await didcomm_service(auditor, audit_conn)
        assert audit_service["serviceEndpoint"] == mediator_agent.endpoint
        assert audit_service["routingKeys"] == service["routingKeys"]
        definition = account_definition(INTEROP_SCHEMA)
        challenge = new_challenge()
        request = await auditor.send_presentation_request(audit_conn, definition, challenge=challenge)
        pending = await pending_request(holder, definition["id"])
        await holder.accept_proof_request(pending["id"])

        async def verified():
            record = await auditor.presentation_exchange(request.pres_ex_id)
            return record if record.state in {"done", "abandoned"} else None

        record = await eventually(verified, what="the presentation verified at the auditor")
        assert record.state == "done" and record.verified is True, record.error_msg
        assert record.presentation["holder"] == customer and record.presentation["proof"]["challenge"] == challenge

        # Still nothing listening: every message reached the wallet over its own socket to the mediator.
        assert listening_ports(holder.process.pid) == {control_port}
