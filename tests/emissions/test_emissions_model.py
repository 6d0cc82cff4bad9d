"""Factor data model: JSON round-trips (the ledger's storage form) and clear errors on bad data."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from emissions_fixtures import edition, rates, utility

from chaincode.emissions.canonical import canonical_json
from chaincode.emissions.errors import FactorDataError
from chaincode.emissions.factors import EmissionRates, FactorEdition, ResourceMix
from chaincode.emissions.market import MarketFactor
from chaincode.emissions.utilities import UtilityRecord, utilities_from_json_dict


def test_shipped_edition_round_trips_through_json(egrid2023):
    document = egrid2023.to_json_dict()
    rebuilt = FactorEdition.from_json_dict(json.loads(canonical_json(document)))
    assert rebuilt == egrid2023
    assert canonical_json(rebuilt.to_json_dict()) == canonical_json(document)


def test_shipped_utilities_round_trip_through_json(utilities):
    document = {str(k): v.to_json_dict() for k, v in utilities.items()}
    rebuilt = utilities_from_json_dict(json.loads(json.dumps(document)))
    assert dict(rebuilt) == dict(utilities)


def test_market_factor_round_trips():
    factor = MarketFactor(utility_id=14328, year=2023, kind="supplier-specific", rates=rates("200"), source="PG&E PCL 2023")
    assert MarketFactor.from_json_dict(factor.to_json_dict()) == factor


def test_edition_is_read_only(egrid2023):
    with pytest.raises(TypeError):
        egrid2023.subregions["XXXX"] = egrid2023.us  # type: ignore[index]


def test_renewable_share_excludes_nuclear(egrid2023):
    from emissions_fixtures import mix

    assert mix(nuclear="0.9", solar="0.1").renewable_share == Decimal("0.1")
    assert mix(hydro="0.2", biomass="0.1", wind="0.3", solar="0.15", geothermal="0.05").renewable_share == Decimal("0.80")
    camx = egrid2023.subregions["CAMX"].mix
    assert camx.renewable_share == camx.hydro + camx.biomass + camx.wind + camx.solar + camx.geothermal


def test_rates_refuse_floats_with_a_named_field():
    with pytest.raises(FactorDataError, match=r"rates\.co2e.*decimal string"):
        EmissionRates.from_json_dict({"co2": "1", "ch4": "0", "n2o": "0", "co2e": 770.884})


def test_rates_refuse_missing_and_negative_values():
    with pytest.raises(FactorDataError, match="missing n2o"):
        EmissionRates.from_json_dict({"co2": "1", "ch4": "0", "co2e": "1"})
    with pytest.raises(FactorDataError, match="co2 rate must be a non-negative"):
        EmissionRates(co2=Decimal("-1"), ch4=Decimal(0), n2o=Decimal(0), co2e=Decimal(0))


def test_mix_fractions_must_lie_in_unit_interval():
    document = {name: "0" for name in ResourceMix.__dataclass_fields__}
    document["wind"] = "1.2"
    with pytest.raises(FactorDataError, match="wind fraction"):
        ResourceMix.from_json_dict(document)


def test_edition_needs_integer_year():
    document = edition(2023).to_json_dict()
    document["year"] = "2023"
    with pytest.raises(FactorDataError, match="year must be an integer"):
        FactorEdition.from_json_dict(document)


def test_utility_record_validates_assignment():
    document = utility(7, subregion="AAAA", shortlist=("AAAA", "BBBB")).to_json_dict()
    assert document["subregion"]["ambiguous"] is True
    document["subregion"]["ambiguous"] = False
    with pytest.raises(FactorDataError, match="ambiguous disagrees"):
        UtilityRecord.from_json_dict(7, document)
    document["subregion"]["ambiguous"] = True
    document["subregion"]["chosen"] = "CCCC"
    with pytest.raises(FactorDataError, match="must be in the shortlist"):
        UtilityRecord.from_json_dict(7, document)


def test_market_factor_kind_is_checked():
    with pytest.raises(FactorDataError, match="kind must be one of"):
        MarketFactor(utility_id=1, year=2023, kind="green-tariff", rates=rates("1"), source="x")  # type: ignore[arg-type]
