"""A real Credo-ts wallet (testkit/credo/holder.mjs) as a test fixture, driven over its JSON API.

    from testkit.credo_holder import CredoHolder, require_credo

    require_credo()                                   # skip locally / fail under CI=true without it
    async with CredoHolder.start(tmp_path / "wallet", label="Alice") as holder:
        conn_id = await holder.receive_invitation(invitation_url)
        ...

The process keeps its Askar wallet (and its did:key) under `data_dir`: starting again with the same
directory is the same wallet.

"This holder's DID" is any Ed25519 did:key whose private key is in its wallet, not only the one it
created at startup (`holder.did`): e.g. the did:key of the key authenticating the did:peer:1 it made
for a DIDComm connection, to which an issuer may bind a credential. Offers whose subject is such a
did:key are accepted, proposals whose issuer is one can be issued, and `decrypt`/`sign_presentation`
take `did=` to use one (`status()["dids"]` lists them all). Askar's native library is the one of the venv's `aries_askar` wheel
(LIB_ASKAR_PATH); the Node packages come from `./run setup` (ensure_credo).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import json
import os
import shutil
import signal
from collections import deque
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from agents.contexts import project_contexts
from testkit.ports import free_port
from testkit.policy import node20_problem, require

__all__ = ["CREDO_DIR", "CredoHolder", "CredoHolderError", "credo_problem", "require_credo"]

CREDO_DIR = Path(__file__).resolve().parent / "credo"
HOLDER_SCRIPT = CREDO_DIR / "holder.mjs"
_NEEDED = (
    "@credo-ts/core/package.json",
    "@credo-ts/node/package.json",
    "@credo-ts/askar/package.json",
    "@credo-ts/openid4vc/package.json",
    "@openwallet-foundation/askar-nodejs/package.json",
    "@2060.io/ffi-napi/build/Release/ffi_bindings.node",
    "@2060.io/ref-napi/build/Release/binding.node",
)


def askar_library_dir() -> Path | None:
    """The directory of the venv's libaries_askar.so (from the aries_askar wheel ACA-Py uses)."""
    spec = importlib.util.find_spec("aries_askar")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        if (Path(location) / "libaries_askar.so").is_file():
            return Path(location)
    return None


def credo_problem() -> str | None:
    """Why the Credo holder cannot run here, or None when it can."""
    problem = node20_problem("the Credo wallet")
    if problem:
        return problem
    for needed in _NEEDED:
        if not (CREDO_DIR / "node_modules" / needed).exists():
            return f"node_modules/{needed} missing in {CREDO_DIR}: run ./run setup (ensure_credo)"
    if askar_library_dir() is None:
        return "libaries_askar.so not found in the venv's aries_askar package"
    return None


def require_credo() -> None:
    """Skip locally, fail under CI=true, when the Credo holder cannot run."""
    problem = credo_problem()
    require(problem is None, problem or "")


class CredoHolderError(RuntimeError):
    """The holder failed to start, or its control API answered with an error."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class CredoHolder:
    """One running holder process and a client of its control API."""

    def __init__(self, process: asyncio.subprocess.Process, ready: Mapping[str, Any], stderr_tail: deque[str]):
        self.process = process
        self.control_url: str = ready["control"]
        self.did: str = ready["did"]
        self.endpoint: str = ready["endpoint"]
        self._stderr_tail = stderr_tail
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    @contextlib.asynccontextmanager
    async def start(
        cls,
        data_dir: Path,
        *,
        label: str = "Credo holder",
        auto_present: bool = False,
        timeout: float = 60.0,
        log_level: str = "warn",
        log_path: Path | None = None,
        mediator_invitation: str | None = None,
    ) -> AsyncIterator[CredoHolder]:
        """Start the holder on free loopback ports, wait for its ready line, stop it on exit.

        With `mediator_invitation` (a mediator's OOB invitation URL) the wallet is mediated, as a
        phone is: no inbound port at all, mediation granted and its pickup WebSocket open before it is
        ready, and `endpoint` is the mediator's."""
        problem = credo_problem()
        if problem:
            raise CredoHolderError(problem)
        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            shutil.which("node") or "node", str(HOLDER_SCRIPT),
            "--control-port", str(free_port()),
            *(("--mediator-invitation", mediator_invitation) if mediator_invitation else ("--inbound-port", str(free_port()))),
            "--data", str(data_dir),
            "--label", label,
            "--log-level", log_level,
        ]
        for url, context in project_contexts().items():
            argv += ["--context", f"{url}={_context_file(data_dir, url, context.document())}"]
        if auto_present:
            argv.append("--auto-present")
        env = {**os.environ, "LIB_ASKAR_PATH": str(askar_library_dir())}
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=CREDO_DIR, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        tail: deque[str] = deque(maxlen=40)
        drain = asyncio.create_task(_drain(process.stderr, tail, log_path))
        holder = None
        try:
            ready = await _ready_line(process, timeout, tail)
            holder = cls(process, ready, tail)
            yield holder
        finally:
            if holder is not None:
                await holder.close()
            await _stop(process)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(drain, 5)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr_tail)

    # -- control API -------------------------------------------------------------------------
    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None, *, timeout: float = 60.0) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.request(
                method, self.control_url + path, json=body, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                text = await response.text()
                try:
                    payload = json.loads(text) if text else None
                except json.JSONDecodeError:
                    payload = {"error": text[:300]}
                if response.status >= 400:
                    reason = payload.get("error") if isinstance(payload, dict) else None
                    raise CredoHolderError(f"{method} {path}: {response.status} {reason or text[:300]}", status=response.status)
                return payload
        except aiohttp.ClientError as e:
            raise CredoHolderError(f"{method} {path}: {e}; holder stderr:\n{self.stderr_tail()}") from None

    async def status(self) -> dict[str, Any]:
        """{did, keyAgreement (X25519 multibase z6LS... of `did`), label, endpoint, dids}: `did` is the
        startup did:key, `dids` the did:key of every Ed25519 key in the wallet (`did` first)."""
        return await self._call("GET", "/status")

    async def key_agreement(self) -> str:
        return (await self.status())["keyAgreement"]

    async def dids(self) -> list[str]:
        """Every did:key this wallet can sign and decrypt for (the startup one first)."""
        return (await self.status())["dids"]

    async def receive_invitation(self, url: str, *, timeout: float = 20.0) -> str:
        """Accept an out-of-band invitation URL; returns the connection id once completed."""
        body = await self._call("POST", "/invitations", {"url": url, "timeout": timeout}, timeout=timeout + 10)
        return body["connectionId"]

    async def connections(self) -> list[dict[str, Any]]:
        return await self._call("GET", "/connections")

    async def credentials(self) -> list[dict[str, Any]]:
        """The W3C credentials held, as JSON."""
        return await self._call("GET", "/credentials")

    async def credential_exchanges(self) -> list[dict[str, Any]]:
        """Every issue-credential exchange: [{id, role, state, threadId, connectionId, errorMessage}]."""
        return await self._call("GET", "/credential-exchanges")

    async def proof_exchanges(self) -> list[dict[str, Any]]:
        """Every present-proof exchange: [{id, role, state, threadId, connectionId, errorMessage}]."""
        return await self._call("GET", "/proof-exchanges")

    async def proof_requests(self) -> list[dict[str, Any]]:
        """Pending DIF requests: [{id, connectionId, presentationDefinition, options}]."""
        return await self._call("GET", "/proof-requests")

    async def accept_proof_request(self, request_id: str) -> str:
        """Present what Credo selects for the request; returns the exchange's state."""
        return (await self._call("POST", f"/proof-requests/{request_id}/accept", {}))["state"]

    async def credential_proposals(self) -> list[dict[str, Any]]:
        """Proposals received as issuer: [{id, connectionId, credential, options, issuerHeld}];
        `issuerHeld`: the credential's issuer is a did:key whose key this wallet holds (else accepting fails, 422)."""
        return await self._call("GET", "/credential-proposals")

    async def accept_credential_proposal(
        self, proposal_id: str, *, credential: Mapping[str, Any] | None = None, timeout: float = 30.0
    ) -> dict[str, Any]:
        """Offer what was proposed (or `credential` instead), sign it on request: {state, credential}."""
        body: dict[str, Any] = {"timeout": timeout}
        if credential is not None:
            body["credential"] = dict(credential)
        return await self._call("POST", f"/credential-proposals/{proposal_id}/accept", body, timeout=timeout + 10)

    async def sign_presentation(
        self,
        presentation: Mapping[str, Any],
        *,
        challenge: str,
        domain: str | None = None,
        proof_type: str | None = None,
        did: str | None = None,
    ) -> dict[str, Any]:
        """The presentation signed for authentication by `did` (default: its `holder`, else the startup
        DID), a did:key whose key the wallet holds; `holder` is set to the signer when absent."""
        body: dict[str, Any] = {"presentation": dict(presentation), "challenge": challenge}
        if did is not None:
            body["did"] = did
        if domain is not None:
            body["domain"] = domain
        if proof_type is not None:
            body["proofType"] = proof_type
        return await self._call("POST", "/sign-presentation", body)

    # -- OpenID for VC ------------------------------------------------------------------------
    async def accept_oid4vci_offer(self, offer_uri: str, *, pin: str | None = None, binding: str = "jwk",
                                   timeout: float = 60.0) -> list[dict[str, Any]]:
        """Take an OpenID4VCI credential offer (pre-authorized code, with the PIN the person was
        shown) and store what it yields: [{id, compact, header, claims}], one per SD-JWT VC. `binding`:
        "jwk" (a fresh key of the wallet) or "did" (its startup did:key)."""
        body: dict[str, Any] = {"offerUri": offer_uri, "binding": binding}
        if pin is not None:
            body["pin"] = pin
        return (await self._call("POST", "/oid4vci/accept", body, timeout=timeout))["credentials"]

    async def sd_jwt_vcs(self) -> list[dict[str, Any]]:
        """The SD-JWT VCs held: [{id, compact, header, claims}] (claims with every disclosure in place)."""
        return await self._call("GET", "/sd-jwt-vcs")

    async def present_oid4vp(self, request_uri: str, *, timeout: float = 60.0) -> dict[str, Any]:
        """Answer an OpenID4VP authorization request with the held credentials it asks for:
        {clientId, status, body (the verifier's answer), submitted (vp_token, presentation_submission, state)}."""
        return await self._call("POST", "/oid4vp/present", {"requestUri": request_uri}, timeout=timeout)

    async def decrypt(self, jwe: Mapping[str, Any] | bytes | str, *, did: str | None = None) -> bytes:
        """The plaintext of a JWE (general JSON serialization) addressed to the X25519 form of a key this
        holder holds: `did`'s if given; else a did:key a recipient's kid names (DID URL), then the startup DID's."""
        return (await self.decrypt_with(jwe, did=did))[0]

    async def decrypt_with(self, jwe: Mapping[str, Any] | bytes | str, *, did: str | None = None) -> tuple[bytes, str]:
        """As `decrypt`, also naming the did:key whose key opened it."""
        if isinstance(jwe, (bytes, str)):
            jwe = json.loads(jwe)
        request: dict[str, Any] = {"jwe": dict(jwe)}
        if did is not None:
            request["did"] = did
        body = await self._call("POST", "/decrypt", request)
        return base64.b64decode(body["plaintext_b64"]), body["did"]


def _context_file(data_dir: Path, url: str, document: Mapping[str, Any]) -> Path:
    name = "".join(c if c.isalnum() else "_" for c in url)[-80:] + ".jsonld"
    path = data_dir / "contexts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


async def _drain(stream: asyncio.StreamReader | None, tail: deque[str], log_path: Path | None) -> None:
    if stream is None:
        return
    log = open(log_path, "a", encoding="utf-8") if log_path else None
    try:
        while line := await stream.readline():
            text = line.decode("utf-8", "replace").rstrip("\n")
            tail.append(text)
            if log:
                log.write(text + "\n")
                log.flush()
    finally:
        if log:
            log.close()


async def _ready_line(process: asyncio.subprocess.Process, timeout: float, tail: deque[str]) -> dict[str, Any]:
    assert process.stdout is not None

    def failure(reason: str) -> CredoHolderError:
        return CredoHolderError(f"Credo holder {reason}; stderr tail:\n" + "\n".join(tail))

    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
    except TimeoutError:
        raise failure(f"not ready within {timeout:.0f} s") from None
    if not line:
        await asyncio.sleep(0.2)  # let the stderr drain catch the reason
        code = await _exit_code(process)
        raise failure(f"exited before it was ready (exit code {code})")
    try:
        ready = json.loads(line)
    except json.JSONDecodeError:
        raise failure(f"printed something other than its ready line: {line[:200]!r}") from None
    if not isinstance(ready, dict) or ready.get("ready") is not True:
        raise failure(f"printed an unexpected ready line: {ready!r}")
    return ready


async def _exit_code(process: asyncio.subprocess.Process) -> int | None:
    try:
        return await asyncio.wait_for(process.wait(), 2)
    except TimeoutError:
        return None


async def _stop(process: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
