"""AuditorRegistry through the Gateway: governance, majority approval, status history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from controllers.ledger import AuditorSpec, LedgerError

from testkit.ledger import AUDITORS
from tests.emissions_chaincode.setup import DIDS, INDEX_SECRET, auditor_spec, bootstrap, register

pytestmark = pytest.mark.fabric_too  # governance and factors as the real peer runs them


async def test_bootstrap_needs_an_admin_of_every_founding_org(network):
    async with network.client("Auditor1MSP", "Admin") as admin1:
        pending = await admin1.bootstrap(AUDITORS, INDEX_SECRET)
        assert pending["status"] == "pending" and pending["approved"] == ["Auditor1MSP"]
        with pytest.raises(LedgerError, match="has already approved the bootstrap"):
            await admin1.bootstrap(AUDITORS)
        with pytest.raises(LedgerError, match="no governing orgs yet"):
            await admin1.propose_auditor(auditor_spec("Auditor1MSP"))
    async with network.client("Auditor2MSP", "Admin") as admin2:
        with pytest.raises(LedgerError, match="is pending; call Bootstrap with that list"):
            await admin2.bootstrap(["Auditor2MSP"])
        active = await admin2.bootstrap(AUDITORS)
        assert active["status"] == "active" and active["orgs"] == list(AUDITORS)
        with pytest.raises(LedgerError, match="already governed by Auditor1MSP, Auditor2MSP"):
            await admin2.bootstrap(AUDITORS)


async def test_bootstrap_rules(network):
    async with network.client("Auditor1MSP", "User1") as client:
        with pytest.raises(LedgerError, match=r"only an org admin \(OU 'admin'\) may bootstrap"):
            await client.bootstrap(AUDITORS)
    async with network.client("Auditor1MSP", "Admin") as admin:
        with pytest.raises(LedgerError, match="one of the founding orgs"):
            await admin.bootstrap(["Auditor2MSP", "VerifierMSP"])


async def test_no_single_org_registers_an_auditor(network):
    await bootstrap(network)
    async with network.client("Auditor1MSP", "Admin") as admin1, network.client("Auditor2MSP", "Admin") as admin2:
        proposal = await admin1.propose_auditor(auditor_spec("Auditor1MSP"))
        assert proposal["status"] == "open" and proposal["approvals"] == ["Auditor1MSP"]
        with pytest.raises(LedgerError, match="is not a registered auditor org"):
            await admin1.get_auditor("Auditor1MSP")
        with pytest.raises(LedgerError, match="has already approved proposal"):
            await admin1.approve(proposal["proposal_id"])
        applied = await admin2.approve(proposal["proposal_id"])
        assert applied["status"] == "applied"
        auditor = await admin1.get_auditor("Auditor1MSP")
        assert auditor["status"] == "active" and auditor["dids"] == [DIDS["Auditor1MSP"]]
        with pytest.raises(LedgerError, match="is already applied"):
            await admin2.approve(proposal["proposal_id"])
        with pytest.raises(LedgerError, match="Auditor1MSP is already a registered auditor"):
            await admin2.propose_auditor(auditor_spec("Auditor1MSP"))
        with pytest.raises(LedgerError, match="is already registered to Auditor1MSP"):
            await admin2.propose_auditor(AuditorSpec("Auditor2MSP", "x", (DIDS["Auditor1MSP"],), "z6LSbysY2xFMRpGM"))


async def test_only_governing_admins_propose_and_approve(network):
    await bootstrap(network)
    async with network.client("VerifierMSP", "Admin") as outsider:
        with pytest.raises(LedgerError, match="VerifierMSP is not a governing org"):
            await outsider.propose_auditor(auditor_spec("Auditor1MSP"))
    async with network.client("Auditor1MSP", "User1") as client:
        with pytest.raises(LedgerError, match="only an org admin"):
            await client.propose_auditor(auditor_spec("Auditor1MSP"))
    async with network.client("Auditor1MSP", "Admin") as admin:
        with pytest.raises(LedgerError, match="must be a did:key DID"):
            await admin.propose_auditor(AuditorSpec("Auditor1MSP", "A", ("did:web:example.com",), "z6LSbysY2xFMRpGM"))
        with pytest.raises(LedgerError, match="no proposal nope"):
            await admin.approve("nope")


async def test_deactivation_keeps_history_and_answers_for_past_times(network):
    await bootstrap(network)
    await register(network, "Auditor1MSP")
    did = DIDS["Auditor1MSP"]
    async with network.client("Auditor1MSP", "Admin") as admin1, network.client("Auditor2MSP", "Admin") as admin2:
        registered = await admin1.get_auditor("Auditor1MSP")
        between = datetime.now(UTC)
        proposal = await admin2.propose_status_change("Auditor1MSP", "deactivate", "licence suspended")
        await admin1.approve(proposal["proposal_id"])
        assert (await admin1.get_auditor("Auditor1MSP"))["status"] == "inactive"
        assert await admin1.list_auditors("active") == []
        with pytest.raises(LedgerError, match="is already inactive"):
            await admin1.propose_status_change("Auditor1MSP", "deactivate", "again")

        then = await admin1.is_active_auditor(did, between)
        assert then["registered"] and then["active"] and then["since"] == registered["since"]
        now = await admin1.is_active_auditor(did, datetime.now(UTC) + timedelta(seconds=1))
        assert now["registered"] and not now["active"]
        before = await admin1.is_active_auditor(did, datetime(2020, 1, 1, tzinfo=UTC))
        assert not before["registered"]
        unknown = await admin1.is_active_auditor("did:key:z6MkunknownunknownunknownunknownunknownXX", between)
        assert unknown == {**unknown, "registered": False, "active": False}

        again = await admin1.propose_status_change("Auditor1MSP", "reactivate", "licence restored")
        await admin2.approve(again["proposal_id"])
        assert [a["msp_id"] for a in await admin1.list_auditors("active")] == ["Auditor1MSP"]
        history = await admin1._evaluate("AuditorRegistry", "AuditorHistory", "Auditor1MSP")
        assert [h["auditor"]["status"] for h in history] == ["active", "inactive", "active"]
