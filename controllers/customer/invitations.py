"""What a person may paste as an invitation: the out-of-band invitation's URL (`...?oob=<base64url
JSON>`, what an agent shows as link and QR code), the base64url text alone, or the JSON itself."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["InvitationError", "parse_invitation", "MAX_INVITATION"]

MAX_INVITATION = 16_384  # characters; a DIDComm invitation is a few hundred


class InvitationError(ValueError):
    """Text that is not an invitation; the message says what is wrong in one sentence."""


def parse_invitation(text: str | dict[str, Any]) -> dict[str, Any]:
    """The invitation in `text`, or `text` itself checked when a script sent the JSON object."""
    if isinstance(text, dict):
        return _checked(text)
    text = (text or "").strip()
    if not text:
        raise InvitationError("Paste the invitation link or its text.")
    if len(text) > MAX_INVITATION:
        raise InvitationError("That text is far too long to be an invitation.")
    if text.startswith("{"):
        return _checked(_json(text))
    if "://" in text:
        query = parse_qs(urlsplit(text).query)
        encoded = (query.get("oob") or query.get("c_i") or [""])[0]
        if not encoded:
            raise InvitationError("That link carries no invitation (no oob= part).")
        text = encoded
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvitationError("That is neither an invitation link nor an invitation's text.") from None
    return _checked(_json(raw.decode("utf-8", errors="replace")))


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise InvitationError("That is neither an invitation link nor an invitation's text.") from None


def _checked(invitation: Any) -> dict[str, Any]:
    if not isinstance(invitation, dict) or "invitation" not in str(invitation.get("@type", "")) \
            or not invitation.get("services"):
        raise InvitationError("That is not an out-of-band invitation.")
    return invitation
