"""Small synthetic editions, utilities and rates for the emissions tests."""

from __future__ import annotations

from decimal import Decimal

from chaincode.emissions.factors import EmissionRates, FactorEdition, RegionFactor, ResourceMix
from chaincode.emissions.utilities import SubregionAssignment, UtilityRecord


def rates(co2e: str, co2: str = "100", ch4: str = "0.01", n2o: str = "0.001") -> EmissionRates:
    return EmissionRates(co2=Decimal(co2), ch4=Decimal(ch4), n2o=Decimal(n2o), co2e=Decimal(co2e))


def mix(**fractions: str) -> ResourceMix:
    names = ("coal", "oil", "gas", "other_fossil", "nuclear", "hydro", "biomass", "wind", "solar",
             "geothermal", "other_unknown_purchased_fuel")
    return ResourceMix(**{n: Decimal(fractions.get(n, "0")) for n in names})


def region(code: str, co2e: str, **fractions: str) -> RegionFactor:
    return RegionFactor(code=code, name=f"{code} name", rates=rates(co2e), mix=mix(**fractions))


def edition(year: int, name: str | None = None) -> FactorEdition:
    return FactorEdition(
        edition=name or f"eGRID{year}",
        year=year,
        published=f"{year + 2}-01",
        source="synthetic test edition",
        subregions={"AAAA": region("AAAA", "500", gas="0.5", wind="0.5"), "BBBB": region("BBBB", "300", hydro="1")},
        states={"XX": region("XX", "400", coal="1"), "YY": region("YY", "200", nuclear="0.9", solar="0.1")},
        us=region("US", "450", gas="0.7", wind="0.3"),
        provenance={"note": "synthetic"},
    )


def utility(eia_id: int = 1, states: tuple[str, ...] = ("XX",), subregion: str | None = None,
            shortlist: tuple[str, ...] | None = None) -> UtilityRecord:
    assignment = None
    if subregion is not None:
        shortlist = shortlist or (subregion,)
        assignment = SubregionAssignment(
            chosen=subregion, crosswalk="transmission",
            candidates={s: 1 for s in shortlist}, shortlist=shortlist, basis="synthetic",
        )
    return UtilityRecord(eia_id=eia_id, name=f"Utility {eia_id}", states=states, nerc_region="WECC",
                         eia861_year=2020, subregion=assignment)
