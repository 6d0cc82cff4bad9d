"""A verifier that names records gets an answer on every one: a record the holder left out of its
presentation is rejected as not presented, whatever the wallet chose to show. (ACA-Py's verifier
agent already refuses a DIF submission that leaves a descriptor unanswered; a wallet or an agent
that does not must not turn "asked for two, shown one" into a plain "verified".)"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from controllers.acapy import PresentationExchange
from controllers.verifier import VerifierService
from controllers.verifier.request import not_presented
from controllers.verifier.verdict import REJECTED, VERIFIED, Check, Verdict
from controllers.workflow import WorkflowStore
from tests.web.operator_fixtures import FakeAdmin

SHOWN, WITHHELD = "a" * 64, "b" * 64


def credential(record_id: str) -> dict[str, Any]:
    return {"credentialSubject": {"ledgerAnchor": {"recordId": record_id}}}


def verified(record_id: str) -> Verdict:
    return Verdict(VERIFIED, (Check("signature", True, "ok"),), record_id=record_id)


class AnsweringAdmin(FakeAdmin):
    """The holder answers every request with a presentation of SHOWN only."""

    async def presentation_exchange(self, pres_ex_id: str) -> PresentationExchange:
        challenge = self.requests[-1]["challenge"]
        presentation = {"verifiableCredential": [credential(SHOWN)], "proof": {"challenge": challenge}}
        return PresentationExchange.from_api({"pres_ex_id": pres_ex_id, "state": "done", "role": "verifier",
                                              "verified": "true", "by_format": {"pres": {"dif": presentation}}})


async def test_a_record_asked_for_and_not_presented_is_rejected_beside_the_verified_one(tmp_path):
    admin = AnsweringAdmin()

    async def check_presentation(presentation, challenge, *, agent_verified):
        return [verified(SHOWN)]

    checker = SimpleNamespace(admin=admin, proofs=None, check_presentation=check_presentation)
    service = VerifierService(checker, WorkflowStore(tmp_path / "verifier.sqlite3"), sweep_interval=60)  # type: ignore[arg-type]
    request_id = await service.ask("conn-1", record_ids=[SHOWN, WITHHELD, SHOWN])
    assert len(admin.requests[-1]["definition"]["input_descriptors"]) == 2

    await service.look(request_id)

    shown, withheld = service.verdicts(request_id)
    assert (shown.status, shown.record_id) == (VERIFIED, SHOWN)
    assert (withheld.status, withheld.record_id) == (REJECTED, WITHHELD)
    assert withheld.reasons == ["presented: asked for, but the holder did not present it"]


def test_a_presented_credential_that_fails_its_checks_is_not_also_called_missing():
    # A forged credential's verdict may carry no record id; it was still presented, and its own
    # verdict says what is wrong with it.
    forged = Verdict(REJECTED, (Check("signature", False, "does not verify"),))
    presentation = {"verifiableCredential": credential(SHOWN)}  # one credential, not in a list
    assert not_presented([SHOWN], presentation, [forged]) == []
    assert [v.record_id for v in not_presented([SHOWN, WITHHELD], presentation, [forged])] == [WITHHELD]


def test_a_request_for_any_emissions_credential_names_nothing_to_miss():
    assert not_presented((), {"verifiableCredential": []}, []) == []
