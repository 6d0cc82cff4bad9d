"""Errors of the Gateway client: which step failed, the gRPC status, and each endpoint's detail."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import transaction_pb2
from google.protobuf.message import DecodeError
from google.rpc import status_pb2

__all__ = [
    "ErrorDetail",
    "GatewayError",
    "EvaluateError",
    "EndorseError",
    "SubmitError",
    "CommitStatusError",
    "ChaincodeEventsError",
    "CommitError",
    "error_details",
    "from_rpc_error",
    "validation_code_name",
]

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class ErrorDetail:
    """One endorser's or orderer's part of a failure (gateway.ErrorDetail)."""

    address: str
    msp_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.msp_id or '?'} at {self.address or '?'}: {self.message}"


class GatewayError(Exception):
    """A Gateway call failed. `step` names the call ("evaluate", "endorse", "submit",
    "commit_status", "chaincode_events", "commit"); `code` is the gRPC status code (None when the
    failure is not a gRPC one); `details` are the endpoints' reports from the gateway."""

    step: str = "gateway"

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        details: tuple[ErrorDetail, ...] = (),
        transaction_id: str | None = None,
        step: str | None = None,
    ) -> None:
        if step is not None:
            self.step = step
        self.code = code
        self.details = tuple(details)
        self.transaction_id = transaction_id
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" for transaction {self.transaction_id}" if self.transaction_id else ""
        code = f" ({self.code.name})" if self.code is not None else ""
        text = f"{self.step} failed{where}{code}: {self.message}"
        if self.details:
            text += "; " + "; ".join(str(d) for d in self.details)
        return text


class EvaluateError(GatewayError):
    step = "evaluate"


class EndorseError(GatewayError):
    step = "endorse"


class SubmitError(GatewayError):
    step = "submit"


class CommitStatusError(GatewayError):
    step = "commit_status"


class ChaincodeEventsError(GatewayError):
    step = "chaincode_events"


def validation_code_name(code: int) -> str:
    try:
        return transaction_pb2.TxValidationCode.Name(code)
    except ValueError:
        return f"UNKNOWN_VALIDATION_CODE_{code}"


class CommitError(GatewayError):
    """The transaction was ordered but committed as invalid (its writes and events were dropped)."""

    step = "commit"

    def __init__(self, transaction_id: str, validation_code: int, block_number: int) -> None:
        self.validation_code = validation_code
        self.validation_code_name = validation_code_name(validation_code)
        self.block_number = block_number
        super().__init__(
            f"committed in block {block_number} with status {self.validation_code_name} ({validation_code})",
            transaction_id=transaction_id,
        )


def error_details(metadata) -> tuple[ErrorDetail, ...]:
    """gateway.ErrorDetail entries from `grpc-status-details-bin` (a google.rpc.Status) in trailers."""
    found: list[ErrorDetail] = []
    for key, value in metadata or ():
        if key != _STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status()
        try:
            status.ParseFromString(value if isinstance(value, bytes) else value.encode())
        except DecodeError:
            continue
        for detail in status.details:
            message = gateway_pb2.ErrorDetail()
            if detail.Is(gateway_pb2.ErrorDetail.DESCRIPTOR) and detail.Unpack(message):
                found.append(ErrorDetail(message.address, message.msp_id, message.message))
    return tuple(found)


def from_rpc_error(
    error_type: type[GatewayError], error: grpc.aio.AioRpcError | grpc.RpcError, transaction_id: str | None
) -> GatewayError:
    code = error.code() if callable(getattr(error, "code", None)) else None
    message = error.details() if callable(getattr(error, "details", None)) else str(error)
    trailers = error.trailing_metadata() if callable(getattr(error, "trailing_metadata", None)) else None
    return error_type(message or "", code=code, details=error_details(trailers), transaction_id=transaction_id)
