"""The operator apps of the auditor, the utility and the verifier built on their real classes, with
a small fake ACA-Py admin in place of an agent (only the calls these pages make), and helpers to
sign in and read invitation links."""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient

from controllers.acapy import ConnectionRecord, DidInfo, Invitation, PresentationExchange
from controllers.auditor import AuditManager, AuditorConfig
from controllers.auditor import build_app as auditor_app
from controllers.utility.service import UtilityConfig, UtilityService
from controllers.utility.service import build_app as utility_app
from controllers.verifier import VerifierService
from controllers.verifier import build_app as verifier_app
from controllers.workflow import WorkflowStore

AUDITOR_KEY = "auditor-operator-key-for-tests"
UTILITY_KEY = "utility-operator-key-for-tests"
VERIFIER_KEY = "verifier-operator-key-for-tests"
WEBHOOK_SECRET = "webhook-secret"
UTILITY_ID = "14328"
AGENT_ENDPOINT = "http://127.0.0.1:8020"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def peer2_did(endpoint: str = AGENT_ENDPOINT) -> str:
    """A did:peer:2 as ACA-Py puts in its invitations: keys, then the service with its endpoint."""
    service = {"t": "did-communication", "s": endpoint, "recipient_keys": ["#key-1"], "r": []}
    return ("did:peer:2.Vz6MkqRYqQiSgvZQdnBytw86Qbs2ZWUkGv22od935YF4s8M7V"
            ".Ez6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc.S" + _b64(service))


def fake_invitation(msg_id: str, label: str = "test agent") -> dict[str, Any]:
    return {"@type": "https://didcomm.org/out-of-band/1.1/invitation", "@id": msg_id, "label": label,
            "handshake_protocols": ["https://didcomm.org/didexchange/1.1"], "services": [peer2_did()]}


class FakeAdmin:
    """The ACA-Py admin calls the operator pages lead to; connections become active on `connect()`."""

    def __init__(self) -> None:
        self.invitations: list[str] = []
        self.active: dict[str, str] = {}  # invitation msg id -> connection id
        self.requests: list[dict[str, Any]] = []

    async def create_invitation(self, **_options: Any) -> Invitation:
        msg_id = str(uuid.uuid4())
        self.invitations.append(msg_id)
        return Invitation(str(uuid.uuid4()), msg_id, fake_invitation(msg_id), "")

    async def ensure_did_key(self, known: str | None = None, key_type: str = "ed25519") -> DidInfo:
        return DidInfo(known or "did:key:z6MkutilityTESTxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "verkey", "key", key_type)

    def connect(self, invitation_msg_id: str) -> str:
        connection_id = str(uuid.uuid4())
        self.active[invitation_msg_id] = connection_id
        return connection_id

    async def connections(self, *, state: str | None = None, invitation_msg_id: str | None = None):
        connection_id = self.active.get(invitation_msg_id or "")
        if connection_id is None:
            return []
        return [ConnectionRecord.from_api({"connection_id": connection_id, "state": "active",
                                           "invitation_msg_id": invitation_msg_id})]

    async def send_presentation_request(self, connection_id: str, definition: dict[str, Any], **options: Any):
        pres_ex_id = str(uuid.uuid4())
        self.requests.append({"connection_id": connection_id, "definition": definition, **options})
        return PresentationExchange.from_api({"pres_ex_id": pres_ex_id, "state": "request-sent", "role": "verifier",
                                              "connection_id": connection_id, "thread_id": pres_ex_id})

    async def presentation_exchange(self, pres_ex_id: str) -> PresentationExchange:
        return PresentationExchange.from_api({"pres_ex_id": pres_ex_id, "state": "request-sent", "role": "verifier"})


def auditor(tmp_path: Path) -> tuple[Any, AuditManager, FakeAdmin, WorkflowStore]:
    """The auditor's app on a real AuditManager (a stand-in issuer: no ledger is reached)."""
    admin, store = FakeAdmin(), WorkflowStore(tmp_path / "auditor.sqlite3")
    issuer = SimpleNamespace(settings=SimpleNamespace(auditor_did="did:key:z6MkauditorTEST"),
                             clock=SimpleNamespace(report=lambda: {}))
    manager = AuditManager(AuditorConfig(tmp_path / "auditor"), admin, None, store, issuer)  # type: ignore[arg-type]
    return auditor_app(manager, WEBHOOK_SECRET, AUDITOR_KEY), manager, admin, store


async def utility(tmp_path: Path) -> tuple[Any, UtilityService, FakeAdmin]:
    """The utility's app on a real UtilityService, started."""
    admin = FakeAdmin()
    service = UtilityService(UtilityConfig(UTILITY_ID, tmp_path / "utility", UTILITY_KEY), admin)  # type: ignore[arg-type]
    await service.start()
    return utility_app(service, WEBHOOK_SECRET), service, admin


def verifier(tmp_path: Path, operator_key: str | None = VERIFIER_KEY) -> tuple[Any, VerifierService, FakeAdmin, WorkflowStore]:
    """The verifier's app on a real VerifierService (a stand-in EmissionsVerifier: no ledger)."""
    admin, store = FakeAdmin(), WorkflowStore(tmp_path / "verifier.sqlite3")
    service = VerifierService(SimpleNamespace(admin=admin), store, sweep_interval=60)  # type: ignore[arg-type]
    return verifier_app(service, WEBHOOK_SECRET, operator_key), service, admin, store


async def sign_in(client: TestClient, password: str, username: str = "operator", next_: str | None = None):
    data = {"username": username, "password": password, **({"next": next_} if next_ else {})}
    return await client.post("/signin", data=data, allow_redirects=False)


async def signed_in(client: TestClient, password: str) -> str:
    """Sign in as the operator; returns the session's CSRF token."""
    resp = await sign_in(client, password)
    assert resp.status == 303, await resp.text()
    session = await client.get("/api/session")
    assert session.status == 200
    return (await session.json())["csrf_token"]


def textarea_url(page: str) -> str:
    """The invitation link in the page's read-only textarea (unescaped)."""
    import html
    found = re.search(r'<textarea id="invitation-url" readonly[^>]*>([^<]*)</textarea>', page)
    assert found, "no invitation textarea on the page"
    return html.unescape(found.group(1))


def decoded(url: str) -> dict[str, Any]:
    """The invitation an `...?oob=` link carries (base64url JSON, no padding)."""
    oob = parse_qs(urlsplit(url).query)["oob"][0]
    assert "=" not in oob
    return json.loads(base64.urlsafe_b64decode(oob + "=" * (-len(oob) % 4)))
