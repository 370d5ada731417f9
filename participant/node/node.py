"""A participant node: member connection, protocol processor, stores, engine, Ledger API
and operations endpoint in one process (``docs/nodes.md`` §1, ``docs/participant.md``).

Start order: keys → (onboarding through the domain manager) → package store with the
configured packages → ``participant.sqlite`` and ``node.sqlite`` → member connection
(topology sync, subscription; events wait until recovery is done) → processor recovery
(ACS, pending requests, submissions; the outbox is resent under the same message ids) →
time proof clock → (``vetting = "topology"``: the stored packages not yet vetted are vetted
through the domain manager and waited for until effective) → Ledger API → ops. Events
reach :meth:`ParticipantNode.handle` one at a time; the processor commits an event's
changes before it returns, so the runtime's counter never runs ahead of the participant's
state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry

from node_runtime import OpsServer, ReadinessCheck
from node_runtime.lifecycle import Node, NodeParts
from node_runtime.member import MemberConnection
from node_runtime.member.clock import TimeProofClock
from node_runtime.member.connection import MEMBER_DB
from node_runtime.member.dm_client import DmClientTimeouts, DomainManagerClient
from node_runtime.tls import client_tls, server_tls
from participant.engine import Engine, PackageStore
from participant.engine.examples import example_source
from participant.ledger_api.backend import SubmitRequest
from participant.ledger_api.server import LedgerApiServer
from participant.node.config import ParticipantConfig
from participant.node.errors import ParticipantConfigError
from participant.node.ledger_backend import NodeLedgerBackend
from participant.node.metrics import ParticipantMetrics
from participant.node.node_store import NodeStore
from participant.node.onboarding import in_genesis, onboard, onboarding_transactions
from participant.node.parties import PartyManager
from participant.node.vetting import PackageVetter
from participant.protocol import TransactionProcessor, VettingMode
from participant.store import CommitmentMismatch, Offset, ParticipantStore
from protocol.crypto import (
    EncryptionPrivateKey,
    SigningPrivateKey,
    load_encryption_key,
    load_signing_key,
)
from protocol.identifiers import DomainId, MemberId, parse_domain_id, parse_member_id
from protocol.sequencer_messages import SequencedEvent
from protocol.timestamp import Timestamp
from protocol.topology import Genesis, TopologySnapshot, read_genesis

log = logging.getLogger(__name__)

PARTICIPANT_DB = "participant.sqlite"
PACKAGES_DB = "packages.sqlite"
NODE_DB = "node.sqlite"
MEMBER_DIR = "member"


@dataclass(frozen=True, slots=True)
class NodeKeys:
    """The participant's three keys, decrypted from its keystores."""

    namespace: SigningPrivateKey
    """The root of the participant's namespace: signs its topology transactions."""
    signing: SigningPrivateKey
    """Signs its requests, responses and submissions to the sequencer."""
    encryption: EncryptionPrivateKey
    """Decrypts the views sent to it."""


class ParticipantNode(Node):
    """Start with :meth:`start`, :meth:`wait` until it fails or stops, :meth:`stop`.
    The parts below are set by :meth:`start`, in this order."""

    dm: DomainManagerClient | None = None
    """The domain manager's admin API, with ``[domain_manager]``."""
    packages: PackageStore
    store: ParticipantStore
    node_store: NodeStore
    link: MemberConnection
    processor: TransactionProcessor
    clock: TimeProofClock | None = None
    """Set once the processor has recovered."""
    parties: PartyManager
    vetter: PackageVetter | None = None
    """With ``vetting = "topology"``."""
    backend: NodeLedgerBackend
    ledger_api: LedgerApiServer
    ops: OpsServer

    def __init__(self, config: ParticipantConfig) -> None:
        self.config = config
        self.domain: DomainId = parse_domain_id(config.domain.domain_id)
        self.participant: MemberId = parse_member_id(config.node.participant_id)
        self.registry = CollectorRegistry()
        self.metrics = ParticipantMetrics(self.registry)
        self.mismatches: list[CommitmentMismatch] = []
        self._recovered = asyncio.Event()
        self._submitted: dict[str, float] = {}
        self._completion_cursor = 0

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def grpc_endpoint(self) -> str:
        return f"{self.config.ledger_api.host}:{self.ledger_api.port}"

    def _started(self) -> None:
        log.info("participant %s running, ledger api %s", self.participant, self.grpc_endpoint)

    async def _start(self, parts: NodeParts) -> None:
        """The start order of the module docstring, one step a line."""
        keys = self._keys()
        data_dir, genesis = self._data_dir_and_genesis()
        self.dm = self._domain_manager_client(parts)
        await self._onboard_if_new(genesis, keys, data_dir / MEMBER_DIR)
        packages, store, node_store = await self._open_stores(parts, data_dir)
        link = MemberConnection.for_node(
            self.config, self.participant, keys.signing, data_dir / MEMBER_DIR, self
        )
        processor = self._processor(keys, store, packages, link)
        await self._connect_and_recover(parts, link, processor)
        parties = await self._topology_managers(keys, link, packages)
        self.backend = self._backend(
            processor,
            store=store,
            packages=packages,
            parties=parties,
            node_store=node_store,
            link=link,
        )
        await self._serve(parts, data_dir, link, self.backend)

    def _data_dir_and_genesis(self) -> tuple[Path, Genesis]:
        cfg = self.config
        data_dir = cfg.path(cfg.node.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        genesis = read_genesis(cfg.domain.genesis_path(cfg.base_dir))
        if genesis.domain != self.domain:
            raise ParticipantConfigError("domain.genesis_file", f"is for {genesis.domain}")
        return data_dir, genesis

    async def _open_stores(
        self, parts: NodeParts, data_dir: Path
    ) -> tuple[PackageStore, ParticipantStore, NodeStore]:
        """The package store (with the configured packages), ``participant.sqlite`` and
        ``node.sqlite``."""
        self.packages = await self._open_packages(parts, data_dir)
        self.store = await parts.store(
            ParticipantStore.open(data_dir / PARTICIPANT_DB, self.domain, self.participant)
        )
        self.node_store = await parts.store(NodeStore.open(data_dir / NODE_DB))
        self._completion_cursor = await self.store.ledger_end()
        return self.packages, self.store, self.node_store

    async def _connect_and_recover(
        self, parts: NodeParts, link: MemberConnection, processor: TransactionProcessor
    ) -> None:
        """Start the member connection (its events wait in :meth:`handle` until the
        processor has recovered), recover, then run the time proof clock."""
        self.link = link
        self.processor = processor
        await parts.join(link)
        await processor.recover()
        self._recovered.set()
        self.clock = self._clock(link, processor)
        parts.task_group("participant-tasks", {"participant-clock": self.clock.run()})

    async def _topology_managers(
        self, keys: NodeKeys, link: MemberConnection, packages: PackageStore
    ) -> PartyManager:
        """The party manager; with ``vetting = "topology"`` the package vetter, which vets
        the stored packages not yet vetted before the Ledger API opens."""
        # Both change the participant's topology through the domain manager.
        changes = (self.participant, keys.namespace, link.topology, self.dm, link)
        self.parties = PartyManager(*changes, timeout_s=self._dm_timeout_s())
        if self.config.protocol.vetting is VettingMode.TOPOLOGY:
            self.vetter = PackageVetter(*changes, timeout_s=self._dm_timeout_s())
            await self._vet_stored(self.vetter, packages)
        return self.parties

    async def _serve(
        self, parts: NodeParts, data_dir: Path, link: MemberConnection, backend: NodeLedgerBackend
    ) -> None:
        """The Ledger API, then the ops endpoint."""
        cfg = self.config
        self.ledger_api = await parts.started(
            LedgerApiServer(
                cfg.ledger_api,
                backend,
                data_dir=data_dir,
                base_dir=cfg.base_dir,
                tls=server_tls(cfg.tls, cfg.base_dir),
                client=client_tls(cfg.tls, cfg.base_dir),
            )
        )
        self.ops = await parts.ops(
            self.registry,
            [
                link.readiness_check(),
                ReadinessCheck("participant-store", self._store_ready),
                ReadinessCheck("ledger-api", self._api_ready),
            ],
            cfg.ops,
            server_tls(cfg.tls, cfg.base_dir),
        )

    def _keys(self) -> NodeKeys:
        cfg = self.config
        password = cfg.keys.password.resolve(cfg.base_dir)
        namespace = load_signing_key(cfg.path(cfg.keys.namespace_keystore), password)
        signing = load_signing_key(cfg.path(cfg.keys.signing_keystore), password)
        encryption = load_encryption_key(cfg.path(cfg.keys.encryption_keystore), password)
        if namespace.fingerprint != self.participant.rsplit("::", 1)[1]:
            raise ParticipantConfigError(
                "keys.namespace_keystore",
                f"key {namespace.fingerprint} is not the root of {self.participant}",
            )
        return NodeKeys(namespace, signing, encryption)

    def _dm_timeout_s(self) -> float:
        dm = self.config.domain_manager
        return dm.call_timeout_s if dm is not None else 60.0

    def _domain_manager_client(self, parts: NodeParts) -> DomainManagerClient | None:
        """The domain manager's admin API (``[domain_manager]``), closed at stop."""
        cfg = self.config
        if cfg.domain_manager is None:
            return None
        return parts.closing(
            DomainManagerClient(
                cfg.domain_manager.endpoint,
                timeouts=DmClientTimeouts(change_s=cfg.domain_manager.call_timeout_s),
                tls=client_tls(cfg.tls, cfg.base_dir),
            )
        )

    async def _onboard_if_new(self, genesis: Genesis, keys: NodeKeys, member_dir: Path) -> None:
        """A participant neither in genesis nor started before asks the domain manager to
        onboard it, and waits until it is."""
        if in_genesis(genesis, self.participant) or (member_dir / MEMBER_DB).exists():
            return
        section = self.config.domain_manager
        if self.dm is None or section is None:
            log.warning("not in genesis and no [domain_manager]: assuming onboarded")
            return
        txs = onboarding_transactions(
            self.participant, keys.namespace, keys.signing, keys.encryption
        )
        await onboard(self.dm, txs, section.onboarding_timeout_s)

    async def _open_packages(self, parts: NodeParts, data_dir: Path) -> PackageStore:
        """The package store, with the configured examples and files uploaded."""
        cfg = self.config
        packages = PackageStore(data_dir / PACKAGES_DB)
        parts.callback(packages.close)
        for name in cfg.packages.examples:
            packages.upload(example_source(name), f"<example {name}>")
        for file in cfg.packages.files:
            path = cfg.path(file)
            try:
                source = await asyncio.to_thread(path.read_text, "utf-8")
            except OSError as exc:
                raise ParticipantConfigError("packages.files", f"{path}: {exc}") from None
            packages.upload(source, str(path))
        return packages

    def _processor(
        self,
        keys: NodeKeys,
        store: ParticipantStore,
        packages: PackageStore,
        link: MemberConnection,
    ) -> TransactionProcessor:
        return TransactionProcessor(
            participant=self.participant,
            domain=self.domain,
            signing_key=keys.signing,
            encryption_key=keys.encryption,
            store=store,
            engine=Engine(packages),
            topology=self,
            send=link.send,
            config=self.config.protocol.processor_config(),
            packages=packages,
            on_mismatch=self._mismatch,
        )

    def _clock(self, link: MemberConnection, processor: TransactionProcessor) -> TimeProofClock:
        p = self.config.protocol
        return TimeProofClock(
            link,
            self.next_deadline,
            on_proof=processor.on_time,
            counter=self.metrics.time_proofs.inc,
            poll_s=p.time_proof_poll_s,
            idle_s=p.time_proof_idle_s,
            clock_tolerance_s=p.clock_tolerance_s,
            proof_timeout_s=p.time_proof_timeout_s,
        )

    def _backend(
        self,
        processor: TransactionProcessor,
        *,
        store: ParticipantStore,
        packages: PackageStore,
        parties: PartyManager,
        node_store: NodeStore,
        link: MemberConnection,
    ) -> NodeLedgerBackend:
        """What the Ledger API services call."""
        return NodeLedgerBackend(
            participant=self.participant,
            domain=self.domain,
            domain_alias=self.domain.split("::", 1)[0],
            processor=processor,
            store=store,
            packages=packages,
            parties=parties,
            node_store=node_store,
            connected=lambda: link.connected,
            on_submitted=self._submitted_now,
            vetter=self.vetter,
        )

    async def _vet_stored(self, vetter: PackageVetter, packages: PackageStore) -> None:
        """Vet every stored package (the configured ones included) that this participant
        has not vetted yet, in one change; wait until it is effective. Without a domain
        manager nothing can be vetted: commands then fail with PACKAGE_NOT_VETTED."""
        stored = [p.package_id for p in packages.list()]
        if not stored:
            return
        if self.dm is None:
            log.warning("vetting = topology but no [domain_manager]: packages not vetted")
            return
        if await vetter.vet(stored):
            log.info("vetted the %d stored packages", len(stored))

    async def _store_ready(self) -> str | None:
        return None if self._recovered.is_set() else "not recovered"

    async def _api_ready(self) -> str | None:
        return None if self.ledger_api.port else "not serving"

    # -- what the processor and the clock read ----------------------------------------------

    def snapshot_at(self, at: Timestamp) -> TopologySnapshot:
        """The processor's topology: the member runtime's store."""
        return self.link.topology.snapshot_at(at)

    def next_deadline(self) -> Timestamp | None:
        """The earliest sequencer time at which something in flight is decided by time:
        a pending request's decision deadline or an own submission's max sequencing time."""
        times = [r.deadline for r in self.processor.pending.values()]
        times += [s.max_sequencing_time for s in self.processor.in_flight.values()]
        return min(times) if times else None

    def _inflight(self) -> None:
        self.metrics.inflight.set(len(self.processor.pending) + len(self.processor.in_flight))

    def _mismatch(self, mismatch: CommitmentMismatch) -> None:
        self.mismatches.append(mismatch)
        self.metrics.mismatches.inc()
        log.error(
            "ACS COMMITMENT MISMATCH with %s for (%d, %d]: ours %s theirs %s; shared contracts %s",
            mismatch.counterparty,
            mismatch.from_time,
            mismatch.to_time,
            mismatch.ours.hex(),
            mismatch.theirs.hex(),
            ", ".join(mismatch.contract_ids),
        )

    def _submitted_now(self, request: SubmitRequest) -> None:
        self._submitted[request.submission_id] = time.monotonic()
        self.metrics.submissions.labels(result="accepted").inc()
        self._inflight()

    async def _observe_completions(self) -> None:
        """Command latency: completions published since the last look, of submits made
        through this process."""
        end = await self.store.ledger_end()
        if end <= self._completion_cursor:
            return
        if self._submitted:
            for record in await self.store.completions(
                Offset(self._completion_cursor), limit=10_000
            ):
                started = self._submitted.pop(record.submission_id, None)
                if started is not None:
                    outcome = "ok" if record.status.ok else "rejected"
                    self.metrics.command_latency.labels(outcome=outcome).observe(
                        time.monotonic() - started
                    )
        self._completion_cursor = end

    # -- events -----------------------------------------------------------------------------

    async def handle(self, event: SequencedEvent) -> None:
        """The member runtime's handler (the event's topology is already processed)."""
        await self._recovered.wait()
        if self.clock is not None:
            self.clock.observed()
        await self.processor.handle(event)
        self.metrics.events.inc()
        await self._observe_completions()
        self._inflight()


def data_path(config: ParticipantConfig, name: str) -> Path:
    """A file of the node's data directory."""
    return config.path(config.node.data_dir) / name
