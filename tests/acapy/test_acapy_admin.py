"""Admin client errors and exchange deadlines against real agents."""

from __future__ import annotations

import pytest

from controllers.acapy import AcaPyAdmin, AdminApiError, ExchangeTimeout, dif_request, new_challenge
from tests.acapy.flows import account_credential, connect
from testkit.ports import free_port


async def test_errors_name_the_call(agent_network):
    agent = agent_network.running["verifier"]
    async with AcaPyAdmin(agent.admin_url, "wrong-key") as bad:
        with pytest.raises(AdminApiError) as err:
            await bad.connections()
    assert err.value.status == 401 and err.value.path == "/connections"

    async with agent_network.admin("verifier") as admin:
        assert await admin.ready() is True
        with pytest.raises(AdminApiError) as err:
            await admin.credential_exchange("00000000-0000-4000-8000-000000000000")
    assert err.value.status == 404
    # The logged/raised path is the route template: no ids or DIDs leak through it.
    assert err.value.path == "/issue-credential-2.0/records/{id}"

    async with AcaPyAdmin(f"http://127.0.0.1:{free_port()}", "k", timeout=2) as nowhere:
        with pytest.raises(AdminApiError, match="unreachable") as err:
            await nowhere.ready()
    assert err.value.status == 0


def test_request_builders_refuse_what_acapy_would_swallow():
    with pytest.raises(ValueError, match="has no schema list"):
        dif_request({"input_descriptors": [{"id": "a", "constraints": {}}]}, challenge=new_challenge())
    with pytest.raises(ValueError, match="must be a UUID4"):
        dif_request({"input_descriptors": []}, challenge="predictable")
    with pytest.raises(ValueError, match="admin URL must be"):
        AcaPyAdmin("127.0.0.1:8021", "k")


async def test_silent_exchange_times_out(agent_network):
    # The customer's agent never answers an offer by itself; nothing arrives, the deadline fires.
    async with (
        agent_network.webhooks("utility", "customer") as hooks,
        agent_network.admin("utility") as utility,
        agent_network.holder() as customer,
    ):
        u_conn, _ = await connect(utility, hooks["utility"], customer, hooks["customer"])
        issuer = await utility.create_did_key()
        offer = await utility.send_credential_offer(u_conn.connection_id, account_credential(issuer.did))
        with pytest.raises(ExchangeTimeout) as err:
            await hooks["utility"].waiter.wait_for("issue_credential_v2_0", offer.cred_ex_id, {"done"}, timeout=1.0)
        assert offer.cred_ex_id in str(err.value) and err.value.last_state == "offer-sent"
        # The controller then ends it explicitly, and the holder learns why.
        received = await hooks["customer"].waiter.wait_for_thread("issue_credential_v2_0", offer.thread_id, {"offer-received"}, timeout=10)
        await utility.credential_problem_report(offer.cred_ex_id, "offer expired")
        assert (await utility.credential_exchange(offer.cred_ex_id)).state == "abandoned"
        held = await customer.credential_exchanges(thread_id=offer.thread_id)
        assert [x.cred_ex_id for x in held] == [received.record_id]


async def test_a_listing_reads_every_page_not_only_the_first(agent_network, monkeypatch):
    """ACA-Py answers a listing one page at a time (100 records unless asked): a wallet with a long
    history must still see all of its records."""
    import controllers.acapy.admin as admin_module

    async with agent_network.admin("auditor") as admin:
        for _ in range(3):
            await admin.create_invitation(alias="paging")  # each leaves a connection record waiting
        whole = {c.connection_id for c in await admin.connections(state="invitation")}
        monkeypatch.setattr(admin_module, "LIST_PAGE", 2)
        paged = [c.connection_id for c in await admin.connections(state="invitation")]
    assert len(whole) >= 3
    assert sorted(paged) == sorted(whole)  # every page read, none twice
