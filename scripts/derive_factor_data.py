#!/usr/bin/env python3
"""Derive the project's factor data from EPA eGRID and EIA-861 sources.

Reads the CSVs in ../shared/data/egrid (see SOURCES.md there) and writes, under
chaincode/emissions/data/:

- egrid2023.json: eGRID2023 total output emission rates (CO2, CH4, N2O, CO2e; lb/MWh) and
  generation mix for the 27 subregions, 52 states/territories with eGRID rates and the US, with
  provenance (edition, revision, tables, publication, SHA-256 of every input).
- utilities.json: EIA utility number -> name, state(s), NERC region, and eGRID subregion
  assignment (candidates, chosen, ambiguity), with provenance.
- ghghub2024.json: the fuel factors for Scope 1 (EPA GHG Emission Factors Hub 2024, Table 1, the
  gaseous fuels in ../shared/data/epa_ghg_hub, per mmBtu and heat content per scf) with the GWP
  set eGRID 2023 uses (AR5), so both scopes' CO2e add up.

Published decimals are copied as strings, never through float. Output is deterministic (sorted
keys, fixed layout), so `--check` can prove the committed files equal a fresh derivation.

Utilities: EIA-861 2020 ("Utility Data", States + Territories sheets) is primary; utility
numbers absent from 2020 come from the 2019 table. Utility 88888 ("Withheld", EIA's placeholder
for suppressed respondents) is not a utility and is left out. Utilities that only EPA's
crosswalks name are kept, without name or state.

Subregion rule, for EIA utility number U:
 1. Rows: the rows of EPA's utility crosswalk (xwalk_subregion_utility, "Utility ID") naming U;
    if there are none, the rows of the transmission/distribution-owner crosswalk
    (xwalk_subregion_transmission, "Transmission or Distribution System Owner ID"). Owner id
    -9999 means "unknown" and is ignored. No rows: no subregion (lookup falls back to state).
 2. NERC: if some rows carry U's EIA-861 NERC region (normalised, see NERC_ALIASES), keep only
    those.
 3. Interconnection: if some remaining rows name a subregion in an interconnection that serves
    one of U's states, keep only those. States -> interconnections come from EPA's
    state_and_interconnection table (plus PR, its own island grid); a subregion's
    interconnection follows from the region prefix of its EPA name (SUBREGION_PREFIX_GRID).
 4. Choose the subregion with the most remaining rows; a tie goes to the alphabetically first.
 5. The assignment is ambiguous when more than one subregion remained after steps 2-3; it keeps
    every candidate with its row count, and the shortlist left after the filters.

Usage: derive_factor_data.py [--source DIR] [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = PROJECT.parent / "shared" / "data" / "egrid"
DEFAULT_OUT = PROJECT / "chaincode" / "emissions" / "data"

EDITION = "eGRID2023"
EDITION_YEAR = 2023
REVISION = "rev2"
# EPA released eGRID2023 in January 2025 and its second revision in June 2025; the summary
# workbook we hold is the rev2 one (its metadata says created 2025-06-12).
PUBLISHED = "2025-06"
WORKBOOK = "egrid2023_summary_tables_rev2.xlsx"

GASES = ("co2", "ch4", "n2o", "co2e")
FUELS = (
    "coal", "oil", "gas", "other_fossil", "nuclear", "hydro", "biomass", "wind", "solar",
    "geothermal", "other_unknown_purchased_fuel",
)
DECIMAL_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")

NERC_REGIONS = frozenset({"TRE", "FRCC", "MRO", "NPCC", "RFC", "SERC", "SPP", "WECC", "AK", "HI"})
# EIA-861 spells some regions the way EPA's crosswalks do not (or by a retired name).
NERC_ALIASES = {
    "RF": "RFC", "ECAR": "RFC", "ERCOT": "TRE", "TRE ERCOT": "TRE", "WSCC": "WECC",
    "ASCC": "AK", "HICC": "HI", "NY": "NPCC",
}
# First word of EPA's subregion name (e.g. "WECC California") -> interconnection.
SUBREGION_PREFIX_GRID = {
    "ASCC": "Alaska", "HICC": "Hawaii", "WECC": "Western", "ERCOT": "ERCOT", "Puerto": "Puerto Rico",
    "FRCC": "Eastern", "MRO": "Eastern", "NPCC": "Eastern", "RFC": "Eastern", "SERC": "Eastern",
    "SPP": "Eastern",
}
EXTRA_STATES = {"PR": ("Puerto Rico", "Puerto Rico")}  # (name, interconnection)
WITHHELD_UTILITY = 88888

EIA861_FILES = {
    2020: ("eia861_utility_data_2020_states.csv", "eia861_utility_data_2020_territories.csv"),
    2019: ("eia861_utility_data_2019_states.csv", "eia861_utility_data_2019_territories.csv"),
}
XWALK_UTILITY = "epa_egrid_xwalk_subregion_utility.csv"
XWALK_TRANSMISSION = "epa_egrid_xwalk_subregion_transmission.csv"


class SourceError(Exception):
    """A source file is missing or not shaped as SOURCES.md describes."""


# ---------------------------------------------------------------- reading

def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise SourceError(f"missing source file {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _decimal_text(value: str, what: str) -> str:
    value = value.strip()
    if not DECIMAL_TEXT.fullmatch(value):
        raise SourceError(f"{what}: {value!r} is not a plain decimal")
    return value


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _region(rates_row: Mapping[str, str], mix_row: Mapping[str, str], name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "rates": {g: _decimal_text(rates_row[f"{g}_lb_per_mwh"], f"{what} {g}") for g in GASES},
        "mix": {f: _decimal_text(mix_row[f"{f}_fraction"], f"{what} {f}") for f in FUELS},
    }


def _by_key(rows: Iterable[dict[str, str]], key: str, what: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        code = row[key].strip()
        if code in out:
            raise SourceError(f"{what}: {code} appears twice")
        out[code] = row
    return out


def _state_grids(source: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    names: dict[str, str] = {}
    grids: dict[str, set[str]] = defaultdict(set)
    for row in _rows(source / "epa_egrid_state_and_interconnection.csv"):
        code = row["State Postal Code"].strip()
        names[code] = row["State"].strip()
        grids[code].add(row["Interconnect"].strip())
    for code, (name, grid) in EXTRA_STATES.items():
        names.setdefault(code, name)
        grids[code].add(grid)
    return names, dict(grids)


def _subregion_grids(source: Path) -> dict[str, str]:
    grids = {}
    for row in _rows(source / "epa_egrid_subregion_names.csv"):
        prefix = row["SRNAME"].split()[0]
        if prefix not in SUBREGION_PREFIX_GRID:
            raise SourceError(f"subregion {row['SUBRGN']}: no interconnection known for {row['SRNAME']!r}")
        grids[row["SUBRGN"].strip()] = SUBREGION_PREFIX_GRID[prefix]
    return grids


# ---------------------------------------------------------------- eGRID edition

def derive_edition(source: Path) -> dict[str, Any]:
    sub_rates = _by_key(_rows(source / "egrid2023_subregion_output_emission_rates.csv"), "egrid_subregion", "Table 1")
    sub_mix = _by_key(_rows(source / "egrid2023_subregion_resource_mix.csv"), "egrid_subregion", "Table 2")
    st_rates = _by_key(_rows(source / "egrid2023_state_output_emission_rates.csv"), "state", "Table 3")
    st_mix = _by_key(_rows(source / "egrid2023_state_resource_mix.csv"), "state", "Table 4")
    state_names, _ = _state_grids(source)
    for a, b, what in ((sub_rates, sub_mix, "subregion"), (st_rates, st_mix, "state")):
        if set(a) != set(b):
            raise SourceError(f"{what} rates and mix tables list different regions: {sorted(set(a) ^ set(b))}")
    if "US" not in sub_rates or "US" not in st_rates:
        raise SourceError("the US row is missing from Table 1 or Table 3")

    us = _region(sub_rates.pop("US"), sub_mix.pop("US"), "United States", "US")
    us_again = _region(st_rates.pop("US"), st_mix.pop("US"), "United States", "US")
    if us != us_again:
        raise SourceError("the US rows of the subregion and state tables disagree")
    subregions = {
        code: _region(row, sub_mix[code], row["egrid_subregion_name"].strip(), code)
        for code, row in sub_rates.items()
    }
    states = {}
    for code, row in st_rates.items():
        if code not in state_names:
            raise SourceError(f"state {code}: no name in epa_egrid_state_and_interconnection.csv")
        states[code] = _region(row, st_mix[code], state_names[code], code)

    inputs = sorted(p.name for p in source.glob("egrid2023_*.csv"))
    workbook = source / WORKBOOK
    return {
        "edition": EDITION,
        "year": EDITION_YEAR,
        "published": PUBLISHED,
        "source": f"US EPA {EDITION} ({REVISION}) Summary Tables, total output emission rates",
        "subregions": subregions,
        "states": states,
        "us": us,
        "provenance": {
            "publisher": "US Environmental Protection Agency (eGRID), public domain",
            "edition": EDITION,
            "revision": REVISION,
            "data_year": EDITION_YEAR,
            "published": f"{PUBLISHED} ({REVISION}; first eGRID2023 release 2025-01)",
            "workbook": {"file": WORKBOOK, "sha256": _sha256(workbook) if workbook.is_file() else None},
            "tables": {
                "subregions.rates": "Table 1 Subregion Output Emission Rates (eGRID2023), total output, lb/MWh",
                "subregions.mix": "Table 2 Subregion Resource Mix (eGRID2023), fraction of net generation",
                "states.rates": "Table 3 State Output Emission Rates (eGRID2023), total output, lb/MWh",
                "states.mix": "Table 4 State Resource Mix (eGRID2023), fraction of net generation",
                "us": "US rows of Tables 1-4 (identical in both)",
            },
            "units": {"rates": "lb/MWh of net generation", "mix": "fraction 0..1, EPA-rounded to 3 places"},
            "co2e_gwp": "IPCC AR5 100-year: CO2 1, CH4 28, N2O 265 (as in EPA's eGRID model)",
            "inputs": {name: _sha256(source / name) for name in inputs},
            "derived_by": "scripts/derive_factor_data.py",
        },
    }


# ---------------------------------------------------------------- utilities

@dataclass(frozen=True)
class _EiaUtility:
    name: str
    states: tuple[str, ...]
    nerc_region: str | None
    year: int


def _nerc(value: str, flags: Mapping[str, str]) -> str | None:
    region = NERC_ALIASES.get(value.strip(), value.strip())
    if region in NERC_REGIONS:
        return region
    flagged = [name for name, flag in flags.items() if flag.strip() == "Y"]
    return flagged[0] if len(flagged) == 1 else None


def _read_eia861(path: Path, year: int) -> list[tuple[int, str, str, str | None]]:
    if not path.is_file():
        raise SourceError(f"missing source file {path}")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        # The header repeats "SPP" (NERC region and RTO), so the NERC flags are read by position.
        col = {name: header.index(name) for name in ("Utility Number", "Utility Name", "State", "NERC Region")}
        nerc_cols = {name: col["NERC Region"] + 1 + i for i, name in enumerate(
            ("TRE", "FRCC", "MRO", "NPCC", "RFC", "SERC", "SPP", "WECC"))}
        if [header[i] for i in nerc_cols.values()] != list(nerc_cols):
            raise SourceError(f"{path.name}: NERC flag columns are not where EIA-861 {year} puts them")
        out = []
        for line, row in enumerate(reader, start=2):
            number = row[col["Utility Number"]].strip()
            if not number.isdigit():
                raise SourceError(f"{path.name} line {line}: utility number {number!r}")
            nerc = _nerc(row[col["NERC Region"]], {n: row[i] for n, i in nerc_cols.items()})
            out.append((int(number), row[col["Utility Name"]].strip(), row[col["State"]].strip(), nerc))
        return out


def _eia_utilities(source: Path) -> dict[int, _EiaUtility]:
    found: dict[int, _EiaUtility] = {}
    for year, files in EIA861_FILES.items():  # 2020 first: it wins
        rows: dict[int, list[tuple[str, str, str | None]]] = defaultdict(list)
        for name in files:
            for number, uname, state, nerc in _read_eia861(source / name, year):
                rows[number].append((uname, state, nerc))
        for number, entries in rows.items():
            if number in found or number == WITHHELD_UTILITY:
                continue
            nercs = {n for _, _, n in entries if n}
            found[number] = _EiaUtility(
                name=min(u for u, _, _ in entries),
                states=tuple(sorted({s for _, s, _ in entries if s})),
                nerc_region=nercs.pop() if len(nercs) == 1 else None,
                year=year,
            )
    return found


def _crosswalk(source: Path, name: str, id_column: str) -> dict[int, list[tuple[str, str]]]:
    """EIA id -> [(NERC region, subregion)] in file order; unknown ids (-9999) dropped."""
    out: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for line, row in enumerate(_rows(source / name), start=2):
        raw = row[id_column].strip()
        if not raw.lstrip("-").isdigit():
            raise SourceError(f"{name} line {line}: id {raw!r}")
        if int(raw) > 0:
            out[int(raw)].append((row["NERC Region"].strip(), row["SUBRGN"].strip()))
    return dict(out)


def assign_subregion(
    rows: list[tuple[str, str]],
    crosswalk: str,
    nerc_region: str | None,
    states: tuple[str, ...],
    state_grids: Mapping[str, set[str]],
    subregion_grids: Mapping[str, str],
) -> dict[str, Any]:
    """Steps 2-5 of the module's rule for one utility's crosswalk rows."""
    candidates = Counter(sub for _, sub in rows)
    basis = [f"EPA {crosswalk} crosswalk: {len(rows)} row(s)"]
    remaining = rows
    same_nerc = [r for r in remaining if nerc_region and r[0] == nerc_region]
    if same_nerc and len(same_nerc) < len(remaining):
        remaining = same_nerc
        basis.append(f"kept rows in the utility's NERC region {nerc_region}")
    grids = set().union(*(state_grids.get(s, set()) for s in states)) if states else set()
    on_grid = [r for r in remaining if subregion_grids.get(r[1]) in grids]
    if on_grid and len(on_grid) < len(remaining):
        remaining = on_grid
        basis.append(f"kept subregions on the {'/'.join(sorted(grids))} interconnection of {'/'.join(states)}")
    counts = Counter(sub for _, sub in remaining)
    chosen = min(counts, key=lambda sub: (-counts[sub], sub))
    if len(counts) > 1:
        basis.append("ambiguous: chose the most frequent subregion (tie: alphabetical)")
    return {
        "chosen": chosen,
        "crosswalk": crosswalk,
        "candidates": dict(sorted(candidates.items())),
        "shortlist": sorted(counts, key=lambda sub: (-counts[sub], sub)),
        "ambiguous": len(counts) > 1,
        "basis": "; ".join(basis),
    }


def derive_utilities(source: Path) -> dict[str, Any]:
    eia = _eia_utilities(source)
    by_utility = _crosswalk(source, XWALK_UTILITY, "Utility ID")
    by_owner = _crosswalk(source, XWALK_TRANSMISSION, "Transmission or Distribution System Owner ID")
    _, state_grids = _state_grids(source)
    subregion_grids = _subregion_grids(source)

    utilities: dict[str, Any] = {}
    for number in sorted((set(eia) | set(by_utility) | set(by_owner)) - {WITHHELD_UTILITY}):
        record = eia.get(number)
        states = record.states if record else ()
        nerc = record.nerc_region if record else None
        if number in by_utility:
            subregion = assign_subregion(by_utility[number], "utility", nerc, states, state_grids, subregion_grids)
        elif number in by_owner:
            subregion = assign_subregion(by_owner[number], "transmission", nerc, states, state_grids, subregion_grids)
        else:
            subregion = None
        utilities[str(number)] = {
            "name": record.name if record else None,
            "states": list(states),
            "nerc_region": nerc,
            "eia861_year": record.year if record else None,
            "subregion": subregion,
        }

    files = [f for pair in EIA861_FILES.values() for f in pair] + [XWALK_UTILITY, XWALK_TRANSMISSION]
    return {
        "provenance": {
            "eia861": "EIA Form 861 Utility Data 2020 (States, Territories) is primary; 2019 is used only "
            "for utility numbers absent from 2020 (eia861_year says which)",
            "excluded": {str(WITHHELD_UTILITY): "EIA placeholder 'Withheld' for suppressed respondents"},
            "nerc_aliases": dict(sorted(NERC_ALIASES.items())),
            "crosswalks": "US EPA eGRID production model static tables (USEPA/egrid "
            "ac0f422a939c2ace83286537ae15848235428861): xwalk_subregion_utility, xwalk_subregion_transmission",
            "subregion_rule": [
                "rows: EPA utility crosswalk rows for the utility; if none, transmission/distribution-owner rows",
                "keep rows in the utility's EIA-861 NERC region, if any",
                "keep subregions on an interconnection serving the utility's state(s), if any",
                "choose the most frequent subregion; tie -> alphabetical",
                "ambiguous when more than one subregion remained",
            ],
            "inputs": {name: _sha256(source / name) for name in sorted(files)},
            "derived_by": "scripts/derive_factor_data.py",
        },
        "utilities": utilities,
    }


# ---------------------------------------------------------------- output

def render(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


FUEL_EDITION = "GHGHub2024"
FUEL_NAMES = {"Natural Gas": "natural_gas", "Propane Gas": "propane"}


def derive_fuels(hub: Path, egrid: Path) -> dict[str, Any]:
    """The Hub's gaseous fuels as a fuel edition (chaincode.emissions.combustion.FuelEdition form)."""
    table = hub / "stationary_combustion_natural_gas.csv"
    gwp_file = egrid / "epa_egrid_global_warming_potential.csv"
    fuels = {}
    for row in _rows(table):
        name = FUEL_NAMES.get(row["fuel"])
        if name is None:
            raise SourceError(f"{table.name}: unknown fuel {row['fuel']!r}")
        fuels[name] = {field: _decimal_text(row[field], f"{table.name} {row['fuel']} {field}") for field in
                       ("heat_content_mmbtu_per_scf", "kg_co2_per_mmbtu", "g_ch4_per_mmbtu", "g_n2o_per_mmbtu")}
    gwp = {row["Gas"]: _decimal_text(row["gwp"], f"{gwp_file.name} {row['Gas']}") for row in _rows(gwp_file)}
    if "natural_gas" not in fuels or not {"CH4", "N2O"} <= set(gwp):
        raise SourceError(f"{table.name} needs a Natural Gas row and {gwp_file.name} CH4 and N2O")
    return {
        "edition": FUEL_EDITION, "year": 2024, "published": "2024",
        "source": "EPA GHG Emission Factors Hub 2024, Table 1 Stationary Combustion (higher heating values)",
        "gwp": {"name": "AR5", "ch4": gwp["CH4"], "n2o": gwp["N2O"]},
        "fuels": fuels,
        "provenance": {"inputs": {table.name: _sha256(table), gwp_file.name: _sha256(gwp_file)},
                       "gwp_source": "eGRID 2023's global warming potentials (IPCC AR5, 100-year)"},
    }


def derive(source: Path = DEFAULT_SOURCE) -> dict[str, bytes]:
    """File name -> exact bytes of every data file this script owns (`source`: the eGRID folder; the
    Hub's folder is its sibling epa_ghg_hub)."""
    return {
        f"{EDITION.lower()}.json": render(derive_edition(source)),
        "utilities.json": render(derive_utilities(source)),
        f"{FUEL_EDITION.lower()}.json": render(derive_fuels(source.parent / "epa_ghg_hub", source)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with the eGRID/EIA CSVs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON files go")
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing")
    args = parser.parse_args(argv)
    try:
        files = derive(args.source)
    except SourceError as exc:
        print(f"derive_factor_data: {exc}", file=sys.stderr)
        return 2
    stale = []
    for name, data in sorted(files.items()):
        target = args.out / name
        if args.check:
            if not target.is_file() or target.read_bytes() != data:
                stale.append(name)
        else:
            target.write_bytes(data)
            print(f"wrote {target} ({len(data):,} bytes)")
    if stale:
        print(f"derive_factor_data: out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
