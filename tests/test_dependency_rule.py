"""The layout's dependency rule, read from the import statements themselves.

Each unit (a top-level package, or a package of `chaincode/`, `network/`, `controllers/` and
`emissions/`) may import only the units listed for it below: libraries never reach up into the
services, the parties' services never into each other or into the application, and nothing ships
code that imports the tests. The allowed graph has no cycles, so the units can be read bottom-up.
A new package fails here until it is given its place.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPLIT = {"chaincode", "network", "controllers", "emissions"}  # their subpackages are units of their own
SHIPPED = ["agents", "chaincode", "controllers", "credentials", "custody", "deploy", "emissions", "greenbutton",
           "network", "testkit", "benchmarks", "scripts"]

ALLOWED: dict[str, set[str]] = {
    # The chaincode runs inside a peer: nothing of ours but its own runtime.
    "network.ports": set(),
    "chaincode.runtime": {"network.ports"},
    "chaincode.emissions": {"chaincode.runtime"},
    "chaincode.__init__": set(),
    "chaincode.serve": {"chaincode.runtime"},  # the CCaaS entry point, loaded by the image and the command line
    # Fabric plumbing.
    "network.identity": set(),
    "network.msp": {"network.identity"},
    "network.gateway": {"network.identity"},
    "network.devpeer": {"network.identity", "network.msp", "network.gateway", "network.ports"},
    "network.chaincode_package": set(),
    "network.fabric": {"network.chaincode_package", "network.ports"},  # a real Fabric network, native binaries
    "network.__init__": set(),
    # Libraries.
    "agents": set(),
    "greenbutton": set(),
    "custody": set(),
    "credentials": {"agents", "custody"},
    # The services: shared plumbing first, then one package per party.
    "controllers.acapy": set(),
    "controllers.workflow": set(),
    "controllers.ledger": {"chaincode.emissions", "network.gateway", "network.msp"},
    "controllers.challenges": set(),
    "controllers.consent": {"controllers.challenges", "credentials", "custody"},
    "controllers.issuance": {"controllers.acapy", "controllers.ledger", "controllers.workflow", "credentials",
                             "custody", "greenbutton", "network.gateway"},
    # agents: the JSON-LD contexts its agents serve, which the in-process proof checks load offline
    "controllers.verifier": {"agents", "controllers.web", "controllers.acapy", "controllers.challenges",
                             "controllers.ledger", "controllers.oid4vc", "controllers.workflow", "credentials"},
    "controllers.utility": {"controllers.web", "controllers.acapy", "controllers.challenges", "controllers.consent",
                            "controllers.workflow", "credentials",
                            "greenbutton"},
    "controllers.customer": {"controllers.web", "controllers.acapy", "controllers.consent", "controllers.workflow", "credentials",
                             "custody"},
    "controllers.auditor": {"controllers.web", "controllers.acapy", "controllers.challenges", "controllers.consent",
                            "controllers.issuance", "controllers.ledger", "controllers.oid4vc", "controllers.workflow",
                            "credentials", "custody"},
    # OpenID4VCI and the SD-JWT VC: signs through the agents; the verifier's OpenID4VP endpoints build on it.
    "controllers.oid4vc": {"controllers.acapy", "controllers.ledger", "credentials"},
    "controllers.web": {"controllers.workflow"},
    "controllers.__init__": set(),
    # The application: the embedded stack wires the services; the command line drives it.
    "emissions.stack": {"agents", "chaincode.emissions", "controllers.acapy", "controllers.auditor",
                        "controllers.customer", "controllers.issuance", "controllers.ledger", "controllers.oid4vc",
                        "controllers.utility", "controllers.verifier", "controllers.workflow", "custody",
                        "network.fabric", "network.msp", "network.ports"},  # network.fabric: `--ledger fabric` runs `network up` through it
    "emissions.services": {"controllers.acapy", "controllers.auditor", "controllers.issuance", "controllers.ledger",
                           "controllers.workflow", "custody"},
    "emissions.cli": {"emissions.services", "agents", "chaincode.emissions", "chaincode.runtime", "chaincode.serve",
                      "controllers.ledger", "emissions.stack",
                      "greenbutton", "network.chaincode_package", "network.devpeer", "network.fabric", "network.msp"},
    "emissions.__init__": set(),
    "emissions.__main__": {"emissions.cli"},
    # Production: the compose deployment's material, made with the native network's own steps.
    "deploy": {"agents", "emissions.stack", "network.fabric"},
}
TOOLS = {"testkit", "benchmarks", "scripts"}  # may use anything shipped; never the tests


def unit_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] in SPLIT:
        return ".".join(parts[:2]) if len(parts) > 1 else f"{parts[0]}.__init__"
    return parts[0]


def sources(root: Path, top: str) -> list[Path]:
    """The project's Python files under `top` (not the Node packages a benchmark installs beside them)."""
    return sorted(p for p in (root / top).rglob("*.py") if "node_modules" not in p.parts)


def imports(root: Path = ROOT) -> dict[str, set[str]]:
    """unit -> the other units its modules import (absolute imports of our own packages)."""
    ours = set(SHIPPED) | {"tests"}
    found: dict[str, set[str]] = {}
    for top in SHIPPED:
        for path in sources(root, top):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            unit = unit_of(module)
            targets = found.setdefault(unit, set())
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                targets |= {unit_of(name) for name in names if name.split(".")[0] in ours} - {unit}
    return found


def test_every_unit_has_a_place_in_the_rule():
    placed = set(ALLOWED) | TOOLS
    assert sorted(set(imports()) - placed) == []


def test_each_unit_imports_only_what_the_rule_allows():
    broken = {unit: sorted(targets - ALLOWED[unit]) for unit, targets in imports().items()
              if unit in ALLOWED and targets - ALLOWED[unit]}
    assert broken == {}


def test_nothing_outside_the_tests_imports_them():
    assert sorted(unit for unit, targets in imports().items() if "tests" in targets) == []


def test_the_allowed_graph_has_no_cycles():
    try:
        order = list(TopologicalSorter(ALLOWED).static_order())
    except CycleError as exc:
        raise AssertionError(f"the dependency rule allows a cycle: {exc.args[1]}") from None
    assert order.index("chaincode.runtime") < order.index("controllers.ledger") < order.index("emissions.stack")


def test_the_scanner_sees_an_upward_import(tmp_path):
    (tmp_path / "credentials").mkdir()
    (tmp_path / "credentials" / "shapes.py").write_text("from controllers.auditor.manager import AuditManager\n")
    (tmp_path / "controllers" / "verifier").mkdir(parents=True)
    (tmp_path / "controllers" / "verifier" / "checks.py").write_text("import tests.consent.stack\n")
    assert imports(tmp_path) == {"credentials": {"controllers.auditor"}, "controllers.verifier": {"tests"}}


def test_clients_reach_the_chaincode_only_through_its_runtime_free_modules():
    """Outside `chaincode/`, only the command that serves the chaincode loads its runtime or its
    contracts; clients use `chaincode.emissions.interface` and the pure calculation modules."""
    loaders = {"emissions.cli.chaincode_cmd", "emissions.cli.devpeer_cmd", "emissions.cli.calc_cmd",
               "emissions.cli.factors_cmd", "testkit.probe_chaincode"}
    offenders = []
    for top in SHIPPED:
        if top == "chaincode":
            continue
        for path in sources(ROOT, top):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    name = node.module
                elif isinstance(node, ast.Import):
                    name = node.names[0].name
                else:
                    continue
                if name.startswith(("chaincode.emissions.contracts", "chaincode.emissions.chaincode")) or (
                        name.startswith("chaincode.runtime") and module not in loaders):
                    offenders.append(f"{module} imports {name}")
    assert offenders == []
