"""One proof check with ACA-Py's own verifiers, our key and our loader (worker processes only).

`verify_credential` / `verify_presentation` are the functions behind the agent's
/vc/credentials/verify and /vc/presentations/verify, with the suites the agent would pick for
an Ed25519 key (2020, and 2018 for the wallets that still sign with it) and the same proof
purposes, so a document both accept verifies the same way. What differs is around them, and only
ever refuses more: the loader is closed and offline, the key never touches a wallet, and a
proof's verification method must be the signer's own did:key (the issuer's, for a credential)
before anything is loaded at all. (The agent also runs the document through its marshmallow
model first and answers 4xx where that fails; here those documents fail in the same verifier's
own structure check, as not verified.)

ACA-Py reports every failure as "verified: false" plus messages. `ok` comes from its boolean
only; the reason is ours, one neutral sentence picked by the kind of failure (the messages quote
the document, so they are never passed on).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from typing import Any

from acapy_agent.vc.ld_proofs import Ed25519Signature2018, Ed25519Signature2020
from acapy_agent.vc.vc_ld.verify import verify_credential, verify_presentation

from controllers.acapy.did_key import is_ed25519_did_key
from controllers.verifier.proofs.documents import CONTEXT, OfflineLoader
from controllers.verifier.proofs.keys import Ed25519VerifyingKey
from controllers.verifier.proofs import reasons
from controllers.verifier.proofs.result import ProofResult, WorkerFault

__all__ = ["check_credential", "check_presentation"]


# Library messages -> our sentence; the first that matches wins. Only the wording depends on
# these: the verdict is ACA-Py's boolean.
_MESSAGES = (
    ("attributes dropped", reasons.DROPPED),
    ("challenge is not as expected", reasons.CHALLENGE),
    ("domain is not as expected", reasons.CHALLENGE),
    ("invalid structure", reasons.MALFORMED_CREDENTIAL),
    ("Invalid signature", reasons.ALTERED),
    ("proofValue", reasons.BAD_SIGNATURE_VALUE),
    ("jws", reasons.BAD_SIGNATURE_VALUE),
    ("JWS", reasons.BAD_SIGNATURE_VALUE),
    ("multibase", reasons.BAD_SIGNATURE_VALUE),
    ("Unsupported encoding", reasons.BAD_SIGNATURE_VALUE),
    ("Invalid character", reasons.BAD_SIGNATURE_VALUE),
    ("not authorized by controller", reasons.PURPOSE),
    ("issuer must match", reasons.PURPOSE),
    ("no proofs matched", reasons.NO_SUITE_PROOF),
    ("No matching proofs", reasons.NO_SUITE_PROOF),
)

_loop: asyncio.AbstractEventLoop | None = None


def _run(coroutine: Any) -> Any:
    # One loop per worker process; ACA-Py's verifiers are coroutines but never wait on I/O here.
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
    return _loop.run_until_complete(coroutine)


def _id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _own_method(did: str) -> str:
    return f"{did}#{did.removeprefix('did:key:')}"


def _suites(key: Ed25519VerifyingKey) -> list[Any]:
    return [Ed25519Signature2020(key_pair=key), Ed25519Signature2018(key_pair=key)]


def _credential_precheck(credential: Any) -> ProofResult | None:
    if not isinstance(credential, dict):
        return ProofResult(False, reasons.MALFORMED_CREDENTIAL)
    issuer = _id(credential.get("issuer"))
    if not isinstance(issuer, str):
        return ProofResult(False, reasons.MALFORMED_CREDENTIAL)
    if not is_ed25519_did_key(issuer):
        return ProofResult(False, reasons.ISSUER_NOT_CHECKABLE)
    proofs = _list(credential.get("proof"))
    if not proofs:
        return ProofResult(False, reasons.NO_CREDENTIAL_PROOF)
    # Every proof, not just one: ACA-Py accepts a document if any proof verifies, and a proof by
    # some other key beside the issuer's is nothing this project ever issues.
    if any(not isinstance(p, dict) or _id(p.get("verificationMethod")) != _own_method(issuer) for p in proofs):
        return ProofResult(False, reasons.NOT_ISSUER_KEY)
    return None


def _presentation_precheck(presentation: Any) -> ProofResult | None:
    if not isinstance(presentation, dict):
        return ProofResult(False, reasons.MALFORMED_PRESENTATION)
    proofs = _list(presentation.get("proof"))
    if not proofs:
        return ProofResult(False, reasons.NO_PRESENTATION_PROOF)
    for proof in proofs:
        method = _id(proof.get("verificationMethod")) if isinstance(proof, dict) else None
        did = method.split("#", 1)[0] if isinstance(method, str) else ""
        if not is_ed25519_did_key(did) or method != _own_method(did):
            return ProofResult(False, reasons.HOLDER_NOT_CHECKABLE)
    for credential in _list(presentation.get("verifiableCredential")):
        found = _credential_precheck(credential)
        if found is not None:
            return found
    return None


def _errors(*results: Any) -> Iterator[Any]:
    """Every error a (document or presentation) verification result holds, nested ones too."""
    for result in results:
        if result is None:
            continue
        yield from result.errors or ()
        for proof in getattr(result, "results", None) or ():
            if proof.error:
                yield proof.error
            if proof.purpose_result is not None and proof.purpose_result.error:
                yield proof.purpose_result.error
        yield from _errors(getattr(result, "presentation_result", None), *(getattr(result, "credential_results", None) or ()))


def _chain(error: Any) -> Iterator[Any]:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = (getattr(error, "cause", None) or getattr(error, "__cause__", None)
                 or getattr(error, "__context__", None)) if isinstance(error, BaseException) else None


def _reason(errors: Iterable[Any], default: str) -> str:
    # Only the head of each message: the rest quotes the document, whose text is the sender's.
    texts = [str(e)[:200] for error in errors for e in _chain(error)]
    for needle, sentence in _MESSAGES:
        if any(needle in text for text in texts):
            return sentence
    return default


def _settle(loader: OfflineLoader, key: Ed25519VerifyingKey, result: Any, *, context_reason: str,
            did_reason: str) -> ProofResult | None:
    """Our faults first (a worker fault, never a verdict), then refusals; None: ACA-Py decides."""
    faults = [*loader.faults, *key.faults]
    faults += [e for error in _errors(result) for e in _chain(error) if isinstance(e, MemoryError)]
    if faults:
        raise WorkerFault(type(faults[0]).__name__)
    if loader.refused:
        return ProofResult(False, context_reason if loader.refused[0] == CONTEXT else did_reason)
    return None


def check_credential(credential: dict[str, Any]) -> ProofResult:
    found = _credential_precheck(credential)
    if found is not None:
        return found
    loader, key = OfflineLoader(), Ed25519VerifyingKey()
    result = _run(verify_credential(credential=credential, suites=_suites(key), document_loader=loader))
    settled = _settle(loader, key, result, context_reason=reasons.CREDENTIAL_CONTEXT,
                      did_reason=reasons.ISSUER_NOT_CHECKABLE)
    if settled is not None:
        return settled
    if result.verified:
        # Named by the suite that verified (one of ours), not by whatever text the proof carries.
        suite = next(s.signature_type for s in _suites(key) for r in result.results or ()
                     if r.verified and s.match_proof((r.proof or {}).get("type")))
        return ProofResult(True, reasons.CREDENTIAL_OK.format(suite=suite))
    return ProofResult(False, _reason(_errors(result), reasons.FAILED))


def check_presentation(presentation: dict[str, Any], challenge: str) -> ProofResult:
    found = _presentation_precheck(presentation)
    if found is not None:
        return found
    loader, key = OfflineLoader(), Ed25519VerifyingKey()
    result = _run(verify_presentation(presentation=presentation, suites=_suites(key), document_loader=loader,
                                      challenge=challenge))
    settled = _settle(loader, key, result, context_reason=reasons.PRESENTATION_CONTEXT,
                      did_reason=reasons.DID_NOT_CHECKABLE)
    if settled is not None:
        return settled
    if result.verified:
        return ProofResult(True, reasons.PRESENTATION_OK)
    own = result.presentation_result
    if own is None or not own.verified:
        # No presentation result at all: the verifier refused the document before any proof.
        return ProofResult(False, _reason(_errors(result), reasons.FAILED if own else reasons.MALFORMED_PRESENTATION))
    failed = [r for r in result.credential_results or () if not r.verified]
    return ProofResult(False, _reason(_errors(*failed), reasons.FAILED))
