"""The factor data committed with the package (chaincode/emissions/data/).

Used by the command line and to seed the ledger's factor registry; the chaincode itself reads
factors from ledger state and never needs these files or ../shared at run time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from chaincode.emissions.combustion import FuelEdition
from chaincode.emissions.errors import FactorDataError
from chaincode.emissions.factors import FactorEdition
from chaincode.emissions.utilities import UtilityRecord, utilities_from_json_dict

_PACKAGE = "chaincode.emissions.data"
EDITION_FILES = ("egrid2023.json",)
FUEL_EDITION_FILES = ("ghghub2024.json",)
UTILITIES_FILE = "utilities.json"


def _load(name: str) -> Any:
    try:
        return json.loads(files(_PACKAGE).joinpath(name).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FactorDataError(f"shipped factor data {name} unreadable: {exc}") from exc


@cache
def load_editions() -> tuple[FactorEdition, ...]:
    """Every shipped eGRID edition, oldest first."""
    editions = (FactorEdition.from_json_dict(_load(name)) for name in EDITION_FILES)
    return tuple(sorted(editions, key=lambda e: e.year))


@cache
def load_fuel_editions() -> tuple[FuelEdition, ...]:
    """Every shipped fuel edition (Scope 1 factors), oldest first."""
    return tuple(sorted((FuelEdition.from_json_dict(_load(name)) for name in FUEL_EDITION_FILES), key=lambda e: e.year))


@cache
def load_utilities() -> Mapping[int, UtilityRecord]:
    """EIA utility number -> record, read-only."""
    document = _load(UTILITIES_FILE)
    if not isinstance(document, dict) or "utilities" not in document:
        raise FactorDataError(f"shipped factor data {UTILITIES_FILE}: no 'utilities' object")
    return utilities_from_json_dict(document["utilities"])


def utilities_provenance() -> Mapping[str, Any]:
    """Where the utility data came from and the subregion rule, as stored in utilities.json."""
    return _load(UTILITIES_FILE)["provenance"]
