"""Unit constants, the rounding rule, and decimal-context isolation."""

from __future__ import annotations

import decimal
from decimal import ROUND_DOWN, ROUND_UP, Decimal, Inexact

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincode.emissions.rounding import round_kg, round_kg_per_kwh, round_tonnes
from chaincode.emissions.units import KG_PER_LB, kg_for, kg_to_tonnes, lb_per_mwh_to_kg_per_kwh


def test_pound_is_exact_by_definition():
    assert KG_PER_LB == Decimal("0.45359237")


def test_us_co2e_rate_in_kg_per_kwh():
    # ARCHITECTURE.md / SOURCES.md oracle: 770.884 lb/MWh = 0.34967 kg/kWh at 5 places.
    exact = lb_per_mwh_to_kg_per_kwh(Decimal("770.884"))
    assert exact == Decimal("0.34966710055508")
    assert round_kg_per_kwh(exact) == Decimal("0.34967")


def test_one_mwh_in_camx_is_195_037_kg():
    assert kg_for(Decimal(1000), Decimal("429.983")) == Decimal("195.03700802971")
    assert round_kg(kg_for(Decimal(1000), Decimal("429.983"))) == Decimal("195.037")


def test_kg_rounding_is_half_even_at_grams():
    assert round_kg(Decimal("0.0125")) == Decimal("0.012")
    assert round_kg(Decimal("0.0135")) == Decimal("0.014")
    assert round_kg(Decimal("0.01250001")) == Decimal("0.013")


@given(kwh=st.decimals(min_value=0, max_value=10**7, places=3), rate=st.decimals(min_value=0, max_value=3000, places=3))
def test_tonnes_and_kg_agree_to_the_gram(kwh, rate):
    # Both are rounded to the gram from the same unrounded value, so they never disagree.
    kg = kg_for(kwh, rate)
    assert round_tonnes(kg_to_tonnes(kg)) == round_kg(kg).scaleb(-3)
    assert abs(round_kg(kg) - kg) <= Decimal("0.0005")


def test_exact_arithmetic_refuses_to_round_silently():
    too_long = Decimal("1." + "1" * 70)
    with pytest.raises(Inexact):
        kg_for(too_long, Decimal("770.884"))


@pytest.mark.parametrize("prec, rounding", [(3, ROUND_DOWN), (5, ROUND_UP), (28, decimal.ROUND_CEILING)])
def test_results_ignore_the_threads_decimal_context(prec, rounding):
    expected = round_kg(kg_for(Decimal("1234.567"), Decimal("429.983")))
    with decimal.localcontext() as ctx:
        ctx.prec = prec
        ctx.rounding = rounding
        assert round_kg(kg_for(Decimal("1234.567"), Decimal("429.983"))) == expected
        assert round_tonnes(kg_to_tonnes(kg_for(Decimal("1234.567"), Decimal("429.983")))) == Decimal("0.240786")
    assert expected == Decimal("240.786")


def test_calculation_leaves_the_threads_context_untouched():
    before = decimal.getcontext().copy()
    kg_for(Decimal("1"), Decimal("3"))
    round_kg(Decimal("1.23456"))
    after = decimal.getcontext()
    assert (after.prec, after.rounding, after.flags) == (before.prec, before.rounding, before.flags)
