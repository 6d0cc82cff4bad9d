"""The committed factor data: re-derivable from ../shared, exact, self-contained, small."""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "chaincode" / "emissions" / "data"
PACKAGE = ROOT / "chaincode" / "emissions"


@pytest.fixture(scope="module")
def derive_script():
    spec = importlib.util.spec_from_file_location("derive_factor_data", ROOT / "scripts" / "derive_factor_data.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_committed_data_equals_a_fresh_derivation(derive_script, shared_dir):
    derived = derive_script.derive(shared_dir / "data" / "egrid")
    assert sorted(derived) == ["egrid2023.json", "ghghub2024.json", "utilities.json"]
    for name, data in derived.items():
        assert (DATA / name).read_bytes() == data, f"{name} is stale: run scripts/derive_factor_data.py"


def test_derivation_is_deterministic(derive_script, shared_dir):
    source = shared_dir / "data" / "egrid"
    assert derive_script.derive(source) == derive_script.derive(source)


def test_published_decimal_strings_are_kept_verbatim(shared_dir):
    edition = json.loads((DATA / "egrid2023.json").read_text())
    csv_lines = (shared_dir / "data" / "egrid" / "egrid2023_state_output_emission_rates.csv").read_text().splitlines()
    ak = dict(zip(csv_lines[0].split(","), next(l for l in csv_lines if l.startswith("AK,")).split(",")))
    assert edition["states"]["AK"]["rates"]["n2o"] == ak["n2o_lb_per_mwh"] == "0.01"
    assert edition["us"]["rates"]["co2e"] == "770.884"
    assert edition["subregions"]["CAMX"]["rates"]["co2e"] == "429.983"
    assert edition["states"]["CA"]["rates"]["co2e"] == "394.769"


def test_every_region_co2e_matches_ar5_within_published_rounding():
    from chaincode.emissions import shipped

    (edition,) = shipped.load_editions()
    tolerance = Decimal("0.0005") * (1 + 28 + 265) + Decimal("0.0005")
    regions = [*edition.subregions.values(), *edition.states.values(), edition.us]
    assert len(regions) == 27 + 52 + 1
    for region in regions:
        assert abs(region.rates.co2e_from_gases() - region.rates.co2e) <= tolerance, region.code


def test_provenance_names_edition_tables_and_eia_years():
    edition = json.loads((DATA / "egrid2023.json").read_text())
    assert edition["provenance"]["edition"] == "eGRID2023"
    assert edition["provenance"]["workbook"]["sha256"] == "8b79818ec15b2884bec4872b58699e3374c28046f8508af6789b8f88498933ee"
    utilities = json.loads((DATA / "utilities.json").read_text())
    assert "2020" in utilities["provenance"]["eia861"] and "2019" in utilities["provenance"]["eia861"]
    years = {u["eia861_year"] for u in utilities["utilities"].values()}
    assert years == {2019, 2020, None}
    assert "88888" not in utilities["utilities"]


def test_data_is_small():
    assert sum(p.stat().st_size for p in DATA.glob("*.json")) < 2_000_000


def _docstrings(tree: ast.AST) -> set[int]:
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef)))]
    return {id(n.body[0].value) for n in nodes if n.body and isinstance(n.body[0], ast.Expr)}


def _is_contract_code(path) -> bool:
    """The contracts (and the chaincode that bundles them) run on the runtime; the calculation does not."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] == "contracts" or relative.name == "chaincode.py"


def test_package_imports_nothing_outside_itself_and_reads_no_shared_files():
    for path in PACKAGE.rglob("*.py"):
        allowed = ("chaincode.emissions", "chaincode.runtime") if _is_contract_code(path) else ("chaincode.emissions",)
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert "shared" not in node.value, f"{path.name} refers to ../shared at run time"
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                assert top not in {"controllers", "network", "agents"}, f"{path.name} imports {module}"
                if top == "chaincode":
                    assert module.startswith(allowed), f"{path.name} imports {module}"


GRIDS = {"CA": {"Western"}, "NY": {"Eastern"}, "TX": {"ERCOT", "Eastern", "Western"}}
SUBREGION_GRIDS = {"CAMX": "Western", "NWPP": "Western", "RFCE": "Eastern", "NYCW": "Eastern", "NYUP": "Eastern",
                   "ERCT": "ERCOT"}


def test_rule_prefers_own_nerc_region(derive_script):
    rows = [("NPCC", "NYCW"), ("RFC", "RFCE"), ("RFC", "RFCE"), ("SERC", "RFCE")]
    chosen = derive_script.assign_subregion(rows, "transmission", "NPCC", ("NY",), GRIDS, SUBREGION_GRIDS)
    assert (chosen["chosen"], chosen["ambiguous"]) == ("NYCW", False)
    assert chosen["candidates"] == {"NYCW": 1, "RFCE": 3}


def test_rule_then_prefers_subregions_on_the_states_interconnection(derive_script):
    rows = [("NPCC", "RFCE"), ("WECC", "CAMX")]  # no row in the utility's NERC region
    chosen = derive_script.assign_subregion(rows, "transmission", "WECC", ("CA",), GRIDS, SUBREGION_GRIDS)
    assert (chosen["chosen"], chosen["shortlist"], chosen["ambiguous"]) == ("CAMX", ["CAMX"], False)
    rows = [("NPCC", "RFCE"), ("NPCC", "CAMX")]
    chosen = derive_script.assign_subregion(rows, "transmission", "WECC", ("CA",), GRIDS, SUBREGION_GRIDS)
    assert chosen["chosen"] == "CAMX" and "interconnection" in chosen["basis"]


def test_rule_most_frequent_then_alphabetical_and_flags_ambiguity(derive_script):
    rows = [("NPCC", "NYUP"), ("NPCC", "NYCW"), ("NPCC", "NYUP")]
    chosen = derive_script.assign_subregion(rows, "utility", "NPCC", ("NY",), GRIDS, SUBREGION_GRIDS)
    assert (chosen["chosen"], chosen["shortlist"], chosen["ambiguous"]) == ("NYUP", ["NYUP", "NYCW"], True)
    rows = [("NPCC", "NYUP"), ("NPCC", "NYCW")]
    chosen = derive_script.assign_subregion(rows, "utility", "NPCC", ("NY",), GRIDS, SUBREGION_GRIDS)
    assert (chosen["chosen"], chosen["ambiguous"]) == ("NYCW", True)
