"""Small multi-agent steps shared by the tests (connect, issue, present), built on the public API only."""

from __future__ import annotations

import uuid
from typing import Any

from agents.contexts import CONTEXT_URL, type_iri
from controllers.acapy import AcaPyAdmin, ConnectionRecord, WebhookReceiver

VC_V1 = "https://www.w3.org/2018/credentials/v1"
ED25519_2020 = "https://w3id.org/security/suites/ed25519-2020/v1"
CONNECTED = {"active", "completed"}


async def connect(
    inviter: AcaPyAdmin, inviter_hooks: WebhookReceiver, invitee: AcaPyAdmin, invitee_hooks: WebhookReceiver
) -> tuple[ConnectionRecord, ConnectionRecord]:
    """Out-of-band invitation + DID Exchange 1.1; returns (inviter's, invitee's) connection."""
    invitation = await inviter.create_invitation(auto_accept=True)
    theirs = await invitee.receive_invitation(invitation.invitation)
    await invitee_hooks.waiter.wait_for("connections", theirs.connection_id, CONNECTED, timeout=15)
    [ours] = await inviter.connections(invitation_msg_id=invitation.invitation_msg_id)
    await inviter_hooks.waiter.wait_for("connections", ours.connection_id, CONNECTED, timeout=15)
    return await inviter.connection(ours.connection_id), await invitee.connection(theirs.connection_id)


def account_credential(issuer_did: str, *, account_id: str = "ACCT-0001", eia_id: str = "14328") -> dict[str, Any]:
    return {
        "@context": [VC_V1, ED25519_2020, CONTEXT_URL],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "UtilityAccountCredential"],
        "issuer": issuer_did,
        "issuanceDate": "2025-01-01T00:00:00Z",
        "credentialSubject": {"utilityEiaId": eia_id, "accountId": account_id, "servicePointId": "SP-0001"},
    }


def account_definition() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "input_descriptors": [
            {
                "id": "account",
                "name": "Utility account",
                "schema": [{"uri": type_iri("UtilityAccountCredential")}],
                "constraints": {
                    "fields": [{"path": ["$.credentialSubject.utilityEiaId"], "filter": {"type": "string", "const": "14328"}}]
                },
            }
        ],
    }
