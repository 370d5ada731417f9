"""A domain without a domain manager node: interval-mining anvil, the inbox, a genesis
with a domain manager identity, a mediator and two admitted participants, and in-process
sequencer nodes on free ports. Members are real :class:`MemberConnection` s over gRPC;
the domain manager's broadcasts are sent through its own member connection."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from node_runtime.member import MemberConnection, MemberTuning
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import DomainId, MemberKind
from protocol.sequencer_messages import Deliver, SequencedEvent
from protocol.topology import Genesis, write_genesis
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.config import load_node_config
from sequencer_chain.contract import (
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)
from sequencer_chain.node import SequencerNode
from tests.support.domain import MemberIdentity, make_identity
from tests.support.topology import make_genesis

DOMAIN_NAME = "member-domain"
FAST = MemberTuning(reconnect_initial_s=0.05, reconnect_max_s=0.5, call_timeout_s=5.0)


class Recorder:
    """A handler that keeps every event it handled (its 'durable view') and can be told
    to fail on one counter."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.events: list[SequencedEvent] = []
        self.fail_on = fail_on
        self._changed = asyncio.Event()

    async def handle(self, event: SequencedEvent) -> None:
        if event.counter == self.fail_on:
            raise RuntimeError(f"handler crash on {event.counter}")
        self.events.append(event)
        self._changed.set()

    @property
    def counters(self) -> list[int]:
        return [e.counter for e in self.events]

    def payloads(self) -> list[bytes]:
        return [
            env.payload for e in self.events if isinstance(e, Deliver) for env in e.batch.envelopes
        ]

    async def wait_for(
        self, predicate: Callable[[Recorder], bool], timeout_s: float = 20, what: str = ""
    ) -> None:
        try:
            async with asyncio.timeout(timeout_s):
                while not predicate(self):
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: {self.counters}") from None


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


@dataclass
class MemberDomain:
    root: Path
    anvil: ManagedAnvil
    domain: DomainId
    domain_key: SigningPrivateKey
    dm: MemberIdentity
    mediator: MemberIdentity
    p1: MemberIdentity
    p2: MemberIdentity
    sequencer_ids: list[MemberIdentity]
    genesis: Genesis
    sequencers: list[SequencerNode] = field(default_factory=list)
    connections: list[MemberConnection] = field(default_factory=list)

    @property
    def endpoints(self) -> list[str]:
        return [s.target for s in self.sequencers]

    async def start_sequencer(self, index: int) -> SequencerNode:
        """Start sequencer ``index`` (1-based; writer dev account ``index``)."""
        name = f"seq{index}"
        config = self.root / f"{name}.toml"
        config.write_text(
            f"""
[node]
sequencer_id = "{self.sequencer_ids[index - 1].member}"
data_dir = "{name}"

[domain]
domain_id = "{self.domain}"
genesis_file = "genesis.json"

[chain]
rpc_url = "{self.anvil.rpc_url}"
deployment = "inbox.json"
confirmations = 0
poll_interval_s = 0.05
linger_s = 0.01

[chain.account]
dev_key_index = {index}
"""
        )
        node = SequencerNode(load_node_config(config))
        self.sequencers.append(node)
        await node.start()
        return node

    def connection(
        self,
        identity: MemberIdentity,
        handler: Recorder,
        *,
        endpoints: list[str] | None = None,
        data_name: str | None = None,
    ) -> MemberConnection:
        """A (not yet started) member connection with its state under ``root/<name>``."""
        name = data_name or identity.member.split("::")[1]
        conn = MemberConnection(
            identity.member,
            identity.signing_key,
            self.domain,
            self.genesis,
            endpoints or self.endpoints,
            self.root / "members" / name,
            handler,
            tuning=FAST,
        )
        self.connections.append(conn)
        return conn


@pytest.fixture
async def member_domain(tmp_path: Path) -> AsyncIterator[MemberDomain]:
    root = tmp_path / "domain"
    root.mkdir()
    domain_key = SigningPrivateKey.from_seed(_seed("domain-root"))
    seq_ns = SigningPrivateKey.from_seed(_seed("sequencers"))
    seqs = [make_identity(MemberKind.SEQUENCER, f"seq{i}", namespace_key=seq_ns) for i in (1, 2)]
    dm = make_identity(MemberKind.DOMAIN_MANAGER, "dm", namespace_key=domain_key)
    mediator = make_identity(MemberKind.MEDIATOR, "mediator1")
    p1 = make_identity(MemberKind.PARTICIPANT, "p1")
    p2 = make_identity(MemberKind.PARTICIPANT, "p2")
    genesis = make_genesis(
        DOMAIN_NAME, domain_key, sequencers=seqs, dm=dm, mediator=mediator, participants=[p1, p2]
    )
    write_genesis(root / "genesis.json", genesis)
    with ManagedAnvil(AnvilConfig(block_time=0.25)) as anvil:
        w3 = await connect(anvil.rpc_url)
        try:
            owner = dev_account(0, 31337)
            record = await deploy_inbox(
                w3, owner, domain_id_bytes(genesis.domain), domain_name=genesis.domain
            )
            inbox = InboxContract(w3, record.address)
            for index in (1, 2):
                data = inbox.calldata("addWriter", dev_account(index, 31337).address)
                await send_transaction(w3, owner, to=record.address, data=data)
        finally:
            await w3.provider.disconnect()
        record.save(root / "inbox.json")
        domain = MemberDomain(
            root, anvil, genesis.domain, domain_key, dm, mediator, p1, p2, seqs, genesis
        )
        try:
            yield domain
        finally:
            for conn in domain.connections:
                await conn.stop()
            for node in domain.sequencers:
                await node.stop()
