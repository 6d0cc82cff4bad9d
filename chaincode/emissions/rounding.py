"""Decimal contexts and the rounding rule for published results.

Every operation here uses an explicit local `decimal.Context`; the thread's global context
(which a host process may have changed) never influences a result, so two endorsing peers agree.

Rule: quantities are computed exactly (the exact context traps `Inexact`, so any silent
rounding would raise instead), then rounded once, each from the unrounded value, half-to-even:
  - masses in kg: 3 decimal places (grams);
  - masses in metric tonnes: 6 decimal places (grams), computed from unrounded kg;
  - factors shown in kg/kWh: 5 decimal places.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Underflow,
)

# 60 significant digits hold any product of a kWh reading and an eGRID rate exactly;
# inputs too long for that raise Inexact instead of being rounded quietly.
PRECISION = 60

KG_PLACES = Decimal("0.001")
TONNE_PLACES = Decimal("0.000001")
KG_PER_KWH_PLACES = Decimal("0.00001")

_TRAPS = [InvalidOperation, DivisionByZero, Overflow, Underflow, Clamped]


def exact() -> Context:
    """A fresh context for exact arithmetic: any rounding raises `decimal.Inexact`."""
    return Context(prec=PRECISION, rounding=ROUND_HALF_EVEN, traps=[*_TRAPS, Inexact])


def rounding() -> Context:
    """A fresh context for the final, single rounding step."""
    return Context(prec=PRECISION, rounding=ROUND_HALF_EVEN, traps=list(_TRAPS))


def round_kg(kg: Decimal) -> Decimal:
    return kg.quantize(KG_PLACES, context=rounding())


def round_tonnes(tonnes: Decimal) -> Decimal:
    return tonnes.quantize(TONNE_PLACES, context=rounding())


def round_kg_per_kwh(value: Decimal) -> Decimal:
    return value.quantize(KG_PER_KWH_PLACES, context=rounding())
