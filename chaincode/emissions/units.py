"""Exact unit constants and conversions.

All constants are exact by definition (the international avoirdupois pound is defined as exactly
0.45359237 kg), so conversions lose nothing; rounding happens once, in `rounding`, at the end.
"""

from __future__ import annotations

from decimal import Decimal

from chaincode.emissions.rounding import exact

KG_PER_LB = Decimal("0.45359237")
KWH_PER_MWH = Decimal(1000)
KG_PER_TONNE = Decimal(1000)
# eGRID's own mass totals are short tons; we never report in them, but name them to avoid mixing.
KG_PER_SHORT_TON = Decimal("907.18474")

# eGRID's CO2e uses IPCC AR5 100-year GWPs (EPA eGRID model, global_warming_potential.csv).
GWP_AR5 = {"co2": Decimal(1), "ch4": Decimal(28), "n2o": Decimal(265)}


def lb_per_mwh_to_kg_per_kwh(rate_lb_per_mwh: Decimal) -> Decimal:
    """An eGRID output rate (lb/MWh) as kg/kWh, unrounded."""
    ctx = exact()
    return ctx.divide(ctx.multiply(rate_lb_per_mwh, KG_PER_LB), KWH_PER_MWH)


def kg_for(kwh: Decimal, rate_lb_per_mwh: Decimal) -> Decimal:
    """Mass in kg emitted for `kwh` at `rate_lb_per_mwh`, unrounded (exact)."""
    ctx = exact()
    return ctx.divide(ctx.multiply(ctx.multiply(kwh, rate_lb_per_mwh), KG_PER_LB), KWH_PER_MWH)


def kg_to_tonnes(kg: Decimal) -> Decimal:
    """Metric tonnes, unrounded (exact)."""
    return exact().divide(kg, KG_PER_TONNE)
