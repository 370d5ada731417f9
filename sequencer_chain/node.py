"""A sequencer node: chain reader, batch writer and gRPC API in one process.

:class:`SequencerNode` wires the parts from a :class:`~sequencer_chain.config.SequencerNodeConfig`
and supervises them: the reader runs in a ``TaskGroup`` task; the writer runs its own tasks;
the API serves from the store. If the reader or the writer fails, the node stops (the
process exits non-zero); nothing is lost, since the store is re-derivable and the writer's
outbox keeps every accepted request.

Health turns SERVING once the reader has caught up with ``head - confirmations``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from node_runtime import OpsServer, ReadinessCheck
from node_runtime.lifecycle import Node, NodeParts
from node_runtime.tls import server_tls
from protocol.crypto.signing import SignatureCache
from protocol.identifiers import DomainId, MemberId, parse_domain_id, parse_member_id
from protocol.topology import read_genesis
from sequencer_chain.api import ApiServer, Authenticator, SequencerService
from sequencer_chain.chain_keys import dev_account, load_keystore
from sequencer_chain.chain_settings import reader_config, writer_config
from sequencer_chain.config import SequencerNodeConfig
from sequencer_chain.contract import DeploymentRecord, InboxContract, connect, domain_id_bytes
from sequencer_chain.errors import MembersFileError
from sequencer_chain.members import MemberLookup, StaticMembers
from sequencer_chain.metrics import SequencerMetrics
from sequencer_chain.reader import ChainReader
from sequencer_chain.sequencer_topology import SequencerTopology
from sequencer_chain.store import EventStore, StoreIdentity
from sequencer_chain.writer import BatchWriter
from sequencer_chain.writer.protocol_packer import ProtocolBatchPacker

log = logging.getLogger(__name__)

EVENTS_DB = "events.sqlite"
TOPOLOGY_DB = "topology.sqlite"
OUTBOX_DB = "outbox.sqlite"


class SequencerNode(Node):
    """Start with :meth:`start`, stop with :meth:`stop`; :meth:`wait` until it fails.
    The parts below are set by :meth:`start`, in this order."""

    topology: SequencerTopology | None = None
    """The topology-backed members, when started from a genesis file."""
    w3: AsyncWeb3[Any]
    store: EventStore
    reader: ChainReader
    writer: BatchWriter
    api: ApiServer
    ops: OpsServer

    def __init__(self, config: SequencerNodeConfig) -> None:
        self.config = config
        self.domain_id: DomainId = parse_domain_id(config.domain.domain_id)
        self.sequencer_id: MemberId = parse_member_id(config.node.sequencer_id)
        self.metrics = SequencerMetrics(config.chain.confirmations)

    @property
    def port(self) -> int:
        return self.api.port

    @property
    def target(self) -> str:
        return f"{self.config.api.host}:{self.port}"

    def _account(self, chain_id: int) -> LocalAccount:
        account = self.config.chain.account
        if account.dev_key_index is not None:
            return dev_account(account.dev_key_index, chain_id)
        assert account.keystore is not None and account.password is not None  # validated
        password = account.password.resolve(self.config.base_dir)
        return load_keystore(self.config.path(account.keystore), password, chain_id=chain_id)

    def _started(self) -> None:
        cfg = self.config
        log.info(
            "sequencer %s serving on %s (contract %s, confirmations %d)",
            self.sequencer_id,
            self.target,
            self.reader.inbox.address,
            cfg.chain.confirmations,
        )

    async def _start(self, parts: NodeParts) -> None:
        cfg = self.config
        record = DeploymentRecord.load(cfg.path(cfg.chain.deployment))
        if record.domain_id != "0x" + domain_id_bytes(self.domain_id).hex():
            log.warning(
                "contract domain id %s is not keccak256(%r); check the deployment record",
                record.domain_id,
                self.domain_id,
            )
        data_dir = cfg.path(cfg.node.data_dir)
        members: MemberLookup
        if cfg.domain.genesis_file is not None:
            genesis_path = cfg.path(cfg.domain.genesis_file)
            genesis = read_genesis(genesis_path)
            if genesis.domain != self.domain_id:
                raise MembersFileError(
                    genesis_path, f"genesis is for domain {genesis.domain}, not {self.domain_id}"
                )
            data_dir.mkdir(parents=True, exist_ok=True)
            self.topology = await parts.store(
                SequencerTopology.open(data_dir / TOPOLOGY_DB, genesis)
            )
            members = self.topology
        else:
            assert cfg.domain.members_file is not None  # validated: exactly one source
            members = StaticMembers.load(cfg.path(cfg.domain.members_file))
        self.w3 = await connect(cfg.chain.rpc_url, cfg.chain.rpc_timeout_s)
        parts.async_callback(self.w3.provider.disconnect)
        chain_id = int(await self.w3.eth.chain_id)
        inbox = InboxContract(self.w3, record.address)
        self.store = await parts.store(
            EventStore.open(
                data_dir / EVENTS_DB, StoreIdentity(chain_id, inbox.address, self.domain_id)
            )
        )
        signatures = SignatureCache()  # the API's checks, not repeated by the reader
        self.reader = ChainReader(
            w3=self.w3,
            inbox=inbox,
            store=self.store,
            members=members,
            domain_id=self.domain_id,
            config=reader_config(cfg.chain, record.deploy_block),
            topology=self.topology,
            signatures=signatures,
        )
        await self.reader.load()
        self.writer = await parts.started(
            BatchWriter(
                inbox_address=record.address,
                account=self._account(chain_id),
                outbox_path=data_dir / OUTBOX_DB,
                packer=ProtocolBatchPacker(),
                rpc_url=cfg.chain.rpc_url,
                config=writer_config(cfg.chain),
            )
        )
        secret = (
            cfg.api.token_secret.resolve(cfg.base_dir).encode() if cfg.api.token_secret else None
        )
        auth = Authenticator(
            domain_id=self.domain_id,
            sequencer=self.sequencer_id,
            members=members,
            secret=secret,
            token_ttl_us=cfg.api.token_ttl_s * 1_000_000,
        )
        service = SequencerService(
            domain_id=self.domain_id,
            store=self.store,
            sink=self.writer,
            members=members,
            auth=auth,
            signatures=signatures,
        )
        tls = server_tls(cfg.tls, cfg.base_dir)
        self.api = await parts.started(ApiServer(service, cfg.api.host, cfg.api.port, tls))
        self.ops = await parts.ops(
            self.metrics.registry,
            self._readiness(self.reader, self.writer),
            cfg.ops,
            server_tls(cfg.tls, cfg.base_dir),
        )
        parts.task_group("sequencer-node", self._supervised(self.reader, self.writer, self.api))

    def _readiness(self, reader: ChainReader, writer: BatchWriter) -> list[ReadinessCheck]:
        self.metrics.attach(reader, writer)

        async def caught_up() -> str | None:
            problem = reader.problem()
            if problem is not None:
                return problem
            return None if reader.caught_up.is_set() else "chain reader not caught up"

        async def writer_running() -> str | None:
            failure = writer.failure
            return None if failure is None else f"batch writer failed: {failure}"

        return [ReadinessCheck("chain_reader", caught_up), ReadinessCheck("writer", writer_running)]

    def _supervised(
        self, reader: ChainReader, writer: BatchWriter, api: ApiServer
    ) -> dict[str, Coroutine[Any, Any, None]]:
        """The node's tasks: if one fails, the node fails."""

        async def mark_ready() -> None:
            await reader.caught_up.wait()
            await api.set_serving(True)

        async def watch_writer() -> None:
            # The writer exposes its failure as state, not as an awaitable.
            while writer.failure is None:  # noqa: ASYNC110
                await asyncio.sleep(0.5)
            raise writer.failure

        cfg = self.config
        return {
            "chain-reader": reader.run(),
            "readiness": mark_ready(),
            "writer-watch": watch_writer(),
            "head-sampler": self.metrics.sample_head(
                cfg.chain.rpc_url, cfg.ops.head_sample_interval_s, cfg.chain.rpc_timeout_s
            ),
        }
