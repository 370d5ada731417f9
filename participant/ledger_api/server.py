"""The Ledger API gRPC server: every service, health, reflection, auth and TLS.

:class:`LedgerApiServer` owns one ``grpc.aio`` server and the user store. The participant
node builds it with its :class:`~.backend.LedgerBackend`, starts it, and stops it on
shutdown::

    server = LedgerApiServer(config.ledger_api, backend, data_dir=..., base_dir=...)
    port = await server.start()
    ...
    await server.stop()

With ``[ledger_api.auth]`` every call except health, reflection and the version service
needs a bearer token (:class:`auth.AuthInterceptor`); the user store answers the rights
of audience- and scope-based tokens.
"""

from __future__ import annotations

import logging
from pathlib import Path

import grpc
import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from auth import AuthInterceptor, TokenVerifier, UserId, build_verifier
from node_runtime.logs import TraceInterceptor
from node_runtime.tls import ServerTls, bind_grpc
from participant.ledger_api.backend import BackendInfo, LedgerBackend
from participant.ledger_api.config import USERS_DB_NAME, LedgerApiConfig
from participant.ledger_api.services.access import Access
from participant.ledger_api.services.admin import (
    PackageManagementService,
    PackageService,
    PartyManagementService,
    UserManagementService,
    VersionService,
)
from participant.ledger_api.services.commands import (
    CommandCompletionService,
    CommandService,
    CommandSubmissionService,
)
from participant.ledger_api.services.reads import StateService, UpdateService
from participant.ledger_api.status import abort
from participant.ledger_api.users import UserStore
from protocol.ledger_api.v2 import (
    command_completion_service_pb2,
    command_completion_service_pb2_grpc,
    command_service_pb2,
    command_service_pb2_grpc,
    command_submission_service_pb2,
    command_submission_service_pb2_grpc,
    package_service_pb2,
    package_service_pb2_grpc,
    state_service_pb2,
    state_service_pb2_grpc,
    update_service_pb2,
    update_service_pb2_grpc,
    version_service_pb2,
    version_service_pb2_grpc,
)
from protocol.ledger_api.v2.admin import (
    package_management_service_pb2,
    package_management_service_pb2_grpc,
    party_management_service_pb2,
    party_management_service_pb2_grpc,
    user_management_service_pb2,
    user_management_service_pb2_grpc,
)
from protocol.tls import ClientTls

log = logging.getLogger(__name__)

SERVICE_NAMES: tuple[str, ...] = tuple(
    module.DESCRIPTOR.services_by_name[name].full_name
    for module, name in (
        (command_submission_service_pb2, "CommandSubmissionService"),
        (command_completion_service_pb2, "CommandCompletionService"),
        (command_service_pb2, "CommandService"),
        (update_service_pb2, "UpdateService"),
        (state_service_pb2, "StateService"),
        (package_service_pb2, "PackageService"),
        (version_service_pb2, "VersionService"),
        (party_management_service_pb2, "PartyManagementService"),
        (package_management_service_pb2, "PackageManagementService"),
        (user_management_service_pb2, "UserManagementService"),
    )
)
"""Full names of the Ledger API services (health reports each)."""


def ledger_api_tls(config: LedgerApiConfig, base_dir: Path | None) -> ServerTls | None:
    """The ``[ledger_api.tls]`` override (its own certificate, or mutual TLS for the
    Ledger API alone), read and checked; ``None`` without it."""
    if config.tls is None:
        return None
    tls = config.tls.resolved(base_dir)
    return ServerTls.load(
        tls.cert_file,
        tls.key_file,
        tls.client_ca_file,
        roles=(
            "ledger_api.tls.cert_file",
            "ledger_api.tls.key_file",
            "ledger_api.tls.client_ca_file",
        ),
    )


class LedgerApiServer:
    """The participant's Ledger API; see the module docstring."""

    def __init__(
        self,
        config: LedgerApiConfig,
        backend: LedgerBackend,
        *,
        data_dir: Path,
        base_dir: Path | None = None,
        verifier: TokenVerifier | None = None,
        info: BackendInfo | None = None,
        tls: ServerTls | None = None,
        client: ClientTls | None = None,
    ) -> None:
        """``verifier`` overrides the one built from ``config.auth`` (tests). ``tls`` is
        the node's server TLS (``[tls]``), used unless ``[ledger_api.tls]`` gives the API
        its own; ``client`` is how the JWKS is fetched."""
        self.config = config
        self.backend = backend
        self.base_dir = base_dir
        admin = config.admin_user
        self.users = UserStore(
            data_dir / USERS_DB_NAME, admin_user=UserId(admin) if admin else None
        )
        if verifier is None and config.auth is not None:
            verifier = build_verifier(
                config.auth, backend.participant_id, base_dir=base_dir, tls=client
            )
        self.verifier = verifier
        self.info = info or BackendInfo()
        self.tls = ledger_api_tls(config, base_dir) or tls
        self.health = health.aio.HealthServicer()
        self.port = 0
        self._server: grpc.aio.Server | None = None

    @property
    def secure(self) -> bool:
        return self.tls is not None

    async def start(self) -> int:
        """Bind and serve; return the bound port."""
        access = Access(enabled=self.verifier is not None)
        interceptors: list[grpc.aio.ServerInterceptor] = [TraceInterceptor()]
        if self.verifier is not None:
            interceptors.append(
                AuthInterceptor(self.verifier, rights_lookup=self.users, refuse=abort)
            )
        size = self.config.max_message_bytes
        server = grpc.aio.server(
            interceptors=interceptors,
            options=[
                ("grpc.max_receive_message_length", size),
                ("grpc.max_send_message_length", size),
            ],
        )
        backend = self.backend
        add = (
            (command_submission_service_pb2_grpc.add_CommandSubmissionServiceServicer_to_server,
             CommandSubmissionService(backend, access)),
            (command_completion_service_pb2_grpc.add_CommandCompletionServiceServicer_to_server,
             CommandCompletionService(backend, access)),
            (command_service_pb2_grpc.add_CommandServiceServicer_to_server,
             CommandService(backend, access, self.config.submit_and_wait_timeout_seconds)),
            (update_service_pb2_grpc.add_UpdateServiceServicer_to_server,
             UpdateService(backend, access)),
            (state_service_pb2_grpc.add_StateServiceServicer_to_server,
             StateService(backend, access)),
            (package_service_pb2_grpc.add_PackageServiceServicer_to_server,
             PackageService(backend, access)),
            (version_service_pb2_grpc.add_VersionServiceServicer_to_server,
             VersionService(self.info)),
            (party_management_service_pb2_grpc.add_PartyManagementServiceServicer_to_server,
             PartyManagementService(backend, access)),
            (package_management_service_pb2_grpc.add_PackageManagementServiceServicer_to_server,
             PackageManagementService(backend, access)),
            (user_management_service_pb2_grpc.add_UserManagementServiceServicer_to_server,
             UserManagementService(self.users, access)),
        )  # fmt: skip
        for register, servicer in add:
            register(servicer, server)  # type: ignore[no-untyped-call]
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
        reflection.enable_server_reflection(
            (*SERVICE_NAMES, health_name, reflection.SERVICE_NAME), server
        )
        address = f"{self.config.host}:{self.config.port}"
        self.port = bind_grpc(server, address, self.tls)
        if self.port == 0:
            raise OSError(f"cannot bind the Ledger API to {address}")
        await server.start()
        self._server = server
        await self.set_serving(True)
        log.info(
            "ledger api listening",
            extra={"port": self.port, "tls": self.secure, "auth": self.verifier is not None},
        )
        return self.port

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *SERVICE_NAMES):
            await self.health.set(name, status)

    async def stop(self, grace_s: float = 1.0) -> None:
        if self._server is not None:
            await self.health.enter_graceful_shutdown()
            await self._server.stop(grace_s)
            self._server = None
        if self.verifier is not None:
            await self.verifier.aclose()
        self.users.close()
