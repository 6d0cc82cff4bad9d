"""`WebhookEvent`: one ACA-Py webhook delivery, and how to tell which record and state it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["WebhookEvent", "record_id_of", "state_rank", "ENDED_STATES", "FAILURE_STATES"]

# Which payload key identifies the record, per topic.
_ID_KEYS = {
    "connections": "connection_id",
    "out_of_band": "oob_id",
    "issue_credential_v2_0": "cred_ex_id",
    "issue_credential_v2_0_ld_proof": "cred_ex_id",
    "present_proof_v2_0": "pres_ex_id",
    "problem_report": "thread_id",
    "basicmessages": "message_id",
}

# Forward order of states, for ordering deliveries that carry no usable timestamp.
_ORDER = {
    "connections": ("invitation", "request", "response", "active", "completed"),
    "out_of_band": ("initial", "await-response", "prepare-response", "done"),
    "issue_credential_v2_0": (
        ("proposal-sent", "proposal-received"),
        ("offer-sent", "offer-received"),
        ("request-sent", "request-received"),
        ("credential-issued", "credential-received"),
        ("done",),
        ("credential-revoked",),
    ),
    "present_proof_v2_0": (
        ("proposal-sent", "proposal-received"),
        ("request-sent", "request-received"),
        ("presentation-sent", "presentation-received"),
        ("done",),
    ),
}
FAILURE_STATES = frozenset({"abandoned", "error", "declined"})
# What a caller waiting on an exchange treats as its end: a failure, or the record deleted.
ENDED_STATES = FAILURE_STATES | {"deleted"}
_FINAL = ("abandoned", "error", "declined", "deleted")


def record_id_of(topic: str, payload: dict[str, Any]) -> str | None:
    key = _ID_KEYS.get(topic)
    if key and payload.get(key):
        return str(payload[key])
    if topic == "problem_report":
        thread = payload.get("~thread") or {}
        return thread.get("thid") or payload.get("@id")
    for k, v in payload.items():  # unknown topic: its own "<thing>_id"
        if k.endswith("_id") and isinstance(v, str) and v:
            return v
    return None


def state_rank(topic: str, state: str | None) -> int | None:
    """Position of `state` in the topic's forward order; None when unknown (never considered stale)."""
    if state is None:
        return None
    if state in _FINAL:
        return 1000
    for i, step in enumerate(_ORDER.get(topic, ())):
        if state == step or (isinstance(step, tuple) and state in step):
            return i
    return None


@dataclass(frozen=True)
class WebhookEvent:
    topic: str
    record_id: str | None
    state: str | None
    payload: dict[str, Any] = field(repr=False)
    # The sub-wallet the event belongs to, on a multitenant agent (its `x-wallet-id` header).
    wallet_id: str | None = None

    @property
    def updated_at(self) -> str | None:
        value = self.payload.get("updated_at")
        return value if isinstance(value, str) else None

    @property
    def failed(self) -> bool:
        return self.state in FAILURE_STATES

    @property
    def error_msg(self) -> str | None:
        if self.payload.get("error_msg"):
            return str(self.payload["error_msg"])
        description = self.payload.get("description")  # problem_report payloads
        if isinstance(description, dict):
            return description.get("en") or description.get("code")
        return None

    @classmethod
    def parse(cls, topic: str, payload: dict[str, Any], wallet_id: str | None = None) -> WebhookEvent:
        state = payload.get("state")
        return cls(topic, record_id_of(topic, payload), state if isinstance(state, str) else None, payload,
                   wallet_id or None)
