"""Edition selection, location-based level fallback, ambiguity, market-based resolution."""

from __future__ import annotations

import pytest
from emissions_fixtures import edition, rates, utility

from chaincode.emissions.errors import FactorDataError, NoEditionError, UnknownUtilityError
from chaincode.emissions.lookup import (
    find_utility,
    resolve_location_factor,
    resolve_market_factor,
    select_edition,
)
from chaincode.emissions.market import MarketFactor

# ---------------------------------------------------------------- editions


def test_matching_edition_is_chosen():
    eds = [edition(2021), edition(2022), edition(2023)]
    assert select_edition(eds, 2022).edition == "eGRID2022"


def test_later_year_uses_latest_earlier_edition():
    eds = [edition(2023), edition(2021)]
    assert select_edition(eds, 2022).edition == "eGRID2021"
    assert select_edition(eds, 2030).edition == "eGRID2023"


def test_year_before_every_edition_is_an_error_naming_year_and_editions(editions):
    with pytest.raises(NoEditionError, match=r"no eGRID edition applies to 2022: available editions are eGRID2023 \(2023\)"):
        select_edition(editions, 2022)


def test_two_editions_for_one_year_are_refused():
    with pytest.raises(FactorDataError, match="two editions for data year 2023"):
        select_edition([edition(2023), edition(2023, "eGRID2023rev9")], 2023)


def test_shipped_edition_carries_provenance(egrid2023):
    assert (egrid2023.edition, egrid2023.year) == ("eGRID2023", 2023)
    assert egrid2023.published.startswith("2025")
    assert "Table 1" in egrid2023.provenance["tables"]["subregions.rates"]
    assert len(egrid2023.subregions) == 27 and "US" not in egrid2023.states

# ---------------------------------------------------------------- location-based


def test_pge_resolves_to_camx(egrid2023, utilities):
    found = resolve_location_factor(egrid2023, find_utility(utilities, 14328))
    assert (found.level, found.region, found.ambiguous) == ("subregion", "CAMX", False)
    assert str(found.rates.co2e) == "429.983"
    assert "14328" in found.reason and "utility crosswalk" in found.reason


def test_con_edison_resolves_to_nycw_despite_an_rfcw_row(egrid2023, utilities):
    con_ed = find_utility(utilities, 4226)
    assert dict(con_ed.subregion.candidates) == {"NYCW": 4, "RFCW": 1}
    found = resolve_location_factor(egrid2023, con_ed)
    assert (found.level, found.region, found.ambiguous) == ("subregion", "NYCW", False)
    assert "NERC region NPCC" in found.reason


def test_utility_outside_crosswalks_falls_back_to_state():
    found = resolve_location_factor(edition(2023), utility(5, states=("YY",)))
    assert (found.level, found.region) == ("state", "YY")
    assert "no EPA subregion crosswalk" in found.reason and "YY" in found.reason


def test_unknown_state_falls_back_to_us():
    found = resolve_location_factor(edition(2023), utility(5, states=("ZZ",)))
    assert (found.level, found.region) == ("national", "US")
    assert "no state rate for ZZ" in found.reason


def test_territory_without_egrid_rate_uses_us_average(egrid2023, utilities):
    guam = resolve_location_factor(egrid2023, find_utility(utilities, 40428))
    assert (guam.level, guam.region, str(guam.rates.co2e)) == ("national", "US", "770.884")


def test_subregion_missing_from_edition_falls_back_to_state():
    found = resolve_location_factor(edition(2023), utility(5, states=("XX",), subregion="GONE"))
    assert (found.level, found.region) == ("state", "XX")
    assert "GONE has no eGRID2023 rate" in found.reason


def test_ambiguous_assignment_is_reported_with_candidates():
    found = resolve_location_factor(edition(2023), utility(5, subregion="AAAA", shortlist=("AAAA", "BBBB")))
    assert found.ambiguous is True
    assert found.candidates == ("AAAA", "BBBB")
    assert "candidates AAAA, BBBB" in found.reason


def test_shipped_ambiguities_are_flagged(utilities):
    ambiguous = [u for u in utilities.values() if u.subregion and u.subregion.ambiguous]
    assert ambiguous, "EPA's transmission crosswalk has utilities left with several subregions"
    for record in ambiguous:
        assert len(record.subregion.shortlist) > 1 and record.subregion.chosen == record.subregion.shortlist[0]


def test_unknown_utility_is_a_clear_error(utilities):
    with pytest.raises(UnknownUtilityError, match="EIA utility 999999999 is in neither"):
        find_utility(utilities, 999999999)

# ---------------------------------------------------------------- market-based


def _location():
    return resolve_location_factor(edition(2023), utility(9, subregion="AAAA"))


def test_market_without_registered_factor_is_flagged_location_fallback():
    location = _location()
    market = resolve_market_factor(location, 9, 2024)
    assert market.status == "location-fallback" and market.fallback
    assert market.rates == location.rates
    assert "no supplier-specific or residual-mix factor exists" in market.reason


def test_registered_supplier_factor_is_used_and_beats_residual_mix():
    registered = [
        MarketFactor(9, 2023, "residual-mix", rates("600"), "residual mix 2023"),
        MarketFactor(9, 2022, "supplier-specific", rates("120"), "utility disclosure 2022"),
        MarketFactor(9, 2023, "supplier-specific", rates("110"), "utility disclosure 2023"),
        MarketFactor(9, 2025, "supplier-specific", rates("90"), "too new"),
        MarketFactor(8, 2023, "supplier-specific", rates("1"), "another utility"),
    ]
    market = resolve_market_factor(_location(), 9, 2024, registered)
    assert (market.status, market.fallback, str(market.rates.co2e)) == ("supplier-specific", False, "110")
    assert "from 2023" in market.reason


def test_residual_mix_used_when_no_supplier_factor():
    registered = [MarketFactor(9, 2023, "residual-mix", rates("600"), "residual mix 2023")]
    market = resolve_market_factor(_location(), 9, 2023, registered)
    assert (market.status, str(market.rates.co2e)) == ("residual-mix", "600")
