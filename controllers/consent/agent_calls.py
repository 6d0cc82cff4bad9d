"""The ACA-Py admin calls the consent flow makes, written against the admin client's generic
`request(method, path, *, json=None, params=None)` so they work with any client that has it.
"""

from __future__ import annotations

from typing import Any, Protocol

from controllers.consent import vocabulary as v


class Admin(Protocol):
    async def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any: ...


async def ensure_did_key(admin: Admin, known: str | None = None) -> str:
    """`known` if the wallet still has it, else a new ed25519 did:key (a wallet that was reset
    must not leave the controller pointing at a DID it can no longer sign for)."""
    if known:
        found = await admin.request("GET", "/wallet/did", params={"did": known})
        if found.get("results"):
            return known
    created = await admin.request(
        "POST", "/wallet/did/create", json={"method": "key", "options": {"key_type": "ed25519"}}
    )
    return created["result"]["did"]


def verification_method(did: str) -> str:
    """did:key's one verification method: the key fragment repeats the multibase key."""
    return f"{did}#{did.removeprefix('did:key:')}"


async def create_invitation(admin: Admin, alias: str) -> dict[str, Any]:
    """An out-of-band invitation for DID Exchange 1.1 with a did:peer:2 connection DID."""
    return await admin.request(
        "POST",
        "/out-of-band/create-invitation",
        json={
            "alias": alias,
            "handshake_protocols": ["https://didcomm.org/didexchange/1.1"],
            "use_did_method": "did:peer:2",
        },
        params={"auto_accept": "true"},
    )


async def receive_invitation(admin: Admin, invitation: dict[str, Any], alias: str) -> dict[str, Any]:
    return await admin.request(
        "POST",
        "/out-of-band/receive-invitation",
        json=invitation,
        params={"auto_accept": "true", "alias": alias, "use_did_method": "did:peer:2", "use_existing_connection": "false"},
    )


async def prove(admin: Admin, did: str, credential: dict[str, Any], challenge: str) -> dict[str, Any]:
    """A VP of `credential`, holder `did`, bound to `challenge`, signed for authentication."""
    result = await admin.request(
        "POST",
        "/vc/presentations/prove",
        json={
            "presentation": {
                "@context": [v.CREDENTIALS_V1],
                "type": ["VerifiablePresentation"],
                "holder": did,
                "verifiableCredential": [credential],
            },
            "options": {
                "challenge": challenge,
                "proofPurpose": "authentication",
                "proofType": v.PROOF_TYPE,
                "verificationMethod": verification_method(did),
            },
        },
    )
    return result["verifiablePresentation"]


async def verify_presentation(admin: Admin, vp: dict[str, Any], challenge: str) -> dict[str, Any]:
    return await admin.request(
        "POST", "/vc/presentations/verify", json={"verifiablePresentation": vp, "options": {"challenge": challenge}}
    )


def offered_credential(record: dict[str, Any]) -> dict[str, Any] | None:
    """The ld_proof credential of an issue-credential v2 record, from its latest stage."""
    by_format = record.get("by_format") or {}
    for stage in ("cred_issue", "cred_request", "cred_offer", "cred_proposal"):
        ld = (by_format.get(stage) or {}).get("ld_proof")
        if ld:
            return ld.get("credential", ld)
    return None
