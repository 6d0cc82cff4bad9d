"""gRPC errors as Fabric's gateway reports them: a status code, a message, and
`grpc-status-details-bin` carrying google.rpc.Status with gateway.ErrorDetail entries."""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from fabric_protos.gateway import gateway_pb2
from google.protobuf import any_pb2
from google.rpc import status_pb2
from grpc_status import rpc_status

__all__ = ["GatewayError", "detail"]


def detail(address: str, msp_id: str, message: str) -> gateway_pb2.ErrorDetail:
    return gateway_pb2.ErrorDetail(address=address, msp_id=msp_id, message=message)


@dataclass
class GatewayError(Exception):
    code: grpc.StatusCode
    message: str
    details: list[gateway_pb2.ErrorDetail] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message

    def rpc_status(self) -> grpc.Status:
        packed = []
        for item in self.details:
            wrapper = any_pb2.Any()
            wrapper.Pack(item)
            packed.append(wrapper)
        status = status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)
        return rpc_status.to_status(status)

    async def abort(self, context: grpc.aio.ServicerContext) -> None:
        await context.abort_with_status(self.rpc_status())
