"""A mediator node: its member connection (``node_runtime.member``), its store, the
processor, the verdict outbox, the sequencer clock and the operations endpoint in one
process (``docs/nodes.md`` §1, ``docs/mediator.md``).

Start order: keys → (onboarding) → ``mediator.sqlite`` → processor recovery (pending
requests, owed verdicts) → member connection (topology sync, subscription) → outbox and
clock tasks → ops. Events reach :meth:`MediatorNode.handle` one at a time; the
processor's changes are committed before it returns, so the runtime's counter never runs
ahead of the mediator's state.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from prometheus_client import CollectorRegistry

from mediator.config import MediatorConfig
from mediator.errors import MediatorConfigError
from mediator.metrics import MediatorMetrics
from mediator.onboarding import in_genesis, onboard, onboarding_transactions
from mediator.outbox import VerdictOutbox
from mediator.processor import MediatorProcessor
from mediator.store import MediatorStore
from mediator.validation import TopologyView
from node_runtime import OpsServer, ReadinessCheck
from node_runtime.lifecycle import Node, NodeParts
from node_runtime.member import MemberConnection
from node_runtime.member.clock import TimeProofClock
from node_runtime.member.connection import MEMBER_DB
from node_runtime.tls import client_tls, server_tls
from protocol.crypto import SigningPrivateKey, load_encryption_key, load_signing_key
from protocol.identifiers import DomainId, MemberId, parse_domain_id, parse_member_id
from protocol.sequencer_messages import SequencedEvent
from protocol.timestamp import Timestamp
from protocol.topology import Genesis, read_genesis

log = logging.getLogger(__name__)

MEDIATOR_DB = "mediator.sqlite"
MEMBER_DIR = "member"


class MediatorNode(Node):
    """Start with :meth:`start`, :meth:`wait` until it fails or stops, :meth:`stop`.
    The parts below are set by :meth:`start`, in this order."""

    store: MediatorStore
    processor: MediatorProcessor
    link: MemberConnection
    outbox: VerdictOutbox
    clock: TimeProofClock
    ops: OpsServer

    def __init__(self, config: MediatorConfig) -> None:
        self.config = config
        self.domain: DomainId = parse_domain_id(config.domain.domain_id)
        self.member: MemberId = parse_member_id(config.node.member_id)
        self.registry = CollectorRegistry()
        self.metrics = MediatorMetrics(self.registry)

    def _started(self) -> None:
        log.info("mediator %s running", self.member)

    async def _start(self, parts: NodeParts) -> None:
        cfg = self.config
        password = cfg.keys.password.resolve(cfg.base_dir)
        signing_key = load_signing_key(cfg.path(cfg.keys.signing), password)
        data_dir = cfg.path(cfg.node.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        genesis = read_genesis(cfg.domain.genesis_path(cfg.base_dir))
        if genesis.domain != self.domain:
            raise MediatorConfigError("domain.genesis_file", f"is for {genesis.domain}")
        await self._maybe_onboard(signing_key, genesis, data_dir / MEMBER_DIR / MEMBER_DB)

        self.store = await parts.store(
            MediatorStore.open(data_dir / MEDIATOR_DB, self.domain, self.member)
        )
        self.processor = MediatorProcessor(
            domain=self.domain,
            mediator=self.member,
            signing_key=signing_key,
            store=self.store,
            topology=self._snapshot_at,
            metrics=self.metrics,
        )
        owed = await self.processor.recover()
        self.link = MemberConnection.for_node(
            cfg, self.member, signing_key, data_dir / MEMBER_DIR, self
        )
        m = cfg.mediator
        self.outbox = VerdictOutbox(
            self.link,
            self.store,
            self.metrics,
            retry_initial_s=m.send_retry_initial_s,
            retry_max_s=m.send_retry_max_s,
        )
        self.outbox.submit(owed)
        self.clock = TimeProofClock(
            self.link,
            self.processor.next_deadline,
            counter=self.metrics.time_proofs.inc,
            poll_s=m.time_proof_poll_s,
            idle_s=m.time_proof_idle_s,
            clock_tolerance_s=m.clock_tolerance_s,
            proof_timeout_s=m.time_proof_timeout_s,
        )
        await parts.join(self.link)
        parts.task_group(
            "mediator-tasks",
            {"mediator-outbox": self.outbox.run(), "mediator-clock": self.clock.run()},
        )
        self.ops = await parts.ops(
            self.registry,
            [self.link.readiness_check(), ReadinessCheck("mediator-store", self._store_ready)],
            cfg.ops,
            server_tls(cfg.tls, cfg.base_dir),
        )

    async def _maybe_onboard(
        self, signing_key: SigningPrivateKey, genesis: Genesis, member_db: Path
    ) -> None:
        cfg = self.config
        section = cfg.onboarding
        if section is None or in_genesis(genesis, self.member):
            return
        if await asyncio.to_thread(member_db.exists):
            return  # onboarded before a restart: the runtime has its stream position
        keys = cfg.keys
        if keys.namespace_keystore is None or keys.encryption_keystore is None:
            raise MediatorConfigError("keys", "onboarding needs the namespace and encryption keys")
        password = keys.password.resolve(cfg.base_dir)
        namespace_key = load_signing_key(cfg.path(keys.namespace_keystore), password)
        encryption_key = load_encryption_key(cfg.path(keys.encryption_keystore), password)
        transactions = onboarding_transactions(
            self.member, namespace_key, signing_key, encryption_key
        )
        await onboard(
            section.domain_manager,
            transactions,
            section.timeout_s,
            client_tls(cfg.tls, cfg.base_dir),
        )

    def _snapshot_at(self, at: Timestamp) -> TopologyView:
        return self.link.topology.snapshot_at(at)

    async def _store_ready(self) -> str | None:
        return None  # /readyz is served while the store is open

    async def handle(self, event: SequencedEvent) -> None:
        """The member runtime's handler (the event's topology is already processed)."""
        self.clock.observed()
        verdicts = await self.processor.handle(event)
        self.outbox.submit(verdicts)
