"""FactorRegistry through the Gateway: batched loading, sealing, immutability, lookups."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from chaincode.emissions.factors import EmissionRates
from chaincode.emissions.market import MarketFactor
from controllers.ledger import LedgerError

from testkit.ledger import PGE, small_edition
from tests.emissions_chaincode.setup import bootstrap, customer, governed_with_factors, record_request, register

pytestmark = pytest.mark.fabric_too  # governance and factors as the real peer runs them


async def test_loaded_edition_is_sealed_with_its_digest_and_answers_lookups(network):
    await governed_with_factors(network)
    async with network.client("VerifierMSP") as reader:
        [edition] = await reader.list_editions()
        assert edition["edition"] == "eGRID2023" and edition["status"] == "sealed" and len(edition["digest"]) == 64
        factor = await reader.get_factor(PGE, 2024)
        assert factor["edition"] == "eGRID2023" and factor["level"] == "subregion"
        assert factor["location"]["region"] == "CAMX" and "CAMX" in factor["reason"]
        assert factor["location"]["rates_lb_per_mwh"]["co2e"] == small_edition()[0].subregions["CAMX"].rates.co2e.to_eng_string()
        assert factor["market"]["status"] == "location-fallback"
        with pytest.raises(LedgerError, match="no sealed eGRID edition applies to 2019"):
            await reader.get_factor(PGE, 2019)
        with pytest.raises(LedgerError, match="utility 999 is not known in factor edition 'eGRID2023'"):
            await reader.get_factor(999, 2024)


async def test_sealed_edition_refuses_every_write(network):
    await governed_with_factors(network)
    edition, utilities = small_edition()
    async with network.client("Auditor2MSP", "Admin") as admin:
        with pytest.raises(LedgerError, match="edition 'eGRID2023' is sealed; it cannot be changed"):
            await admin.load_edition(edition, utilities)
        regions = json.dumps({"CAMX": edition.subregions["CAMX"].to_json_dict()})
        with pytest.raises(LedgerError, match="is sealed; it cannot be changed"):
            await admin._submit("FactorRegistry", "LoadRegions", "eGRID2023", "subregion", regions)
        with pytest.raises(LedgerError, match="is sealed; it cannot be changed"):
            await admin._submit("FactorRegistry", "SealEdition", "eGRID2023", "0" * 64)


async def test_seal_checks_the_digest_and_loading_needs_a_governing_admin(network):
    await bootstrap(network)
    edition, utilities = small_edition()
    header = {k: v for k, v in edition.to_json_dict().items() if k not in ("subregions", "states")}
    async with network.client("Auditor1MSP", "User1") as client:
        with pytest.raises(LedgerError, match="only an org admin"):
            await client._submit("FactorRegistry", "CreateEdition", json.dumps(header))
    async with network.client("VerifierMSP", "Admin") as outsider:
        with pytest.raises(LedgerError, match="VerifierMSP is not a governing org"):
            await outsider._submit("FactorRegistry", "CreateEdition", json.dumps(header))
    async with network.client("Auditor1MSP", "Admin") as admin:
        with pytest.raises(LedgerError, match="does not exist; CreateEdition first"):
            await admin._submit("FactorRegistry", "LoadUtilities", "eGRID2023", "{}")
        await admin._submit("FactorRegistry", "CreateEdition", json.dumps(header))
        with pytest.raises(LedgerError, match="fraction must be decimal strings"):
            await admin._submit("FactorRegistry", "LoadRegions", "eGRID2023", "state", '{"CA": {"rates": 1.5}}')
        with pytest.raises(LedgerError, match="has digest [0-9a-f]{64}, not 0{64}: 0 subregions, 0 states and 0 utilities"):
            await admin._submit("FactorRegistry", "SealEdition", "eGRID2023", "0" * 64)
    await register(network, "Auditor1MSP")
    async with network.client("Auditor1MSP") as client:
        with pytest.raises(LedgerError, match="edition 'eGRID2023' is still loading; it must be sealed before use"):
            await client.record_emissions(record_request(), customer())
        with pytest.raises(LedgerError, match="no sealed eGRID edition applies to 2024"):
            await client.get_factor(PGE, 2024)


async def test_market_factor_is_write_once_and_used(network):
    await governed_with_factors(network)
    rates = EmissionRates(co2=Decimal("400"), ch4=Decimal("0.02"), n2o=Decimal("0.003"), co2e=Decimal("401.355"))
    factor = MarketFactor(PGE, 2023, "supplier-specific", rates, "PG&E 2023 Power Content Label")
    async with network.client("Auditor1MSP", "Admin") as admin:
        stored = await admin.set_market_factor(factor)
        assert stored["source"] == "PG&E 2023 Power Content Label"
        with pytest.raises(LedgerError, match="already registered; market factors cannot be replaced"):
            await admin.set_market_factor(factor)
        resolved = await admin.get_factor(PGE, 2024)
        assert resolved["market"]["status"] == "supplier-specific"
        assert resolved["market"]["source"] == "PG&E 2023 Power Content Label"
        assert resolved["market"]["rates_lb_per_mwh"]["co2e"] == "401.355"
