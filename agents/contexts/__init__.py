"""The project's JSON-LD contexts, served offline by `agents.jsonld_plugin`.

One context, versioned in its URL, defines every claim of the three credential types (VCDM 1.1).
The URL is a name, never fetched: agents get the document from this package, and a change to any
term's meaning means a new file under a new URL (`.../v2`), never an edit of v1, because signed
credentials stay bound to the exact expansion they were signed under.

Typing rules: amounts (kWh, tCO2e, factors) are JSON strings typed `xsd:decimal`, so no binary
float ever touches them; dates are `xsd:date`, instants `xsd:dateTime`; block numbers are strings
of digits typed `xsd:nonNegativeInteger`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "CONTEXT_URL",
    "VOCAB",
    "CREDENTIAL_TYPES",
    "type_iri",
    "JsonLdContext",
    "project_contexts",
    "context_document",
]

CONTEXT_URL = "https://w3id.org/utility-emissions/v1"
# Terms expand to `<VOCAB><Term>`; DIF input descriptors match credential types by these IRIs.
VOCAB = CONTEXT_URL + "#"
CREDENTIAL_TYPES = ("UtilityAccountCredential", "DataAccessConsentCredential", "UtilityEmissionsCredential")


def type_iri(credential_type: str) -> str:
    """The expanded IRI of one of the project's credential types (for DIF `schema` lists)."""
    if credential_type not in CREDENTIAL_TYPES:
        raise ValueError(f"unknown credential type {credential_type!r}; expected one of {', '.join(CREDENTIAL_TYPES)}")
    return VOCAB + credential_type


@dataclass(frozen=True)
class JsonLdContext:
    url: str
    filename: str

    def document(self) -> dict[str, Any]:
        """A fresh copy of the context document (callers may not mutate a shared one)."""
        return json.loads(_read(self.filename))


_CONTEXTS = (JsonLdContext(CONTEXT_URL, "utility-emissions-v1.jsonld"),)


def project_contexts() -> Mapping[str, JsonLdContext]:
    """Every context this project serves, by URL."""
    return MappingProxyType({c.url: c for c in _CONTEXTS})


def context_document(url: str) -> dict[str, Any]:
    try:
        return project_contexts()[url].document()
    except KeyError:
        raise KeyError(f"{url} is not one of the project's JSON-LD contexts") from None


@cache
def _read(filename: str) -> str:
    return (resources.files(__name__) / filename).read_text(encoding="utf-8")
