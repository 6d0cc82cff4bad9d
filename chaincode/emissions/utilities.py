"""Electric utilities (by EIA-861 utility number) and their eGRID subregion assignment.

The assignment is computed once, when the factor data is derived from EPA's crosswalks
(scripts/derive_factor_data.py, which documents the rule), and stored with the utility so that
the ledger, and anyone auditing it, sees which subregion was chosen, from which candidates, and
whether the choice was ambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from chaincode.emissions.errors import FactorDataError

Crosswalk = Literal["utility", "transmission"]
_CROSSWALKS = ("utility", "transmission")


@dataclass(frozen=True)
class SubregionAssignment:
    """How a utility was placed in an eGRID subregion.

    `candidates` counts crosswalk rows per subregion in the table used; `shortlist` is what
    remained after the NERC-region and interconnection filters; the choice is `ambiguous` when
    the shortlist held more than one subregion.
    """

    chosen: str
    crosswalk: Crosswalk
    candidates: Mapping[str, int]
    shortlist: tuple[str, ...]
    basis: str

    def __post_init__(self) -> None:
        if self.crosswalk not in _CROSSWALKS:
            raise FactorDataError(f"crosswalk must be one of {_CROSSWALKS}, got {self.crosswalk!r}")
        if self.chosen not in self.shortlist or not set(self.shortlist) <= set(self.candidates):
            raise FactorDataError(f"subregion {self.chosen!r} must be in the shortlist and candidates")
        object.__setattr__(self, "candidates", MappingProxyType(dict(self.candidates)))
        object.__setattr__(self, "shortlist", tuple(self.shortlist))

    @property
    def ambiguous(self) -> bool:
        return len(self.shortlist) > 1

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "crosswalk": self.crosswalk,
            "candidates": dict(sorted(self.candidates.items())),
            "shortlist": list(self.shortlist),
            "ambiguous": self.ambiguous,
            "basis": self.basis,
        }

    @classmethod
    def from_json_dict(cls, data: object, what: str) -> SubregionAssignment:
        if not isinstance(data, Mapping):
            raise FactorDataError(f"{what}: expected an object")
        try:
            candidates = data["candidates"]
            if not isinstance(candidates, Mapping) or not all(
                isinstance(k, str) and isinstance(v, int) and v > 0 for k, v in candidates.items()
            ):
                raise FactorDataError(f"{what}.candidates: expected subregion -> positive row count")
            assignment = cls(
                chosen=str(data["chosen"]),
                crosswalk=data["crosswalk"],
                candidates=candidates,
                shortlist=tuple(str(s) for s in data["shortlist"]),
                basis=str(data["basis"]),
            )
        except KeyError as exc:
            raise FactorDataError(f"{what}: missing {exc.args[0]}") from None
        if "ambiguous" in data and data["ambiguous"] != assignment.ambiguous:
            raise FactorDataError(f"{what}.ambiguous disagrees with its shortlist")
        return assignment


@dataclass(frozen=True)
class UtilityRecord:
    """An electric utility as EIA-861 and EPA's crosswalks know it.

    `name`, `states` and `nerc_region` come from EIA-861 (`eia861_year` says which table);
    a utility only EPA's crosswalks name has none of them. `subregion` is None when no
    crosswalk names the utility.
    """

    eia_id: int
    name: str | None
    states: tuple[str, ...]
    nerc_region: str | None
    eia861_year: int | None
    subregion: SubregionAssignment | None

    def __post_init__(self) -> None:
        if not isinstance(self.eia_id, int) or isinstance(self.eia_id, bool) or self.eia_id <= 0:
            raise FactorDataError(f"EIA utility number must be a positive integer, got {self.eia_id!r}")
        object.__setattr__(self, "states", tuple(sorted(self.states)))

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "states": list(self.states),
            "nerc_region": self.nerc_region,
            "eia861_year": self.eia861_year,
            "subregion": None if self.subregion is None else self.subregion.to_json_dict(),
        }

    @classmethod
    def from_json_dict(cls, eia_id: int, data: object) -> UtilityRecord:
        what = f"utility {eia_id}"
        if not isinstance(data, Mapping):
            raise FactorDataError(f"{what}: expected an object")
        states = data.get("states", [])
        if not isinstance(states, list) or not all(isinstance(s, str) for s in states):
            raise FactorDataError(f"{what}.states: expected a list of state codes")
        subregion = data.get("subregion")
        return cls(
            eia_id=eia_id,
            name=data.get("name"),
            states=tuple(states),
            nerc_region=data.get("nerc_region"),
            eia861_year=data.get("eia861_year"),
            subregion=None if subregion is None else SubregionAssignment.from_json_dict(subregion, f"{what}.subregion"),
        )


def utilities_from_json_dict(data: object) -> Mapping[int, UtilityRecord]:
    """The `utilities` object of utilities.json (EIA id string -> record) as a read-only map."""
    if not isinstance(data, Mapping):
        raise FactorDataError("utilities: expected an object keyed by EIA utility number")
    records: dict[int, UtilityRecord] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.isdigit():
            raise FactorDataError(f"utilities: key {key!r} is not an EIA utility number")
        records[int(key)] = UtilityRecord.from_json_dict(int(key), value)
    return MappingProxyType(records)
