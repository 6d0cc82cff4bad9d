"""The closed, offline JSON-LD document loader of the proof workers (worker processes only).

It answers from memory and nothing else: the few contexts the project's credentials and
presentations use, and the DID documents of Ed25519 did:keys, which are built from the DID
itself (ACA-Py's own did:key document builder, so the document is the one the agents resolve).
Every other URL or DID is refused without any network access: a verdict must not depend on who
answers at some address today, and a verifier that dereferences what a credential names can be
made to open connections anywhere (did:web:127.0.0.1%3A<port> was enough for the agent).

A refusal is remembered (`refused`), because ACA-Py's verifiers turn every exception into
"verified: false" plus a message; the checker reads the memory, not the message, to answer
with its one neutral reason. Any other failure in here is our fault, remembered in `faults`.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

from acapy_agent.did.did_key import DIDKey
from acapy_agent.wallet.key_type import ED25519

from agents.contexts import context_document, project_contexts
from controllers.acapy.did_key import is_ed25519_did_key

__all__ = ["CONTEXT", "DID", "OfflineLoader", "Refused"]

CONTEXT = "context"
DID = "did"

# ACA-Py's bundled copies (the ones its own agents serve offline), by URL. Only these: the
# credentials v2, status list, BBS and citizenship contexts are no part of this project.
_BUNDLED = {
    "https://www.w3.org/2018/credentials/v1": "credentials_context.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-2020-context.jsonld",
    # The suites frame verification methods and controllers with security v2 (which imports v1).
    "https://w3id.org/security/v1": "security-v1-context.jsonld",
    "https://w3id.org/security/v2": "security-v2-context.jsonld",
    # did:key documents.
    "https://www.w3.org/ns/did/v1": "did_documents_context.jsonld",
    # ACA-Py's DIF presentations (present-proof v2) carry a presentation_submission.
    "https://identity.foundation/presentation-exchange/submission/v1": "dif-presentation-exchange-submission-v1.jsonld",
}


class Refused(LookupError):
    """A URL or DID this loader does not serve (`kind`: CONTEXT or DID)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"not served offline ({kind})")
        self.kind = kind


def _contexts() -> dict[str, dict[str, Any]]:
    package = resources.files("acapy_agent.vc.ld_proofs.resources")
    served = {url: json.loads((package / name).read_text(encoding="utf-8")) for url, name in _BUNDLED.items()}
    served.update({url: context_document(url) for url in project_contexts()})
    return served


class OfflineLoader:
    """A pyld document loader (`loader(url, options)`); one per check, for its memory."""

    _served: dict[str, dict[str, Any]] | None = None

    def __init__(self) -> None:
        if OfflineLoader._served is None:
            OfflineLoader._served = _contexts()
        self.refused: list[str] = []
        self.faults: list[BaseException] = []

    def __call__(self, url: str, options: dict | None = None) -> dict[str, Any]:
        try:
            return self._load(url)
        except Refused as refusal:
            self.refused.append(refusal.kind)
            raise
        except Exception as exc:
            self.faults.append(exc)
            raise

    def _load(self, url: str) -> dict[str, Any]:
        assert OfflineLoader._served is not None
        if url.startswith("did:"):
            return _remote(url, self._did_document(url))
        if url in OfflineLoader._served:
            # pyld may annotate what it is handed: each caller gets its own copy.
            return _remote(url, copy.deepcopy(OfflineLoader._served[url]))
        raise Refused(CONTEXT)

    @staticmethod
    def _did_document(url: str) -> dict[str, Any]:
        did = url.split("#", 1)[0].split("?", 1)[0].split("/", 1)[0]
        if not is_ed25519_did_key(did):
            raise Refused(DID)
        try:
            key = DIDKey.from_did(did)
            if key.key_type != ED25519:
                raise Refused(DID)
            return key.did_doc
        except Refused:
            raise
        except Exception:
            # Well-formed bytes that are no Ed25519 point (the X25519 key derived for
            # keyAgreement cannot be computed): a DID nobody can check, not our failure.
            raise Refused(DID) from None


def _remote(url: str, document: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": document}
