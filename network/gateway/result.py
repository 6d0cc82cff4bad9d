"""Transaction results: the chaincode's response payload, with decoding helpers."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["Result"]


class Result(bytes):
    """Bytes returned by a transaction function; `.json()` and `.text()` decode the usual cases."""

    def text(self) -> str:
        return self.decode("utf-8")

    def json(self) -> Any:
        if not self:
            raise ValueError("transaction returned an empty result, not JSON")
        return json.loads(self)
