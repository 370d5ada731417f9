"""The node's gRPC server: the sequencer service, the standard health service, reflection.

Health (``grpc.health.v1``) answers NOT_SERVING for the overall server and for
``chaindomain.protocol.v1.SequencerService`` until the node says it is ready (the reader
has caught up with the chain), then SERVING.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from node_runtime.tls import ServerTls, bind_grpc
from protocol.v1 import sequencer_pb2 as pb
from protocol.v1 import sequencer_pb2_grpc as pb_grpc
from sequencer_chain.api.service import SequencerService

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["SequencerService"].full_name
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""Above the largest valid request, so an oversized one gets the typed TOO_LARGE answer."""


class ApiServer:
    """A started grpc.aio server; ``port`` is the bound port."""

    def __init__(
        self,
        service: SequencerService,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ServerTls | None = None,
    ):
        """With ``tls`` the API serves only TLS: the members' bearer tokens never cross
        the network in clear."""
        self.service = service
        self.tls = tls
        self.host = host
        self.requested_port = port
        self.port = 0
        self.health = health.aio.HealthServicer()
        self._server: grpc.aio.Server | None = None

    async def start(self) -> int:
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                # Members ping idle subscriptions every 20 s (node_runtime.member.client).
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
            ],
        )
        pb_grpc.add_SequencerServiceServicer_to_server(self.service, server)  # type: ignore[no-untyped-call]
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            (
                SERVICE_NAME,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            server,
        )
        self.port = bind_grpc(server, f"{self.host}:{self.requested_port}", self.tls)
        if self.port == 0:
            raise OSError(f"cannot bind {self.host}:{self.requested_port}")
        await self.set_serving(False)
        await server.start()
        self._server = server
        return self.port

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await self.health.set("", status)
        await self.health.set(SERVICE_NAME, status)

    async def stop(self, grace_s: float = 1.0) -> None:
        if self._server is not None:
            await self.health.enter_graceful_shutdown()
            await self._server.stop(grace_s)
            self._server = None
