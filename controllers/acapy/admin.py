"""`AcaPyAdmin`: an async client of one ACA-Py agent's admin API.

Typed calls cover what the consent and credential flows use; `request` reaches everything else.
Logging names the call's route template and status only: paths may carry DIDs, bodies carry claims.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from controllers.acapy.errors import AdminApiError
from controllers.acapy.did_key import did_key_of_ed25519, ed25519_key_of, x25519_multibase_of
from controllers.acapy.records import ConnectionRecord, CredentialExchange, DidInfo, Invitation, PresentationExchange

__all__ = [
    "AcaPyAdmin",
    "DIDEXCHANGE_1_1",
    "ld_proof_filter",
    "dif_request",
    "new_challenge",
    "did_key_verification_method",
]

LOGGER = logging.getLogger(__name__)
DIDEXCHANGE_1_1 = "https://didcomm.org/didexchange/1.1"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
_ISSUE = "/issue-credential-2.0"
_PRESENT = "/present-proof-2.0"


# The suite our agents sign with. Stock mobile wallets (Credo, so Bifold and BC Wallet) describe a
# did:key only as an Ed25519VerificationKey2018, so they cannot check an Ed25519Signature2020 proof;
# the 2018 suite is the same Ed25519 signature over the same URDNA2015 canonical form, only encoded
# as a detached JWS, so it gives up nothing. Verifiers keep accepting both.
PROOF_TYPE = "Ed25519Signature2018"


def ld_proof_filter(credential: Mapping[str, Any], *, proof_type: str = PROOF_TYPE) -> dict[str, Any]:
    """The `filter` of an issue-credential v2 message for one ld_proof credential.

    The proof purpose is named: a holder that compares it with its request (Credo does) refuses a
    credential whose options leave it out."""
    return {"ld_proof": {"credential": dict(credential),
                         "options": {"proofType": proof_type, "proofPurpose": "assertionMethod"}}}


def dif_request(presentation_definition: Mapping[str, Any], *, challenge: str, domain: str | None = None) -> dict[str, Any]:
    """The `presentation_request` of a present-proof v2 request in DIF format.

    Every input descriptor must carry a `schema` list: without one the holder fails silently.
    ACA-Py accepts only a UUID4 as the challenge of a DIDComm request (`new_challenge()`).
    """
    try:
        if uuid.UUID(challenge).version != 4:
            raise ValueError
    except ValueError:
        raise ValueError("the challenge of a DIF presentation request must be a UUID4 string (use new_challenge())") from None
    for descriptor in presentation_definition.get("input_descriptors", []):
        if not descriptor.get("schema"):
            raise ValueError(f"input descriptor {descriptor.get('id', '?')!r} has no schema list")
    options: dict[str, Any] = {"challenge": challenge}
    if domain:
        options["domain"] = domain
    return {"dif": {"options": options, "presentation_definition": dict(presentation_definition)}}


def new_challenge() -> str:
    """A fresh, unguessable presentation challenge in the form ACA-Py accepts."""
    return str(uuid.uuid4())


def did_key_verification_method(did: str) -> str:
    """The one verification method of a did:key: its fragment repeats the multibase key."""
    if not did.startswith("did:key:z"):
        raise ValueError("expected a did:key with a multibase (z...) key")
    return f"{did}#{did.removeprefix('did:key:')}"


def _q(segment: str) -> str:
    return quote(segment, safe="")


def _flag(value: bool) -> str:
    return "true" if value else "false"


W3C_MAX_RESULTS = 10_000  # credentials one listing returns at most
LIST_PAGE = 1000  # records per page of a listing (ACA-Py allows up to 10,000)


class AcaPyAdmin:
    """One agent's admin API; `tenant(token)` is the same API acting as one sub-wallet of a
    multitenant agent (ACA-Py picks the wallet from the bearer token)."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"admin URL must be http(s)://host:port, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._parent: AcaPyAdmin | None = None  # a tenant's calls go over its agent's connection pool

    def __repr__(self) -> str:
        return f"AcaPyAdmin({self.base_url!r}{', tenant' if self._token else ''})"

    def tenant(self, token: str) -> AcaPyAdmin:
        """This agent's API as the sub-wallet `token` was issued for. Closing it closes nothing:
        the connections belong to this (the agent's) client."""
        child = AcaPyAdmin(self.base_url, self._api_key, timeout=self._timeout.total or 10.0)
        child._token, child._parent = token, self
        return child

    async def __aenter__(self) -> AcaPyAdmin:
        await self.open()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def open(self) -> None:
        if self._parent is not None:
            await self._parent.open()
            return
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"X-API-Key": self._api_key}, timeout=self._timeout, raise_for_status=False
            )

    async def close(self) -> None:
        if self._parent is None and self._session is not None:
            await self._session.close()
            self._session = None

    # -- transport -------------------------------------------------------------------------
    async def _listing(self, path: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every record of a paginated listing: ACA-Py answers one page (100 records unless asked
        for more), so a wallet with a long history would otherwise lose its older records."""
        found: list[dict[str, Any]] = []
        while True:
            body = await self.request("GET", path, params={**params, "limit": LIST_PAGE, "offset": len(found)})
            page = body.get("results", [])
            found += page
            if len(page) < LIST_PAGE:
                return found

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        template: str | None = None,
    ) -> dict[str, Any]:
        """One admin call; raises AdminApiError on a status >= 400, a timeout or no connection.

        `template` is the route as logged (defaults to `path`): pass it when the path holds a DID.
        """
        await self.open()
        session = (self._parent or self)._session
        assert session is not None
        shown = template or path
        clean = {k: (_flag(v) if isinstance(v, bool) else str(v)) for k, v in (params or {}).items() if v is not None}
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        try:
            async with session.request(method, self.base_url + path, json=json, params=clean, headers=headers) as resp:
                text = await resp.text()
                LOGGER.debug("%s %s -> %d", method, shown, resp.status)
                if resp.status >= 400:
                    raise AdminApiError(method, shown, resp.status, _reason(text, resp.reason))
                if not text:
                    return {}
                try:
                    body = _json_loads(text)
                except ValueError:
                    raise AdminApiError(method, shown, resp.status, "response is not JSON") from None
                return body if isinstance(body, dict) else {"results": body}
        except asyncio.TimeoutError:
            raise AdminApiError(method, shown, 0, f"no answer within {self._timeout.total:g} s") from None
        except aiohttp.ClientError as exc:
            raise AdminApiError(method, shown, 0, str(exc) or type(exc).__name__) from None

    # -- status ----------------------------------------------------------------------------
    async def ready(self) -> bool:
        return bool((await self.request("GET", "/status/ready")).get("ready"))

    async def jsonld_contexts(self) -> dict[str, Any]:
        """The project plugin's report: contexts served and whether the offline loader is bound."""
        return await self.request("GET", "/emissions/jsonld")

    # -- DIDs ------------------------------------------------------------------------------
    async def create_did_key(self, key_type: str = "ed25519") -> DidInfo:
        body = await self.request("POST", "/wallet/did/create", json={"method": "key", "options": {"key_type": key_type}})
        return DidInfo.from_api(body["result"])

    async def wallet_dids(self, *, did: str | None = None, method: str | None = None) -> list[DidInfo]:
        """The DIDs this wallet holds (filtered; the DID goes in the query, which is never logged)."""
        body = await self.request("GET", "/wallet/did", params={"did": did, "method": method})
        return [DidInfo.from_api(r) for r in body.get("results", [])]

    async def ensure_did_key(self, known: str | None = None, key_type: str = "ed25519") -> DidInfo:
        """`known` while this wallet still holds it, else a new did:key.

        A controller keeps its DID across restarts; a wallet that was reset underneath it must not
        leave the controller pointing at a DID it can no longer sign for."""
        if known:
            for info in await self.wallet_dids(did=known):
                if info.did == known:
                    return info
        return await self.create_did_key(key_type)

    # -- multitenancy (the agent's own API, not a tenant's) -------------------------------------
    async def create_tenant(self, label: str) -> tuple[str, str]:
        """A new sub-wallet whose key the agent manages, in the agent's shared multitenant store;
        returns (wallet id, token). Its webhooks go to the agent's webhook URL with header
        `x-wallet-id`."""
        body = await self.request("POST", "/multitenancy/wallet", json={
            "label": label, "key_management_mode": "managed", "wallet_dispatch_type": "base"})
        return str(body["wallet_id"]), str(body["token"])

    async def tenant_token(self, wallet_id: str) -> str:
        """A fresh token for a sub-wallet; ACA-Py accepts only the newest token of a wallet, so
        one process should ask once and keep it."""
        body = await self.request("POST", f"/multitenancy/wallet/{_q(wallet_id)}/token", json={},
                                  template="/multitenancy/wallet/{wallet_id}/token")
        return str(body["token"])

    async def delete_tenant(self, wallet_id: str) -> None:
        await self.request("POST", f"/multitenancy/wallet/{_q(wallet_id)}/remove", json={},
                           template="/multitenancy/wallet/{wallet_id}/remove")

    async def resolve(self, did: str) -> dict[str, Any]:
        """The DID document (`did_document`) and resolution metadata (`metadata`)."""
        return await self.request("GET", f"/resolver/resolve/{_q(did)}", template="/resolver/resolve/{did}")

    async def connection_did_key(self, connection_id: str) -> str | None:
        """The did:key of the Ed25519 key the other party authenticates its connection DID with (a
        key its wallet holds), or None when that DID does not resolve to one."""
        their_did = (await self.connection(connection_id)).their_did
        if not their_did:
            return None
        try:
            document = (await self.resolve(their_did)).get("did_document") or {}
        except AdminApiError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return None
            raise
        key = ed25519_key_of(document)
        return did_key_of_ed25519(key) if key else None

    async def key_agreement_of(self, did: str) -> str | None:
        """The X25519 key-agreement key (multibase) the DID's document names, if any."""
        return x25519_multibase_of((await self.resolve(did)).get("did_document") or {})

    # -- out-of-band + DID Exchange ----------------------------------------------------------
    async def create_invitation(
        self,
        *,
        alias: str | None = None,
        my_label: str | None = None,
        auto_accept: bool | None = None,
        multi_use: bool = False,
        use_did_method: str = "did:peer:2",
        goal: str | None = None,
    ) -> Invitation:
        body: dict[str, Any] = {"handshake_protocols": [DIDEXCHANGE_1_1], "use_did_method": use_did_method}
        for k, v in (("alias", alias), ("my_label", my_label), ("goal", goal)):
            if v is not None:
                body[k] = v
        params = {"auto_accept": auto_accept, "multi_use": multi_use}
        return Invitation.from_api(await self.request("POST", "/out-of-band/create-invitation", json=body, params=params))

    async def receive_invitation(
        self, invitation: Mapping[str, Any], *, alias: str | None = None, use_did_method: str | None = "did:peer:2"
    ) -> ConnectionRecord:
        """Accept an invitation (the caller's decision) and start DID Exchange 1.1.

        With `use_did_method` the request is sent with a DID of that method (did:peer:2 by default,
        short and self-certifying); ACA-Py would otherwise answer with did:peer:4.
        """
        auto = use_did_method is None
        # use_existing_connection=false: with reuse, ACA-Py answers a second invitation from an
        # agent it already knows with a handshake-reuse on the old connection, so no connection ever
        # carries this invitation's id and an inviter that tracks its onboardings or audits by
        # invitation_msg_id never sees this one connect. One invitation, one connection.
        # The query has no use_did_method (ACA-Py 1.7 ignores one there and answers with did:peer:4):
        # the DID method is chosen by accepting in a second call.
        oob = await self.request(
            "POST", "/out-of-band/receive-invitation", json=dict(invitation),
            params={"alias": alias, "auto_accept": auto, "use_existing_connection": False},
        )
        conn_id = oob.get("connection_id")
        if not conn_id:
            raise AdminApiError("POST", "/out-of-band/receive-invitation", 200, "no connection was created for the invitation")
        if use_did_method is not None:
            return await self.accept_invitation(conn_id, use_did_method=use_did_method)
        return await self.connection(conn_id)

    async def accept_invitation(self, connection_id: str, *, use_did_method: str = "did:peer:2") -> ConnectionRecord:
        body = await self.request(
            "POST", f"/didexchange/{_q(connection_id)}/accept-invitation", params={"use_did_method": use_did_method},
            template="/didexchange/{conn_id}/accept-invitation",
        )
        return ConnectionRecord.from_api(body)

    async def accept_request(self, connection_id: str) -> ConnectionRecord:
        """Answer a DID Exchange request (for agents without --auto-accept-requests)."""
        body = await self.request(
            "POST", f"/didexchange/{_q(connection_id)}/accept-request", template="/didexchange/{conn_id}/accept-request"
        )
        return ConnectionRecord.from_api(body)

    async def connection(self, connection_id: str) -> ConnectionRecord:
        body = await self.request("GET", f"/connections/{_q(connection_id)}", template="/connections/{conn_id}")
        return ConnectionRecord.from_api(body)

    async def connections(self, *, state: str | None = None, invitation_msg_id: str | None = None) -> list[ConnectionRecord]:
        found = await self._listing("/connections", {"state": state, "invitation_msg_id": invitation_msg_id})
        return [ConnectionRecord.from_api(r) for r in found]

    # -- issue-credential v2, ld_proof -----------------------------------------------------
    async def send_credential_proposal(
        self, connection_id: str, credential: Mapping[str, Any], *, proof_type: str = PROOF_TYPE, comment: str | None = None
    ) -> CredentialExchange:
        body = {"connection_id": connection_id, "filter": ld_proof_filter(credential, proof_type=proof_type), "comment": comment}
        return CredentialExchange.from_api(await self.request("POST", f"{_ISSUE}/send-proposal", json=_strip(body)))

    async def send_credential_offer(
        self,
        connection_id: str,
        credential: Mapping[str, Any],
        *,
        proof_type: str = PROOF_TYPE,
        auto_issue: bool = False,
        comment: str | None = None,
    ) -> CredentialExchange:
        """A free offer (no proposal before it)."""
        body = {
            "connection_id": connection_id,
            "filter": ld_proof_filter(credential, proof_type=proof_type),
            "auto_issue": auto_issue,
            "auto_remove": False,
            "comment": comment,
        }
        return CredentialExchange.from_api(await self.request("POST", f"{_ISSUE}/send-offer", json=_strip(body)))

    async def send_offer_for_proposal(
        self, cred_ex_id: str, *, credential: Mapping[str, Any] | None = None, proof_type: str = PROOF_TYPE
    ) -> CredentialExchange:
        """Offer what was proposed, or (with `credential`) a counter-offer.

        ACA-Py 1.7 requires a `counter_preview` with any counter-offer, even though an ld_proof
        credential has no attribute preview: an empty one satisfies it."""
        body = (
            {"filter": ld_proof_filter(credential, proof_type=proof_type), "counter_preview": {"attributes": []}}
            if credential is not None
            else {}
        )
        return CredentialExchange.from_api(
            await self.request("POST", f"{_ISSUE}/records/{_q(cred_ex_id)}/send-offer", json=body, template=f"{_ISSUE}/records/{{id}}/send-offer")
        )

    async def send_credential_request(self, cred_ex_id: str, *, holder_did: str | None = None) -> CredentialExchange:
        """Request the offered credential; `holder_did` (did:key) becomes credentialSubject.id."""
        body = {"holder_did": holder_did} if holder_did else {}
        return CredentialExchange.from_api(
            await self.request("POST", f"{_ISSUE}/records/{_q(cred_ex_id)}/send-request", json=body, template=f"{_ISSUE}/records/{{id}}/send-request")
        )

    async def issue_credential(self, cred_ex_id: str, *, comment: str | None = None) -> CredentialExchange:
        return CredentialExchange.from_api(
            await self.request("POST", f"{_ISSUE}/records/{_q(cred_ex_id)}/issue", json=_strip({"comment": comment}), template=f"{_ISSUE}/records/{{id}}/issue")
        )

    async def store_credential(self, cred_ex_id: str, *, credential_id: str | None = None) -> CredentialExchange:
        body = {"credential_id": credential_id} if credential_id else {}
        return CredentialExchange.from_api(
            await self.request("POST", f"{_ISSUE}/records/{_q(cred_ex_id)}/store", json=body, template=f"{_ISSUE}/records/{{id}}/store")
        )

    async def credential_exchange(self, cred_ex_id: str) -> CredentialExchange:
        return CredentialExchange.from_api(
            await self.request("GET", f"{_ISSUE}/records/{_q(cred_ex_id)}", template=f"{_ISSUE}/records/{{id}}")
        )

    async def credential_exchanges(
        self, *, connection_id: str | None = None, state: str | None = None, role: str | None = None, thread_id: str | None = None
    ) -> list[CredentialExchange]:
        found = await self._listing(
            f"{_ISSUE}/records", {"connection_id": connection_id, "state": state, "role": role, "thread_id": thread_id})
        return [CredentialExchange.from_api(r) for r in found]

    async def delete_credential_exchange(self, cred_ex_id: str) -> None:
        await self.request("DELETE", f"{_ISSUE}/records/{_q(cred_ex_id)}", template=f"{_ISSUE}/records/{{id}}")

    async def credential_problem_report(self, cred_ex_id: str, description: str) -> None:
        """Tell the other party why the exchange stops here (the record becomes abandoned)."""
        await self.request(
            "POST", f"{_ISSUE}/records/{_q(cred_ex_id)}/problem-report", json={"description": description},
            template=f"{_ISSUE}/records/{{id}}/problem-report",
        )

    # -- present-proof v2, DIF ---------------------------------------------------------------
    async def send_presentation_request(
        self,
        connection_id: str,
        presentation_definition: Mapping[str, Any],
        *,
        challenge: str,
        domain: str | None = None,
        auto_verify: bool | None = None,
        comment: str | None = None,
    ) -> PresentationExchange:
        body = {
            "connection_id": connection_id,
            "presentation_request": dif_request(presentation_definition, challenge=challenge, domain=domain),
            "auto_verify": auto_verify,
            "auto_remove": False,
            "comment": comment,
        }
        return PresentationExchange.from_api(await self.request("POST", f"{_PRESENT}/send-request", json=_strip(body)))

    async def matching_credentials(self, pres_ex_id: str, *, count: int = 100) -> list[dict[str, Any]]:
        """Credentials matching a received request: each the credential itself plus its `record_id`."""
        body = await self.request(
            "GET", f"{_PRESENT}/records/{_q(pres_ex_id)}/credentials", params={"count": count},
            template=f"{_PRESENT}/records/{{id}}/credentials",
        )
        return list(body.get("results", []))

    async def send_presentation(self, pres_ex_id: str, record_ids: Mapping[str, list[str]]) -> PresentationExchange:
        """Present exactly the chosen credentials: {input_descriptor_id: [w3c record id, ...]}."""
        body = {"dif": {"record_ids": {k: list(v) for k, v in record_ids.items()}}}
        return PresentationExchange.from_api(
            await self.request(
                "POST", f"{_PRESENT}/records/{_q(pres_ex_id)}/send-presentation", json=body,
                template=f"{_PRESENT}/records/{{id}}/send-presentation",
            )
        )

    async def verify_presentation(self, pres_ex_id: str) -> PresentationExchange:
        return PresentationExchange.from_api(
            await self.request(
                "POST", f"{_PRESENT}/records/{_q(pres_ex_id)}/verify-presentation",
                template=f"{_PRESENT}/records/{{id}}/verify-presentation",
            )
        )

    async def presentation_exchange(self, pres_ex_id: str) -> PresentationExchange:
        return PresentationExchange.from_api(
            await self.request("GET", f"{_PRESENT}/records/{_q(pres_ex_id)}", template=f"{_PRESENT}/records/{{id}}")
        )

    async def presentation_exchanges(
        self, *, connection_id: str | None = None, state: str | None = None, role: str | None = None, thread_id: str | None = None
    ) -> list[PresentationExchange]:
        found = await self._listing(
            f"{_PRESENT}/records", {"connection_id": connection_id, "state": state, "role": role, "thread_id": thread_id})
        return [PresentationExchange.from_api(r) for r in found]

    async def delete_presentation_exchange(self, pres_ex_id: str) -> None:
        await self.request("DELETE", f"{_PRESENT}/records/{_q(pres_ex_id)}", template=f"{_PRESENT}/records/{{id}}")

    async def presentation_problem_report(self, pres_ex_id: str, description: str) -> None:
        await self.request(
            "POST", f"{_PRESENT}/records/{_q(pres_ex_id)}/problem-report", json={"description": description},
            template=f"{_PRESENT}/records/{{id}}/problem-report",
        )

    # -- VC API outside DIDComm ------------------------------------------------------------
    async def vc_issue(self, credential: Mapping[str, Any], *, proof_type: str = PROOF_TYPE) -> dict[str, Any]:
        body = await self.request("POST", "/vc/credentials/issue", json={"credential": dict(credential), "options": {"proofType": proof_type}})
        return body["verifiableCredential"]

    async def vc_verify(self, verifiable_credential: Mapping[str, Any]) -> dict[str, Any]:
        """{"verified": bool, "results": [...], ...} as ACA-Py reports it."""
        return await self.request("POST", "/vc/credentials/verify", json={"verifiableCredential": dict(verifiable_credential)})

    async def vc_prove(
        self, presentation: Mapping[str, Any], *, challenge: str, domain: str | None = None, proof_type: str = PROOF_TYPE,
        verification_method: str | None = None,
    ) -> dict[str, Any]:
        """Sign a presentation for authentication bound to `challenge` (the holder DID must be in this wallet)."""
        options: dict[str, Any] = {"proofType": proof_type, "proofPurpose": "authentication", "challenge": challenge}
        if domain:
            options["domain"] = domain
        if verification_method:
            options["verificationMethod"] = verification_method
        body = await self.request("POST", "/vc/presentations/prove", json={"presentation": dict(presentation), "options": options})
        return body["verifiablePresentation"]

    async def vc_present(
        self,
        holder: str,
        credentials: Sequence[Mapping[str, Any]],
        *,
        challenge: str,
        domain: str | None = None,
        proof_type: str = PROOF_TYPE,
    ) -> dict[str, Any]:
        """A VP of `credentials` by `holder` (a did:key of this wallet), bound to `challenge`.

        The verification method is named, not left to ACA-Py: it would look one up for the
        assertionMethod purpose, and a verifier checks that the signer is the holder's own key."""
        presentation = {
            "@context": [CREDENTIALS_V1],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": [dict(c) for c in credentials],
        }
        return await self.vc_prove(
            presentation, challenge=challenge, domain=domain, proof_type=proof_type,
            verification_method=did_key_verification_method(holder),
        )

    async def vp_verify(self, presentation: Mapping[str, Any], *, challenge: str, domain: str | None = None) -> dict[str, Any]:
        options: dict[str, Any] = {"challenge": challenge}
        if domain:
            options["domain"] = domain
        return await self.request("POST", "/vc/presentations/verify", json={"verifiablePresentation": dict(presentation), "options": options})

    # -- the holder's W3C credentials ------------------------------------------------------
    async def w3c_credentials(self, *, types: list[str] | None = None, subject_ids: list[str] | None = None,
                              max_results: int = W3C_MAX_RESULTS) -> list[dict[str, Any]]:
        """Stored W3C credentials; each result has `record_id`, `cred_value`, `cred_tags`, ...

        The endpoint takes its limit in the body (`max_results`) and has no paging: without one it
        returns only the store's page size, so a wallet past that silently lost credentials."""
        body: dict[str, Any] = {"max_results": max_results}
        if types:
            body["types"] = types
        if subject_ids:
            body["subject_ids"] = subject_ids
        return list((await self.request("POST", "/credentials/w3c", json=body)).get("results", []))

    async def w3c_credential(self, record_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/credential/w3c/{_q(record_id)}", template="/credential/w3c/{id}")

    async def delete_w3c_credential(self, record_id: str) -> None:
        await self.request("DELETE", f"/credential/w3c/{_q(record_id)}", template="/credential/w3c/{id}")


def _strip(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def _reason(text: str, fallback: str | None) -> str:
    try:
        body = _json_loads(text)
        if isinstance(body, dict):
            for key in ("reason", "message", "error", "detail"):
                if body.get(key):
                    return str(body[key])
    except ValueError:
        pass
    line = text.strip().splitlines()[-1] if text.strip() else ""
    return line[:300] or (fallback or "error")


def _json_loads(text: str) -> Any:
    return json.loads(text)
