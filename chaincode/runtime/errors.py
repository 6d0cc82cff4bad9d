"""Exceptions raised by the chaincode runtime and meant to be raised by contracts."""

from __future__ import annotations


class ContractError(Exception):
    """A transaction failure whose message is meant for the client (becomes a status 500 response)."""


class PeerError(Exception):
    """The peer answered a chaincode request with ERROR; the message is the peer's reason."""


class ProtocolError(Exception):
    """The peer broke the shim protocol (unexpected message type or undecodable payload)."""
