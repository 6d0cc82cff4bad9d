"""Fixtures for the emissions tests: the shipped factor data."""

from __future__ import annotations

import pytest

from chaincode.emissions import shipped
from chaincode.emissions.factors import FactorEdition


@pytest.fixture(scope="session")
def editions() -> tuple[FactorEdition, ...]:
    return shipped.load_editions()


@pytest.fixture(scope="session")
def egrid2023(editions) -> FactorEdition:
    (only,) = editions
    return only


@pytest.fixture(scope="session")
def utilities():
    return shipped.load_utilities()
