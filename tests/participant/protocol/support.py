"""An in-memory domain for the participant protocol's unit tests: a real topology store,
three participants (real processors and real sqlite stores) and the real mediator logic
(``MediatorProcessor``), connected by a small ordering fake that sequences submissions in
order at increasing timestamps and delivers each member only its envelopes.

Parties: Alice and Bank on P1, Bob on P2, Carol on P3 (all with submission permission);
Bank is also hosted on P2 with observation permission (so Bob's participant sees the
bank's contracts and Bob can read them with ``read_as``).
The example packages ``iou`` and ``dvp`` are vetted by every participant in topology.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mediator import MediatorProcessor, MediatorStore
from participant.engine import Engine, PackageStore
from participant.engine.examples import example_source
from participant.protocol import ProcessorConfig, TransactionProcessor
from participant.protocol.rejections import LocalRejection
from participant.store import ParticipantStore
from protocol.crypto import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId, MemberKind, PartyId
from protocol.sequencer_messages import (
    Batch,
    Deliver,
    DeliverError,
    DeliverErrorCode,
    DeliverErrorReason,
    Envelope,
    MessageId,
    SequencedEvent,
    SequencerCounter,
)
from protocol.timestamp import Timestamp
from protocol.topology import Accepted, ParticipantPermission, TopologyStore
from protocol.topology.mappings import VettedPackages
from protocol.topology.transactions import add_mapping
from tests.participant.protocol.public_messages import assert_no_ledger_data_in_clear
from tests.support.domain import MemberIdentity, hosting_proposal, make_identity, party_of
from tests.support.topology import make_genesis

T0 = Timestamp(1_900_000_000_000_000)
SECOND = 1_000_000
STEP = 1_000
"""Sequencer time advances by this many µs per sequenced request."""


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


@dataclass
class _Queued:
    sender: MemberId
    envelopes: tuple[Envelope, ...]
    max_sequencing_time: Timestamp | None
    message_id: str | None


@dataclass
class FakeOrdering:
    """Sequences submissions in submission order; ``drop`` filters what a member gets."""

    now: Timestamp = T0
    queue: list[_Queued] = field(default_factory=list)
    handlers: dict[MemberId, object] = field(default_factory=dict)
    counters: dict[MemberId, itertools.count[int]] = field(default_factory=dict)
    delivered: dict[MemberId, list[SequencedEvent]] = field(default_factory=dict)
    seen_ids: set[tuple[MemberId, str]] = field(default_factory=set)
    muted: set[MemberId] = field(default_factory=set)
    """Members whose sends are dropped (a confirmer that never answers)."""
    offline: set[MemberId] = field(default_factory=set)
    """Members whose events are recorded but not handed to their handler (crashed)."""

    def sender_for(self, member: MemberId) -> _MemberSend:
        return _MemberSend(self, member)

    def register(self, member: MemberId, handler: object) -> None:
        self.handlers[member] = handler
        self.counters.setdefault(member, itertools.count())
        self.delivered.setdefault(member, [])

    def _event_for(self, member: MemberId, event: SequencedEvent) -> None:
        self.delivered[member].append(event)

    async def flush(self, advance: int = STEP) -> int:
        """Sequence and deliver everything queued (and what that causes); returns the
        number of requests sequenced."""
        count = 0
        while self.queue:
            item = self.queue.pop(0)
            self.now = Timestamp(self.now + advance)
            count += 1
            await self._sequence(item)
        return count

    async def tick(self, advance: int, *members: MemberId, delay: int = 0) -> None:
        """Time proofs of ``members`` (empty requests, one µs apart) after ``advance`` µs,
        then everything they cause, the first of it ``delay`` µs later than usual (a slow
        sequencer). A member learns the time only from its own events."""
        self.now = Timestamp(self.now + advance - 1)
        for member in members:
            self.now = Timestamp(self.now + 1)
            await self._sequence(_Queued(member, (), None, f"time-proof-{self.now}"))
        self.now = Timestamp(self.now + delay)
        await self.flush()

    async def _sequence(self, item: _Queued) -> None:
        t = self.now
        if item.message_id is not None and (item.sender, item.message_id) in self.seen_ids:
            await self._deliver_to(
                item.sender,
                DeliverError(
                    SequencerCounter(next(self.counters[item.sender])),
                    t,
                    MessageId(item.message_id),
                    DeliverErrorReason(DeliverErrorCode.DUPLICATE_MESSAGE_ID, "duplicate"),
                ),
            )
            return
        if item.message_id is not None:
            self.seen_ids.add((item.sender, item.message_id))
        if item.max_sequencing_time is not None and t > item.max_sequencing_time:
            await self._deliver_to(
                item.sender,
                DeliverError(
                    SequencerCounter(next(self.counters[item.sender])),
                    t,
                    MessageId(item.message_id or "none"),
                    DeliverErrorReason(DeliverErrorCode.MAX_SEQUENCING_TIME_EXCEEDED, "late"),
                ),
            )
            return
        batch = Batch(item.envelopes)
        members = set(batch.all_recipients) | {item.sender}
        for member in sorted(members):
            if member not in self.handlers:
                continue
            sub = batch.for_member(member)
            mid = item.message_id if member == item.sender else None
            event = Deliver(
                SequencerCounter(next(self.counters[member])),
                t,
                item.sender,
                None if mid is None else MessageId(mid),
                sub,
            )
            await self._deliver_to(member, event)

    async def _deliver_to(self, member: MemberId, event: SequencedEvent) -> None:
        self.delivered[member].append(event)
        if member in self.offline:
            return
        handler = self.handlers[member]
        await handler.handle(event)  # type: ignore[attr-defined]


@dataclass
class _MemberSend:
    ordering: FakeOrdering
    member: MemberId

    async def __call__(
        self,
        envelopes: Sequence[Envelope],
        *,
        max_sequencing_time: Timestamp | None = None,
        message_id: str | None = None,
    ) -> str:
        if self.member not in self.ordering.muted:
            self.ordering.queue.append(
                _Queued(self.member, tuple(envelopes), max_sequencing_time, message_id)
            )
        return message_id or "m"


class MediatorHandler:
    """Feeds the real mediator logic and sends its verdicts through the ordering."""

    def __init__(self, processor: MediatorProcessor, send: _MemberSend) -> None:
        self.processor = processor
        self.send = send

    async def handle(self, event: SequencedEvent) -> None:
        for verdict in await self.processor.handle(event):
            await self.send(
                [Envelope.of(verdict.result.to_bytes(), verdict.recipients)],
                max_sequencing_time=verdict.max_sequencing_time,
                message_id=verdict.message_id,
            )


@dataclass
class ProtocolDomain:
    tmp: Path
    domain: DomainId
    topology: TopologyStore
    mediator: MemberIdentity
    participants: dict[str, MemberIdentity]
    parties: dict[str, PartyId]
    packages: PackageStore
    ordering: FakeOrdering
    processors: dict[str, TransactionProcessor] = field(default_factory=dict)
    stores: dict[str, ParticipantStore] = field(default_factory=dict)
    mediator_store: MediatorStore | None = None
    config: ProcessorConfig = field(default_factory=ProcessorConfig)

    def member(self, name: str) -> MemberId:
        return self.participants[name].member

    def party(self, name: str) -> PartyId:
        return self.parties[name]

    def clock(self) -> Timestamp:
        return self.ordering.now

    async def start_participant(self, name: str) -> TransactionProcessor:
        identity = self.participants[name]
        store = await ParticipantStore.open(
            self.tmp / f"{name}.sqlite", self.domain, identity.member
        )
        processor = TransactionProcessor(
            participant=identity.member,
            domain=self.domain,
            signing_key=identity.signing_key,
            encryption_key=identity.encryption_key,
            store=store,
            engine=Engine(self.packages),
            topology=self.topology,
            send=self.ordering.sender_for(identity.member),
            config=self.config,
            clock=self.clock,
            packages=self.packages,
        )
        await processor.recover()
        self.processors[name] = processor
        self.stores[name] = store
        self.ordering.register(identity.member, processor)
        return processor

    async def stop_participant(self, name: str) -> None:
        await self.stores.pop(name).close()
        self.processors.pop(name)

    async def close(self) -> None:
        """Check what went on the chain in clear (``public_messages``), then close."""
        try:
            await assert_no_ledger_data_in_clear(self)
        finally:
            await self._close_stores()

    async def _close_stores(self) -> None:
        for store in self.stores.values():
            await store.close()
        if self.mediator_store is not None:
            await self.mediator_store.close()


async def make_test_domain(tmp: Path, config: ProcessorConfig | None = None) -> ProtocolDomain:
    domain_key = SigningPrivateKey.from_seed(_seed("participant-tests/domain"))
    dm = make_identity(MemberKind.DOMAIN_MANAGER, "dm", namespace_key=domain_key)
    seq = make_identity(MemberKind.SEQUENCER, "seq1", namespace_key=domain_key)
    mediator = make_identity(MemberKind.MEDIATOR, "mediator1")
    participants = {n: make_identity(MemberKind.PARTICIPANT, n) for n in ("p1", "p2", "p3")}
    genesis = make_genesis(
        "participant-tests",
        domain_key,
        sequencers=[seq],
        dm=dm,
        mediator=mediator,
        participants=list(participants.values()),
    )
    topology = await TopologyStore.open(tmp / "topology.sqlite", genesis.domain)
    await topology.load_genesis(genesis)
    p = participants
    parties = {
        "alice": party_of(p["p1"], "Alice"),
        "bank": party_of(p["p1"], "Bank"),
        "bob": party_of(p["p2"], "Bob"),
        "carol": party_of(p["p3"], "Carol"),
    }
    submission, observation = ParticipantPermission.SUBMISSION, ParticipantPermission.OBSERVATION
    hosts = {
        "alice": [("p1", submission)],
        "bank": [("p1", submission), ("p2", observation)],
        "bob": [("p2", submission)],
        "carol": [("p3", submission)],
    }
    packages = PackageStore()
    package_ids = tuple(packages.upload(example_source(n)).package_id for n in ("iou", "dvp"))
    txs = [
        hosting_proposal(
            parties[name],
            [(p[host].member, perm) for host, perm in where],
            [p[host].namespace_key for host, _perm in where],
            is_proposal=False,
        )
        for name, where in hosts.items()
    ]
    txs += [
        add_mapping(VettedPackages(ident.member, package_ids), [ident.namespace_key])
        for ident in participants.values()
    ]
    for offset, tx in enumerate(txs):
        outcome = await topology.process(tx, Timestamp(T0 - 100 * SECOND + offset))
        if not isinstance(outcome, Accepted):
            raise AssertionError(f"topology transaction not accepted: {outcome}")
    ordering = FakeOrdering()
    domain = ProtocolDomain(
        tmp,
        genesis.domain,
        topology,
        mediator,
        participants,
        parties,
        packages,
        ordering,
        config=config or ProcessorConfig(commitment_period=3600 * SECOND),
    )
    domain.mediator_store = await MediatorStore.open(
        tmp / "mediator.sqlite", genesis.domain, mediator.member
    )
    med = MediatorProcessor(
        domain=genesis.domain,
        mediator=mediator.member,
        signing_key=mediator.signing_key,
        store=domain.mediator_store,
        topology=topology.snapshot_at,
    )
    await med.recover()
    ordering.register(mediator.member, MediatorHandler(med, ordering.sender_for(mediator.member)))
    for name in participants:
        await domain.start_participant(name)
    return domain


# -- commands -------------------------------------------------------------------------------


def template(d: ProtocolDomain, package: str, name: str) -> str:
    module = {"iou": "Iou", "dvp": "Dvp"}[package]
    for info in d.packages.list():
        if info.name == package:
            return f"{info.package_id}:{module}:{name}"
    raise KeyError(package)


_ids = itertools.count()


def command(
    d: ProtocolDomain, act_as: Sequence[str], *commands: object, read_as: Sequence[str] = ()
) -> object:
    from participant.protocol import SubmissionCommand

    n = next(_ids)
    return SubmissionCommand(
        tuple(commands),  # type: ignore[arg-type]
        tuple(d.party(p) for p in act_as),
        "test-app",
        f"cmd-{n}",
        f"sub-{n}",
        read_as=tuple(d.party(p) for p in read_as),
    )


def local_rejection(
    d: ProtocolDomain, participant: str, request_id: int, position: tuple[int, ...] | None
) -> LocalRejection:
    """The rejection ``participant`` made of ``request_id`` at ``position`` (None: the
    whole request), with its local detail; exactly one must exist."""
    found = [
        r
        for r in d.processors[participant].rejections
        if r.request_id == request_id and r.position == position
    ]
    assert len(found) == 1, list(d.processors[participant].rejections)
    return found[0]
