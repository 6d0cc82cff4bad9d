"""The one error type of MSP loading and validation."""

from __future__ import annotations

__all__ = ["MspError"]


class MspError(ValueError):
    """MSP material is missing, unreadable or untrusted; the message names the file or folder."""
