"""What a chaincode answers for one transaction: status, message, payload.

The peer endorses a result only when its status is below 400 (ERROR_THRESHOLD); 500 is the
conventional status for a chaincode error.
"""

from __future__ import annotations

from dataclasses import dataclass

from fabric_protos.peer import proposal_response_pb2

OK = 200
ERROR_THRESHOLD = 400
ERROR = 500


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    message: str = ""
    payload: bytes = b""

    def __post_init__(self) -> None:
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise TypeError(f"response status must be an int, got {type(self.status).__name__}")
        if not isinstance(self.payload, bytes):
            raise TypeError(f"response payload must be bytes, got {type(self.payload).__name__}")

    @property
    def ok(self) -> bool:
        return self.status < ERROR_THRESHOLD

    def to_proto(self) -> proposal_response_pb2.Response:
        return proposal_response_pb2.Response(status=self.status, message=self.message, payload=self.payload)

    @classmethod
    def from_proto(cls, proto: proposal_response_pb2.Response) -> Response:
        return cls(status=proto.status, message=proto.message, payload=bytes(proto.payload))


def success(payload: bytes = b"", message: str = "") -> Response:
    return Response(OK, message, payload)


def error(message: str, status: int = ERROR) -> Response:
    if status < ERROR_THRESHOLD:
        raise ValueError(f"an error response needs a status >= {ERROR_THRESHOLD}, got {status}")
    return Response(status, message)
