"""chaincode/Dockerfile's claim, checked without Docker: what it copies and installs is enough to
serve the chaincode, and serving it loads none of the services, ACA-Py or aiohttp.

The files the Dockerfile COPYs are staged in a folder of their own, and its ENTRYPOINT module runs
from there with `python -S`: the project's editable install and the current folder are then out of
reach, and third-party packages come from site-packages only. A peer-like client sees the
REGISTER message; SIGTERM stops the server; the modules it had loaded are checked.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import signal
import sys
import sysconfig
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import grpc
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, chaincode_shim_pb2_grpc
from packaging.requirements import Requirement

from network.fabric.layout import CHAINCODE_LABEL
from network.fabric.lifecycle import CHAINCODE_OBJECT
from chaincode.serve import main as serve_main
from testkit.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "chaincode" / "Dockerfile"
# Never in the chaincode image: the services and what only they need.
FORBIDDEN = {"acapy_agent", "aiohttp", "agents", "controllers", "credentials", "custody", "emissions", "greenbutton",
             "lxml", "jwcrypto"}
Message = chaincode_shim_pb2.ChaincodeMessage

RECORDER = """
import atexit, json, runpy, sys
out, module = sys.argv[1], sys.argv[2]
def record():
    with open(out, "w") as f:
        json.dump({name: getattr(m, "__file__", None) for name, m in list(sys.modules.items())}, f)
atexit.register(record)
sys.argv = [module]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def copies() -> list[tuple[list[str], str]]:
    found = []
    for word, rest in instructions():
        if word == "COPY":
            assert not rest.startswith("--from"), "the chaincode image has one stage: every COPY is from the project"
            *sources, target = shlex.split(rest)
            found.append((sources, target))
    return found


def installed() -> list[Requirement]:
    runs = [rest for word, rest in instructions() if word == "RUN" and "pip install" in rest]
    assert len(runs) == 1
    arguments = shlex.split(runs[0].split("pip install", 1)[1].split("&&", 1)[0])
    return [Requirement(a) for a in arguments if not a.startswith("-")]


def env() -> dict[str, str]:
    values = {}
    for word, rest in instructions():
        if word == "ENV":
            values.update(dict(item.split("=", 1) for item in shlex.split(rest)))
    return values


def entrypoint() -> list[str]:
    (rest,) = [rest for word, rest in instructions() if word == "ENTRYPOINT"]
    return json.loads(rest)


def stage(tmp: Path) -> Path:
    """The image's working folder, from the Dockerfile's COPY lines (a folder keeps its name as
    the target says; files land in the target folder)."""
    workdir = Path([rest for word, rest in instructions() if word == "WORKDIR"][-1])
    root = tmp / "image"
    for sources, target in copies():
        destination = root / (workdir / target).relative_to("/")
        for source in sources:
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(path, destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                destination.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination / path.name)
    return root / workdir.relative_to("/")


def distribution_closure(names: list[str]) -> set[str]:
    """The distributions pip installs for `names`: them and their dependencies, transitively."""
    seen: set[str] = set()
    todo = [n.lower().replace("_", "-") for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            for line in requires(name) or []:
                requirement = Requirement(line)
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    todo.append(requirement.name.lower().replace("_", "-"))
        except PackageNotFoundError:
            pass
    return seen


def test_the_image_pins_what_pyproject_pins_and_no_service_dependency():
    project = {Requirement(d).name.lower(): str(Requirement(d))
               for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    wanted = installed()
    assert {r.name.lower() for r in wanted} == {"hyperledger-fabric-protos", "grpcio", "protobuf", "cryptography"}
    for requirement in wanted:
        assert str(requirement) == project[requirement.name.lower()]


def test_the_image_copies_the_runtime_and_contracts_only():
    sources = sorted(s for sources, _ in copies() for s in sources)
    assert sources == ["chaincode", "network/__init__.py", "network/ports.py"]
    assert entrypoint() == ["python", "-m", "chaincode.serve"]
    assert env()["CHAINCODE_OBJECT"] == CHAINCODE_OBJECT


async def test_the_copied_files_serve_the_chaincode_and_load_nothing_else(tmp_path):
    workdir = stage(tmp_path)
    module = entrypoint()[2]
    record = tmp_path / "modules.json"
    address = f"127.0.0.1:{free_port()}"
    chaincode_id = f"{CHAINCODE_LABEL}:{'ab' * 32}"
    site = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-S", "-c", RECORDER, str(record), module,
        env={"PYTHONPATH": ":".join([str(workdir), *site]), "CHAINCODE_OBJECT": env()["CHAINCODE_OBJECT"],
             "CHAINCODE_SERVER_ADDRESS": address, "CHAINCODE_ID": chaincode_id, "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        banner = await asyncio.wait_for(process.stdout.readline(), 30)
        assert banner.decode().strip() == f"chaincode {chaincode_id} listening on {address} (plaintext)", (
            (await process.stderr.read()).decode()[-2000:])
        async with grpc.aio.insecure_channel(address) as channel:
            outgoing: asyncio.Queue = asyncio.Queue()

            async def requests():
                while (message := await outgoing.get()) is not None:
                    yield message

            call = chaincode_shim_pb2_grpc.ChaincodeStub(channel).Connect(requests())
            register = await asyncio.wait_for(call.read(), 10)
            assert register.type == Message.REGISTER
            assert chaincode_pb2.ChaincodeID.FromString(register.payload).name == chaincode_id
            outgoing.put_nowait(None)
            call.cancel()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    loaded = json.loads(record.read_text())
    tops = {name.split(".")[0] for name in loaded}
    assert tops & FORBIDDEN == set()
    assert "chaincode.emissions.chaincode" in loaded
    ours = {"chaincode", "network"}
    for name, file in loaded.items():
        if name.split(".")[0] in ours and file:
            assert Path(file).is_relative_to(workdir), f"{name} came from {file}, not from the image's files"
    allowed = distribution_closure([r.name for r in installed()])
    by_module = packages_distributions()
    outside = {}
    for name, file in loaded.items():
        if file and any(Path(file).is_relative_to(p) for p in site):
            top = name.split(".")[0]
            dists = {d.lower().replace("_", "-") for d in by_module.get(top, [])}
            if not dists & allowed:
                outside[name] = sorted(dists) or file
    assert outside == {}


def test_the_entry_point_says_what_is_missing_in_one_line(monkeypatch, capsys):
    for name in ("CHAINCODE_OBJECT", "CHAINCODE_SERVER_ADDRESS", "CHAINCODE_ID", "CHAINCODE_TLS_CERT",
                 "CHAINCODE_TLS_KEY", "CHAINCODE_CLIENT_CA_CERT"):
        monkeypatch.delenv(name, raising=False)
    assert serve_main(["--chaincode", CHAINCODE_OBJECT, "--address", "127.0.0.1:1"]) == 2
    assert capsys.readouterr().err == "chaincode: error: no chaincode id: pass --id LABEL:HASH or set CHAINCODE_ID\n"
    monkeypatch.setenv("CHAINCODE_ID", "emissions_1.0:ab")
    assert serve_main(["--chaincode", CHAINCODE_OBJECT, "--address", "127.0.0.1:1", "--tls-client-ca", "ca.pem"]) == 2
    assert "mutual TLS is TLS first" in capsys.readouterr().err
