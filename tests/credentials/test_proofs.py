"""ProofChecker against the real agents: its verdicts equal ACA-Py's, it never reaches the network,
and it stays bounded (busy, deadline, a dead worker) without ever turning those into verdicts."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import os
import secrets
import signal
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from controllers.acapy import AdminApiError, new_challenge
from controllers.verifier.proofs import ProofCheckBusy, ProofChecker, ProofCheckUnavailable, reasons
from controllers.verifier.request import request_credential
from credentials.vocabulary import CREDENTIALS_V1, ED25519_2020_CONTEXT, EMISSIONS_TYPE, PROJECT_CONTEXT
from testkit.ports import free_port
from tests.credentials.holder import Holder

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Issued:
    issuer: str  # a did:key of the auditor's agent
    other: str  # another did:key of the same agent
    holder: str  # the customer's DID (a did:key of its sub-wallet), connected to the verifier
    record_id: str
    credential: dict[str, Any]  # Ed25519Signature2020, signed by the auditor's agent
    credential_2018: dict[str, Any]  # the same claims, Ed25519Signature2018


def _unsigned(issuer: str, holder: str, record_id: str) -> dict[str, Any]:
    """A UtilityEmissionsCredential as the auditor issues it, written out: proofs depend only on
    the JSON-LD (the v1 context never changes), not on how credentials.emissions builds one."""
    detail = {"record_id": record_id, "customer_did": holder, "account_id": "ACCT-PROOF-1", "service_point_id": "SP-1",
              "emissions": {"kwh": "600.5", "location": {"co2e_t": "0.117123"}, "market": {"co2e_t": "0.117123"}}}
    return {
        "@context": [CREDENTIALS_V1, ED25519_2020_CONTEXT, PROJECT_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", EMISSIONS_TYPE],
        "issuer": issuer,
        "issuanceDate": "2025-03-01T10:00:00.5Z",
        "credentialSubject": {
            "id": holder, "utilityEiaId": "14328", "accountId": "ACCT-PROOF-1", "servicePointId": "SP-1",
            "periodStart": "2024-01-01", "periodEnd": "2024-02-01", "electricityKwh": "600.5",
            "locationBasedTco2e": "0.117123", "marketBasedTco2e": "0.117123",
            "emissionFactor": {"factorLevel": "subregion", "factorEdition": "eGRID2023",
                               "factorSource": "eGRID2023 subregion CAMX", "locationFactorKgPerKwh": "0.19504",
                               "marketFactorKgPerKwh": "0.19504"},
            "billContentId": "bafkreiproof", "billSha256": "c" * 64,
            "ledgerAnchor": {"channel": "utilityemissions", "chaincode": "emissions", "recordId": record_id,
                             "transactionId": "f" * 64, "blockNumber": "7"},
            "recordDetail": detail,
        },
    }


@pytest.fixture(scope="module")
def issued(agent_network, parties) -> Issued:
    """UtilityEmissionsCredentials in the project's format, signed by the auditor's real agent."""
    async def make() -> Issued:
        async with agent_network.admin("auditor") as auditor:
            issuer, other = (await auditor.create_did_key()).did, (await auditor.create_did_key()).did
            record_id = secrets.token_hex(32)
            unsigned = _unsigned(issuer, parties.customer_did, record_id)
            return Issued(issuer, other, parties.customer_did, record_id,
                          await auditor.vc_issue(unsigned, proof_type="Ed25519Signature2020"),
                          await auditor.vc_issue(unsigned, proof_type="Ed25519Signature2018"))

    return asyncio.run(make())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def checker() -> AsyncIterator[ProofChecker]:
    async with ProofChecker(workers=2) as checker:
        await checker.start()
        yield checker


async def agent_verdict_on_credential(agent_network, credential: dict[str, Any]) -> bool:
    """The verifier agent's own answer; a document it refuses outright (4xx) is not verified."""
    async with agent_network.admin("verifier") as verifier:
        try:
            return bool((await verifier.vc_verify(credential))["verified"])
        except AdminApiError as exc:
            if 400 <= exc.status < 500:
                return False
            raise


async def agent_verdict_on_presentation(agent_network, presentation: dict[str, Any], challenge: str) -> bool:
    async with agent_network.admin("verifier") as verifier:
        return bool((await verifier.vp_verify(presentation, challenge=challenge))["verified"])


def _edit(document: dict[str, Any], change) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    change(edited)
    return edited


def _other_signature(value: str) -> str:
    # Same multibase alphabet and length: only the signature's bytes change.
    return value[:-4] + ("2222" if not value.endswith("2222") else "3333")


def credential_variants(issued: Issued) -> dict[str, tuple[dict[str, Any], bool]]:
    """name -> (document, whether it is genuine)."""
    vc, vc18 = issued.credential, issued.credential_2018
    return {
        "genuine": (vc, True),
        "changed claim": (_edit(vc, lambda d: d["credentialSubject"].update(electricityKwh="1.000")), False),
        "changed proofValue": (_edit(vc, lambda d: d["proof"].update(proofValue=_other_signature(d["proof"]["proofValue"]))), False),
        "proofValue not multibase": (_edit(vc, lambda d: d["proof"].update(proofValue="not a multibase value")), False),
        "proof removed": (_edit(vc, lambda d: d.pop("proof")), False),
        "verificationMethod of another did:key": (
            _edit(vc, lambda d: d["proof"].update(verificationMethod=f"{issued.other}#{issued.other[8:]}")), False),
        "issuer swapped for another did:key": (_edit(vc, lambda d: d.update(issuer=issued.other)), False),
        "extra claim not in the context": (_edit(vc, lambda d: d["credentialSubject"].update(notInTheContext="x")), False),
        "extra top-level property not in the context": (_edit(vc, lambda d: d.update(notInTheContext="x")), False),
        "created date changed": (_edit(vc, lambda d: d["proof"].update(created="2020-01-01T00:00:00+00:00")), False),
        "proofPurpose changed": (_edit(vc, lambda d: d["proof"].update(proofPurpose="authentication")), False),
        "Ed25519Signature2018 genuine": (vc18, True),
        "Ed25519Signature2018 changed claim": (
            _edit(vc18, lambda d: d["credentialSubject"].update(marketBasedTco2e="0.000001")), False),
        "Ed25519Signature2018 jws changed": (
            _edit(vc18, lambda d: d["proof"].update(jws=_other_signature(d["proof"]["jws"]))), False),
    }


VARIANTS = ["genuine", "changed claim", "changed proofValue", "proofValue not multibase", "proof removed",
            "verificationMethod of another did:key", "issuer swapped for another did:key",
            "extra claim not in the context", "extra top-level property not in the context", "created date changed",
            "proofPurpose changed", "Ed25519Signature2018 genuine", "Ed25519Signature2018 changed claim",
            "Ed25519Signature2018 jws changed"]


@pytest.mark.parametrize("variant", VARIANTS)
async def test_credential_verdict_equals_the_agents(checker, issued, agent_network, variant):
    document, genuine = credential_variants(issued)[variant]
    ours = await checker.credential(document)
    assert ours.ok is genuine, ours.reason
    assert ours.ok == await agent_verdict_on_credential(agent_network, document)
    if genuine:
        assert ours.reason == f"{document['proof']['type']} by the issuer verifies"
    assert issued.issuer not in ours.reason and "1.000" not in ours.reason  # never quotes the document


async def test_failure_reasons_name_the_kind_of_failure(checker, issued):
    variants = credential_variants(issued)
    expected = {
        "changed claim": reasons.ALTERED,
        "changed proofValue": reasons.ALTERED,
        "proofValue not multibase": reasons.BAD_SIGNATURE_VALUE,
        "proof removed": reasons.NO_CREDENTIAL_PROOF,
        "verificationMethod of another did:key": reasons.NOT_ISSUER_KEY,
        "extra claim not in the context": reasons.DROPPED,
        "created date changed": reasons.ALTERED,
    }
    got = {name: (await checker.credential(variants[name][0])).reason for name in expected}
    assert got == expected


async def test_presentation_by_the_holders_agent_equals_the_agents_verdict(checker, issued, agent_network):
    challenge = new_challenge()
    async with agent_network.holder() as customer:
        vp = await customer.vc_present(issued.holder, [issued.credential], challenge=challenge)
    tampered = _edit(vp, lambda d: d["verifiableCredential"][0]["credentialSubject"].update(electricityKwh="2"))
    cases = [("right challenge", vp, challenge, True), ("wrong challenge", vp, new_challenge(), False),
             ("a credential in it altered", tampered, challenge, False)]
    for name, presentation, asked, genuine in cases:
        ours = await checker.presentation(presentation, asked)
        assert ours.ok is genuine, (name, ours.reason)
        assert ours.ok == await agent_verdict_on_presentation(agent_network, presentation, asked), name
    assert (await checker.presentation(vp, new_challenge())).reason == reasons.CHALLENGE
    assert (await checker.presentation(tampered, challenge)).reason == reasons.ALTERED


async def test_presentation_received_over_didcomm_equals_the_agents_verdict(checker, issued, agent_network, parties):
    """A DIF presentation as the verifier's agent receives it (present-proof v2), which it verified itself."""
    async with agent_network.admin("verifier") as verifier, agent_network.holder() as customer:
        await customer.request("POST", "/vc/credentials/store", json={"verifiableCredential": issued.credential})
        try:
            async with Holder(customer).running():
                pending = await request_credential(verifier, parties.verifier_connection, record_id=issued.record_id)
                deadline = time.monotonic() + 30
                while (exchange := await verifier.presentation_exchange(pending.pres_ex_id)).state not in {
                        "done", "abandoned", "deleted"} and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
        finally:
            await customer.delete_w3c_credential(issued.credential["id"])
    assert exchange.state == "done" and exchange.verified is True, exchange.error_msg
    presentation = exchange.presentation
    assert "https://identity.foundation/presentation-exchange/submission/v1" in presentation["@context"]
    assert (await checker.presentation(presentation, pending.challenge)).ok is True
    wrong = new_challenge()
    assert (await checker.presentation(presentation, wrong)).ok is False
    assert await agent_verdict_on_presentation(agent_network, presentation, wrong) is False


async def test_concurrent_checks_each_get_their_own_verdict(checker, issued):
    variants = credential_variants(issued)
    names = VARIANTS * 3
    results = await asyncio.gather(*(checker.credential(variants[name][0]) for name in names))
    assert [r.ok for r in results] == [variants[name][1] for name in names]


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it is offered."""

    async def __aenter__(self) -> Listener:
        self.connections = 0
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def saw_nothing(self) -> bool:
        await asyncio.sleep(0.3)  # a connection attempt from a worker would have arrived by now
        return self.connections == 0


async def _listener_is_real(listener: Listener) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.close()
    await asyncio.sleep(0.1)
    assert listener.connections == 1


async def test_a_did_web_issuer_is_refused_without_any_connection(checker, issued, agent_network):
    challenge = new_challenge()
    async with agent_network.holder() as customer:
        vp = await customer.vc_present(issued.holder, [issued.credential], challenge=challenge)
    answers = {}
    for port_kind in ("listening", "closed"):
        async with Listener() as listener:
            port = listener.port if port_kind == "listening" else free_port()  # closed again: nothing listens there
            did = f"did:web:127.0.0.1%3A{port}"
            web_issuer = _edit(issued.credential, lambda d: (d.update(issuer=did),
                                                             d["proof"].update(verificationMethod=f"{did}#key-1")))
            web_method = _edit(issued.credential, lambda d: d["proof"].update(verificationMethod=f"{did}#key-1"))
            web_holder = _edit(vp, lambda d: d["proof"].update(verificationMethod=f"{did}#key-1"))
            answers[port_kind] = [await checker.credential(web_issuer), await checker.credential(web_method),
                                  await checker.presentation(web_holder, challenge)]
            assert await listener.saw_nothing()
            await _listener_is_real(listener)
    assert [(r.ok, r.reason) for r in answers["listening"]] == [
        (False, reasons.ISSUER_NOT_CHECKABLE), (False, reasons.NOT_ISSUER_KEY), (False, reasons.HOLDER_NOT_CHECKABLE)]
    assert answers["closed"] == answers["listening"]  # nothing depends on what answers at that address


async def test_an_unknown_context_is_refused_without_any_connection(checker, issued, agent_network):
    challenge = new_challenge()
    async with agent_network.holder() as customer:
        vp = await customer.vc_present(issued.holder, [issued.credential], challenge=challenge)
    answers = {}
    for port_kind in ("listening", "closed"):
        async with Listener() as listener:
            port = listener.port if port_kind == "listening" else free_port()  # closed again: nothing listens there
            url = f"http://127.0.0.1:{port}/contexts/v1"
            credential = _edit(issued.credential, lambda d: d["@context"].append(url))
            presentation = _edit(vp, lambda d: d["@context"].append(url))
            answers[port_kind] = [await checker.credential(credential), await checker.presentation(presentation, challenge)]
            assert await listener.saw_nothing()
            await _listener_is_real(listener)
    assert [(r.ok, r.reason) for r in answers["listening"]] == [
        (False, reasons.CREDENTIAL_CONTEXT), (False, reasons.PRESENTATION_CONTEXT)]
    assert answers["closed"] == answers["listening"]
    # Closed, not merely offline: a context ACA-Py bundles but this project does not use.
    bundled_elsewhere = _edit(issued.credential, lambda d: d["@context"].append("https://w3id.org/citizenship/v1"))
    assert (await checker.credential(bundled_elsewhere)).reason == reasons.CREDENTIAL_CONTEXT


def _slow(issued: Issued, items: int = 6000) -> dict[str, Any]:
    """A credential whose canonicalization takes tens of seconds (quadratic in a set's size)."""
    return _edit(issued.credential, lambda d: d["credentialSubject"].update(scope=[f"s{i}" for i in range(items)]))


def _worker_pids() -> set[int]:
    """This process's children started by multiprocessing's spawn (the checkers' workers)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


async def test_a_full_queue_answers_busy_at_once(issued):
    slow = _slow(issued)
    async with ProofChecker(workers=1, queue_limit=1, deadline=120) as checker:
        await checker.start()
        running = asyncio.create_task(checker.credential(slow))
        await asyncio.sleep(0.5)
        waiting = asyncio.create_task(checker.credential(slow))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        with pytest.raises(ProofCheckBusy) as busy:
            await checker.credential(issued.credential)
        assert time.monotonic() - started < 0.5
        assert isinstance(busy.value, ProofCheckUnavailable)
        assert isinstance(busy.value.retry_after, int) and busy.value.retry_after >= 1
        assert not running.done() and not waiting.done()
    # Closing stops what ran and what waited: both are "unavailable", neither a verdict.
    for task in (running, waiting):
        with pytest.raises(ProofCheckUnavailable):
            await task


async def test_a_check_past_its_deadline_is_unavailable_and_its_worker_replaced(issued):
    before = _worker_pids()
    async with ProofChecker(workers=1, deadline=2.0) as checker:
        await checker.start()
        first = _worker_pids() - before
        started = time.monotonic()
        with pytest.raises(ProofCheckUnavailable, match="did not finish within 2 s") as unavailable:
            await checker.credential(_slow(issued))
        assert not isinstance(unavailable.value, ProofCheckBusy)
        assert time.monotonic() - started < 2.0 + 1.0
        assert len(first) == 1
        gone = time.monotonic() + 10
        while first & _worker_pids() and time.monotonic() < gone:
            await asyncio.sleep(0.05)
        assert not first & _worker_pids()  # the stuck worker was stopped
        await checker.start()  # and its replacement is warm
        assert (await checker.credential(issued.credential)).ok is True


async def test_a_worker_that_dies_mid_check_is_unavailable_and_replaced(issued):
    before = _worker_pids()
    async with ProofChecker(workers=1, deadline=60) as checker:
        await checker.start()
        (pid,) = _worker_pids() - before
        check = asyncio.create_task(checker.credential(_slow(issued)))
        await asyncio.sleep(0.5)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(ProofCheckUnavailable, match="died"):
            await check
        await checker.start()
        assert (await checker.credential(issued.credential)).ok is True


async def test_the_service_process_imports_no_acapy_and_keeps_its_event_loop(tmp_path, issued):
    """ACA-Py's document loader module applies nest_asyncio to whoever imports it: only workers may."""
    script = tmp_path / "service.py"
    script.write_text(textwrap.dedent("""
        import asyncio, json, sys
        from controllers.verifier.proofs import ProofChecker

        async def main():
            async with ProofChecker(workers=1) as checker:
                genuine = await checker.credential(json.loads(sys.argv[1]))
                assert genuine.ok, genuine
                print(json.dumps({
                    "acapy": sorted(m for m in sys.modules if m.startswith(("acapy_agent", "nest_asyncio", "pyld"))),
                    "c_tasks": asyncio.Task is asyncio.tasks._CTask,
                }))

        if __name__ == "__main__":
            asyncio.run(main())
    """))
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), json.dumps(issued.credential), cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()[-2000:]
    assert json.loads(out) == {"acapy": [], "c_tasks": True}
