"""A domain manager node: member connection (``node_runtime.member``: subscription,
topology store, failover), onboarding store, admin gRPC server and operations endpoint in
one process (``docs/nodes.md`` §1).

:class:`DomainManagerNode` wires the parts from a :class:`DomainManagerConfig`: it opens
``domain_manager.sqlite`` and the member runtime's files (``member/``) in ``data_dir``,
decrypts the domain's root key and its own signing key, connects to the sequencers, and
serves ``DomainManagerAdmin`` behind the ``auth`` interceptor (member calls public, the
rest for admins). Approved onboardings a crash interrupted are finished once connected.
"""

from __future__ import annotations

import logging

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry

from auth import (
    DEFAULT_PUBLIC_METHODS,
    AuthInterceptor,
    ParticipantAdmin,
    UserId,
    UserRight,
    build_verifier,
)
from domain_manager.config import DomainManagerConfig
from domain_manager.errors import DomainManagerStoreError
from domain_manager.manager import DomainManager, ManagerSettings
from domain_manager.metrics import DomainManagerMetrics
from domain_manager.service import MEMBER_METHODS, SERVICE_NAME, DomainManagerAdminService
from domain_manager.store import DomainManagerStore
from domain_manager.types import Policy
from node_runtime import OpsServer
from node_runtime.lifecycle import Node, NodeParts
from node_runtime.logs import TraceInterceptor
from node_runtime.member import MemberConnection
from node_runtime.tls import client_tls, server_tls
from protocol.crypto import load_signing_key
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    member_kind,
    member_namespace,
    parse_domain_id,
    parse_member_id,
    split_unique_id,
)
from protocol.sequencer_messages import SequencedEvent
from protocol.topology import TopologyStore
from protocol.v1 import domain_manager_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

DM_DB = "domain_manager.sqlite"
MEMBER_DIR = "member"


class StaticAdmins:
    """A ``UserRightsLookup`` giving the configured user ids admin rights, nobody else any."""

    def __init__(self, users: tuple[str, ...]) -> None:
        self.users = frozenset(users)

    async def user_rights(self, user_id: UserId) -> frozenset[UserRight] | None:
        return frozenset({ParticipantAdmin()}) if user_id in self.users else None


class DomainManagerNode(Node):
    """Start with :meth:`start`, stop with :meth:`stop`; :meth:`wait` until it fails.
    The parts below are set by :meth:`start`, in this order."""

    store: DomainManagerStore
    link: MemberConnection
    topology: TopologyStore
    """The member connection's topology store (closed with it)."""
    manager: DomainManager | None = None
    """``None`` until the member connection runs: :meth:`handle` skips events till then."""
    ops: OpsServer

    def __init__(self, config: DomainManagerConfig) -> None:
        self.config = config
        self.domain: DomainId = parse_domain_id(config.domain.domain_id)
        self.member: MemberId = parse_member_id(config.node.member_id)
        self.registry = CollectorRegistry()
        self.metrics = DomainManagerMetrics(self.registry)
        self.health = health.aio.HealthServicer()
        self._port = 0

    @property
    def target(self) -> str:
        return f"{self.config.admin.host}:{self._port}"

    def _started(self) -> None:
        log.info("domain manager %s serving admin API on %s", self.member, self.target)

    async def _start(self, parts: NodeParts) -> None:
        cfg = self.config
        if member_kind(self.member) is not MemberKind.DOMAIN_MANAGER:
            raise DomainManagerStoreError(None, f"{self.member} is not a DOM member id")
        if member_namespace(self.member) != split_unique_id(self.domain)[1]:
            raise DomainManagerStoreError(None, f"{self.member} is not in the domain's namespace")
        password = cfg.keys.password.resolve(cfg.base_dir)
        domain_key = load_signing_key(cfg.path(cfg.keys.namespace_keystore), password)
        if str(domain_key.fingerprint) != str(split_unique_id(self.domain)[1]):
            raise DomainManagerStoreError(
                cfg.path(cfg.keys.namespace_keystore), "not the domain's root namespace key"
            )
        signing_key = load_signing_key(cfg.path(cfg.keys.signing_keystore), password)
        data_dir = cfg.path(cfg.node.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = await parts.store(DomainManagerStore.open(data_dir / DM_DB, self.domain))
        self.link = MemberConnection.for_node(
            cfg, self.member, signing_key, data_dir / MEMBER_DIR, self
        )
        if self.link.domain_id != self.domain:
            raise DomainManagerStoreError(None, f"genesis is for {self.link.domain_id}")
        await parts.join(self.link)
        self.topology = self.link.topology.store
        self.manager = DomainManager(
            domain=self.domain,
            member=self.member,
            domain_key=domain_key,
            topology=self.topology,
            store=self.store,
            settings=ManagerSettings(
                policy=Policy(cfg.admin.policy),
                sequencing_window_s=cfg.admin.sequencing_window_s,
            ),
            sender=self.link,
            metrics=self.metrics,
        )
        await self.metrics.refresh_onboarding(self.store)
        await self._serve_admin(parts, self.manager)
        self.ops = await parts.ops(
            self.registry, [self.link.readiness_check()], cfg.ops, server_tls(cfg.tls, cfg.base_dir)
        )
        parts.task("dm-resume", self._resume_when_connected(self.link, self.manager))

    async def handle(self, event: SequencedEvent) -> None:
        """The member runtime's handler: the event's topology is already processed."""
        if self.manager is not None:
            await self.manager.handle(event)

    @staticmethod
    async def _resume_when_connected(link: MemberConnection, manager: DomainManager) -> None:
        while True:
            try:
                await link.wait_connected(timeout_s=3600)
                break
            except TimeoutError:
                continue
        await manager.resume()

    async def _serve_admin(self, parts: NodeParts, manager: DomainManager) -> None:
        cfg = self.config
        verifier = build_verifier(
            cfg.admin.auth,
            self.member,
            base_dir=cfg.base_dir,
            tls=client_tls(cfg.tls, cfg.base_dir),
        )
        interceptor = AuthInterceptor(
            verifier,
            rights_lookup=StaticAdmins(cfg.admin.admin_users),
            public_methods=DEFAULT_PUBLIC_METHODS | MEMBER_METHODS,
        )
        server = grpc.aio.server(interceptors=[TraceInterceptor(), interceptor])
        pb_grpc.add_DomainManagerAdminServicer_to_server(  # type: ignore[no-untyped-call]
            DomainManagerAdminService(manager), server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        self._port = await parts.grpc_server(
            server, f"{cfg.admin.host}:{cfg.admin.port}", server_tls(cfg.tls, cfg.base_dir)
        )
        serving = health_pb2.HealthCheckResponse.SERVING
        await self.health.set("", serving)
        await self.health.set(SERVICE_NAME, serving)
