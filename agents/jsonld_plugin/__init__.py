"""ACA-Py plugin (`--plugin agents.jsonld_plugin`): the project's JSON-LD contexts, offline only.

Two steps, because the conductor binds its own `DocumentLoader` after plugins are set up:
1. `setup` seeds the agent cache with the project's contexts, so the core loader already serves
   them from the first request on;
2. on the STARTUP event the core loader is replaced by `OfflineDocumentLoader`, which also refuses
   every unknown context instead of fetching it.
`GET /emissions/jsonld` (admin API, see routes.py) reports whether step 2 happened; the agent
supervisor waits for it, so no caller ever meets the agent before the network path is closed.
"""

from __future__ import annotations

import logging

from acapy_agent.cache.base import BaseCache
from acapy_agent.config.injection_context import InjectionContext
from acapy_agent.core.event_bus import Event, EventBus
from acapy_agent.core.profile import Profile
from acapy_agent.core.util import STARTUP_EVENT_PATTERN
from acapy_agent.vc.ld_proofs.document_loader import DocumentLoader

from agents.contexts import context_document, project_contexts
from agents.jsonld_plugin.loader import OfflineDocumentLoader, UnknownContextError, remote_document

__all__ = ["setup", "OfflineDocumentLoader", "UnknownContextError", "CACHE_KEY_PREFIX"]

LOGGER = logging.getLogger(__name__)
# The key format of acapy_agent.vc.ld_proofs.document_loader.DocumentLoader.load_document.
CACHE_KEY_PREFIX = "json_ld_document_resolver::"


def _documents() -> dict[str, dict]:
    return {url: context_document(url) for url in project_contexts()}


async def setup(context: InjectionContext) -> None:
    cache = context.inject_or(BaseCache)
    if cache is not None:
        for url, document in _documents().items():
            # No TTL: the entry must outlive the core loader's 300 s cache lifetime.
            await cache.set(CACHE_KEY_PREFIX + url, remote_document(url, document))
    event_bus = context.inject(EventBus)
    event_bus.subscribe(STARTUP_EVENT_PATTERN, _on_startup)


async def _on_startup(profile: Profile, event: Event) -> None:
    loader = OfflineDocumentLoader(profile, _documents())
    profile.context.injector.bind_instance(DocumentLoader, loader)
    LOGGER.info("offline JSON-LD loader bound; serving %d project context(s)", len(project_contexts()))


def offline_loader_bound(profile: Profile) -> bool:
    return isinstance(profile.inject_or(DocumentLoader), OfflineDocumentLoader)
