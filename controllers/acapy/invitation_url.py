"""An out-of-band invitation as the link a person pastes or scans: `<endpoint>?oob=<base64url JSON>`.

ACA-Py makes the same link (`Invitation.invitation_url`); this builds it from the invitation alone,
for a caller that kept only the invitation. The endpoint is the first service's `serviceEndpoint`:
an inline service's, or the one a `did:peer:2` service names inside the DID itself (what ACA-Py puts
in an invitation made with `use_did_method="did:peer:2"`). Without either, the link starts with
`didcomm://invite`, which a wallet reads just the same (only the `oob` part matters to it).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

__all__ = ["invitation_url"]

_FALLBACK = "didcomm://invite"


def invitation_url(invitation: Mapping[str, Any]) -> str:
    """The invitation's link: its agent's endpoint with `?oob=` and the invitation as unpadded base64url JSON."""
    if not isinstance(invitation, Mapping) or "invitation" not in str(invitation.get("@type", "")):
        raise ValueError("not an out-of-band invitation")
    encoded = base64.urlsafe_b64encode(json.dumps(dict(invitation), separators=(",", ":")).encode("utf-8"))
    oob = encoded.decode("ascii").rstrip("=")
    endpoint = _endpoint(invitation.get("services"))
    if endpoint is None:
        return f"{_FALLBACK}?oob={oob}"
    # As ACA-Py does (InvitationMessage.to_url): the query replaces any the endpoint had.
    return urljoin(endpoint, f"?oob={oob}")


def _endpoint(services: Any) -> str | None:
    if not isinstance(services, list) or not services:
        return None
    first = services[0]
    if isinstance(first, Mapping):
        return _uri(first.get("serviceEndpoint"))
    if isinstance(first, str) and first.startswith("did:peer:2"):
        return _peer2_endpoint(first)
    return None


def _peer2_endpoint(did: str) -> str | None:
    """The endpoint of the first service encoded in a did:peer:2 (`.S<base64url JSON>`, keys abbreviated)."""
    for element in did.split(".")[1:]:
        if not element.startswith("S"):
            continue
        data = element[1:]
        try:
            service = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        except (binascii.Error, ValueError):
            continue
        if isinstance(service, list):
            service = service[0] if service else None
        if isinstance(service, Mapping):
            found = _uri(service.get("s", service.get("serviceEndpoint")))
            if found:
                return found
    return None


def _uri(endpoint: Any) -> str | None:
    if isinstance(endpoint, Mapping):  # DIDCommMessaging: {"uri": ..., "accept": [...], "routingKeys": [...]}
        endpoint = endpoint.get("uri")
    return endpoint if isinstance(endpoint, str) and "://" in endpoint else None
