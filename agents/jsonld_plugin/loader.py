"""A JSON-LD document loader that never reaches for the network.

ACA-Py's own loader serves a handful of well-known contexts from files and fetches every other URL
over HTTP. On an agent of this project an unknown context is a mistake (a typo, or a credential from
somewhere we do not trust to define our terms), and a network fetch would make a signature check
depend on whoever answers at that URL today. So: the project's contexts and ACA-Py's bundled ones are
served from memory, and anything else fails naming the URL. DIDs go to the resolver only when
they are did:key, which needs no network: a credential naming a did:web issuer would otherwise make
the agent connect to whatever host and port that DID names (and tell open ports from closed ones).
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from acapy_agent.core.profile import Profile
from acapy_agent.vc.ld_proofs.document_downloader import StaticCacheJsonLdDownloader
from acapy_agent.vc.ld_proofs.document_loader import DocumentLoader
from pyld.jsonld import JsonLdError

__all__ = ["OfflineDocumentLoader", "UnknownContextError", "UnresolvedDidError", "remote_document"]


class UnknownContextError(JsonLdError):
    """Raised for a context URL this agent does not serve offline."""

    def __init__(self, url: str, served: list[str]) -> None:
        self.url = url
        super().__init__(
            f"JSON-LD context {url} is not served offline by this agent and will not be fetched from the "
            f"network; served contexts: {', '.join(served)}",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading document failed",
        )


class UnresolvedDidError(JsonLdError):
    """Raised for a DID this agent does not resolve (anything but did:key); one neutral message."""

    def __init__(self) -> None:
        super().__init__("this agent resolves only did:key DIDs for linked-data proofs",
                         "jsonld.LoadDocumentError", {}, code="loading document failed")


def remote_document(url: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """The RemoteDocument shape pyld expects from a loader."""
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": dict(document)}


class OfflineDocumentLoader(DocumentLoader):
    """ACA-Py's loader with the one network path (`_load_http_document`) closed."""

    def __init__(self, profile: Profile, documents: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(profile)
        self._documents = {url: remote_document(url, doc) for url, doc in documents.items()}
        self._bundled = frozenset(StaticCacheJsonLdDownloader.CONTEXT_FILE_MAPPING)

    @property
    def served_urls(self) -> list[str]:
        return sorted(self._documents) + sorted(self._bundled)

    async def _load_did_document(self, did: str, options: dict) -> dict[str, Any]:
        if not did.startswith("did:key:"):
            raise UnresolvedDidError()
        return await super()._load_did_document(did, options)

    def _load_http_document(self, url: str, options: dict) -> dict[str, Any]:
        if url in self._documents:
            # pyld may annotate what it gets back; hand out copies so the source stays pristine.
            return copy.deepcopy(self._documents[url])
        if url in self._bundled:
            return self.requests_loader(url, options)
        raise UnknownContextError(url, self.served_urls)
