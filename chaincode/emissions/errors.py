"""Errors raised by the emissions package; each message names the offending input."""

from __future__ import annotations


class EmissionsError(ValueError):
    """Base class: bad factor data, an unknown utility, no applicable edition, bad kWh."""


class FactorDataError(EmissionsError):
    """Factor or utility data (shipped JSON or ledger state) is malformed."""


class UnknownUtilityError(EmissionsError):
    """The EIA utility number is in neither EIA-861 nor EPA's crosswalks."""


class NoEditionError(EmissionsError):
    """No factor edition applies to the requested year."""


class CalculationError(EmissionsError):
    """The calculation was given inputs it cannot honour (negative kWh, bad period)."""
