"""The verifier on Scope 1 credentials (natural gas burned on site), against a real ledger and the
auditor's real agent: a good one verifies, and one re-signed by a registered auditor with a
forged scope, another fuel or other tonnes is refused with the reason."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from chaincode.emissions.shipped import load_fuel_editions
from controllers.ledger import BillReference, CustomerDetail, GasUsage, RecordRequest, open_ledger
from controllers.verifier.verdict import REJECTED, VERIFIED
from credentials import LedgerAnchor, emissions_credential
from tests.credentials.world import PGE

HUB = load_fuel_editions()[-1]


@pytest.fixture
async def gas_credential(ledger_world):
    """A Scope 1 record on the ledger (50 therm in January 2024) and its credential, signed by the
    registered auditor DID that recorded it; as the issuer would build it from the ledger's answers."""
    world = ledger_world
    async with open_ledger(world.layout.profile(world.peer.address, "Auditor1MSP", "Admin")) as admin:
        await admin.client.load_fuel_edition(HUB)
    auditor_did = world.parties.auditor_dids["Auditor1MSP"]
    request = RecordRequest(utility_id=PGE, period_start=datetime(2024, 1, 1, 8, tzinfo=UTC),
                            period_end=datetime(2024, 2, 1, 8, tzinfo=UTC), edition=HUB.edition,
                            auditor_did=auditor_did, scope=1, fuel="natural_gas")
    detail = CustomerDetail(world.parties.customer_did, "GAS-0042", "SP-GAS-1", kwh=None,
                            bill=BillReference("espi-atom+xml", "bafkreigasbill", "9" * 64),
                            gas=GasUsage(Decimal(50), "therm"))
    client = world.auditor_ledger.client
    record = (await client.record_emissions(request, detail)).record
    stored = await client.get_record_detail(record["record_id"])
    status = await world.verifier_ledger.transaction_status(record["tx_id"])
    profile = world.auditor_ledger.profile
    anchor = LedgerAnchor(profile.channel, profile.chaincode, record["record_id"], record["tx_id"], status.block_number)
    unsigned = emissions_credential(issuer_did=auditor_did, record=record, detail=stored, anchor=anchor)
    return unsigned, await world.auditor_admin.vc_issue(unsigned)


def failed(verdict) -> dict[str, str]:
    return {c.name: c.detail for c in verdict.checks if not c.ok}


async def resigned(world, unsigned, change) -> dict:
    """The credential edited by `change` and signed again by the same registered auditor DID: the
    proof holds, so only the checks against the detail and the ledger can refuse it."""
    edited = copy.deepcopy(unsigned)
    change(edited["credentialSubject"])
    return await world.auditor_admin.vc_issue(edited)


async def test_a_gas_credential_verifies_with_its_scope_fuel_and_tonnes(ledger_world, gas_credential):
    _, signed = gas_credential
    verdict = await ledger_world.verifier().check_credential(signed)
    assert verdict.status == VERIFIED, verdict.reasons
    assert {k: verdict.summary[k] for k in ("scope", "fuel", "fuel_quantity", "fuel_unit", "scope1_tco2e")} == {
        "scope": 1, "fuel": "natural_gas", "fuel_quantity": "50", "fuel_unit": "therm", "scope1_tco2e": "0.265572"}
    assert "kwh" not in verdict.summary


async def test_a_gas_record_presented_as_electricity_is_refused_for_its_scope(ledger_world, gas_credential):
    unsigned, _ = gas_credential

    def as_electricity(subject):
        for term in ("fuel", "fuelQuantity", "fuelUnit", "fuelEnergyMmbtu", "scope1Tco2e"):
            del subject[term]
        subject.update(ghgScope="2", electricityKwh="1465.388", locationBasedTco2e="0.265572",
                       marketBasedTco2e="0.265572")

    verdict = await ledger_world.verifier().check_credential(await resigned(ledger_world, unsigned, as_electricity))
    assert verdict.status == REJECTED
    reasons = failed(verdict)
    assert reasons["record"].startswith("the ledger's record differs in scope (1 on the ledger, 2 in the credential), "
                                        "fuel ('natural_gas' on the ledger, None in the credential)"), reasons
    assert reasons["consistent"].startswith("ghgScope, electricityKwh, locationBasedTco2e, marketBasedTco2e differ")


async def test_other_tonnes_in_a_gas_credential_are_refused(ledger_world, gas_credential):
    unsigned, _ = gas_credential
    claim_only = await resigned(ledger_world, unsigned, lambda s: s.update(scope1Tco2e="0.000001"))
    verdict = await ledger_world.verifier().check_credential(claim_only)
    assert verdict.status == REJECTED
    assert failed(verdict) == {"consistent": "scope1Tco2e differs from the record detail"}

    def everywhere(subject):
        subject["scope1Tco2e"] = "0.000001"
        subject["recordDetail"]["emissions"]["emissions"]["co2e_t"] = "0.000001"

    verdict = await ledger_world.verifier().check_credential(await resigned(ledger_world, unsigned, everywhere))
    assert verdict.status == REJECTED
    assert failed(verdict) == {"detail hash": "the record detail in the credential does not match the hash on the ledger"}


async def test_another_fuel_in_a_gas_credential_is_refused(ledger_world, gas_credential):
    unsigned, _ = gas_credential
    verdict = await ledger_world.verifier().check_credential(
        await resigned(ledger_world, unsigned, lambda s: s.update(fuel="propane")))
    assert verdict.status == REJECTED
    reasons = failed(verdict)
    assert set(reasons) == {"consistent", "record"}, reasons
    assert reasons["consistent"] == "fuel differs from the record detail"
    assert reasons["record"] == "the ledger's record differs in fuel ('natural_gas' on the ledger, 'propane' in the credential)"
