"""Where a chaincode-event listener got to, so a restarted listener neither misses nor repeats.

A checkpoint is (block number, transaction id): resume at that block, after that transaction.
After a whole block is done the checkpoint moves to the next block with no transaction id.
Same semantics as the official clients' checkpointers.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from network.gateway.events import ChaincodeEvent

__all__ = ["Checkpoint", "Checkpointer", "InMemoryCheckpointer", "FileCheckpointer"]


@runtime_checkable
class Checkpoint(Protocol):
    @property
    def block_number(self) -> int | None: ...

    @property
    def transaction_id(self) -> str | None: ...


@runtime_checkable
class Checkpointer(Checkpoint, Protocol):
    def checkpoint_block(self, block_number: int) -> None: ...

    def checkpoint_transaction(self, block_number: int, transaction_id: str) -> None: ...

    def checkpoint_chaincode_event(self, event: ChaincodeEvent) -> None: ...


@dataclass
class InMemoryCheckpointer:
    """Checkpoint kept in memory: survives reconnecting the listener, not restarting the process."""

    block_number: int | None = None
    transaction_id: str | None = None

    def checkpoint_block(self, block_number: int) -> None:
        self.block_number, self.transaction_id = block_number + 1, None

    def checkpoint_transaction(self, block_number: int, transaction_id: str) -> None:
        self.block_number, self.transaction_id = block_number, transaction_id

    def checkpoint_chaincode_event(self, event: ChaincodeEvent) -> None:
        self.checkpoint_transaction(event.block_number, event.transaction_id)


class FileCheckpointer(InMemoryCheckpointer):
    """Checkpoint persisted as JSON {"blockNumber": "12", "transactionId": "…"} (the official
    clients' file format), replaced atomically so a crash mid-write never leaves a torn file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        super().__init__()
        self._load()
        self._save()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        if not text.strip():
            return
        try:
            state = json.loads(text)
            block = state.get("blockNumber")
            transaction = state.get("transactionId")
            self.block_number = None if block is None else int(block)
            self.transaction_id = str(transaction) if transaction else None
        except (ValueError, AttributeError, TypeError) as exc:
            raise ValueError(f"{self.path}: not a checkpoint file ({exc})") from exc
        if self.block_number is not None and self.block_number < 0:
            raise ValueError(f"{self.path}: negative block number {self.block_number}")

    def _save(self) -> None:
        state: dict[str, str] = {}
        if self.block_number is not None:
            state["blockNumber"] = str(self.block_number)
        if self.transaction_id:
            state["transactionId"] = self.transaction_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def checkpoint_block(self, block_number: int) -> None:
        super().checkpoint_block(block_number)
        self._save()

    def checkpoint_transaction(self, block_number: int, transaction_id: str) -> None:
        super().checkpoint_transaction(block_number, transaction_id)
        self._save()
