"""The runtime's checks of what a sequencer serves, against scripted sequencers on real
gRPC servers (no chain): replays are skipped, a changed replay, a gap and a history that
disagrees are fatal, a stream that ends or serves garbage makes the member switch node."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from node_runtime.member import (
    CounterGapError,
    EventMismatchError,
    EventsPrunedError,
    MemberConnection,
    MemberTuning,
    NoSequencerAvailableError,
    TopologyHistoryError,
)
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import MemberKind
from protocol.sequencer_messages import Batch, Deliver, Envelope, MessageId, SequencerCounter
from protocol.timestamp import Timestamp
from protocol.topology import Genesis, TopologyProcessor, encode_stored_transaction
from protocol.v1 import sequencer_pb2 as pb
from protocol.v1 import sequencer_pb2_grpc as pb_grpc
from tests.node_runtime.member.conftest import Recorder
from tests.support.domain import MemberIdentity, make_identity
from tests.support.topology import make_genesis

T0 = Timestamp(1_700_000_000_000_000)
FAST = MemberTuning(reconnect_initial_s=0.02, reconnect_max_s=0.1, call_timeout_s=2.0)


class ScriptedSequencer(pb_grpc.SequencerServiceServicer):
    """Accepts any authentication; serves ``events`` (canonical bytes by counter) and the
    genesis history; ``end_after`` ends each stream after that many events."""

    def __init__(self, genesis: Genesis, events: list[bytes], end_after: int | None = None):
        processor = TopologyProcessor(genesis.domain)
        for signed in genesis.transactions:
            processor.process(signed, genesis.timestamp)
        self.history = [encode_stored_transaction(r) for r in processor.history()]
        self.events = events
        self.end_after = end_after
        self.subscriptions: list[int] = []
        self.acknowledged: list[int] = []
        self.acknowledge_seen = asyncio.Event()

    async def GetChallenge(self, request: Any, context: Any) -> pb.GetChallengeResponse:
        return pb.GetChallengeResponse(challenge=b"c")

    async def Authenticate(self, request: Any, context: Any) -> pb.AuthenticateResponse:
        return pb.AuthenticateResponse(token="t", expires_at=T0 * 2)

    async def GetTopologyHistory(self, request: Any, context: Any) -> Any:
        return pb.GetTopologyHistoryResponse(
            transactions=self.history[request.from_position :], watermark=T0 * 2
        )

    async def Acknowledge(self, request: Any, context: Any) -> pb.AcknowledgeResponse:
        self.acknowledged.append(request.counter)
        self.acknowledge_seen.set()
        return pb.AcknowledgeResponse()

    async def Subscribe(self, request: Any, context: Any) -> AsyncIterator[Any]:
        self.subscriptions.append(request.from_counter)
        for sent, data in enumerate(self.events[request.from_counter :]):
            if self.end_after is not None and sent >= self.end_after:
                return
            yield pb.SubscribeResponse(event=data)
        await asyncio.Event().wait()  # a live stream with nothing more to send


def deliver(member: MemberIdentity, counter: int, payload: bytes, at: int | None = None) -> bytes:
    return Deliver(
        counter=SequencerCounter(counter),
        timestamp=Timestamp(T0 + (at if at is not None else counter) * 1_000),
        sender=member.member,
        message_id=MessageId(f"m{counter}"),
        batch=Batch((Envelope.of(payload, [member.member]),)),
    ).to_bytes()


@pytest.fixture
def world() -> Iterator[tuple[Genesis, MemberIdentity]]:
    domain_key = SigningPrivateKey.from_seed(b"\x31" * 32)
    seq = make_identity(MemberKind.SEQUENCER, "seq1")
    p1 = make_identity(MemberKind.PARTICIPANT, "p1")
    genesis = make_genesis(
        "scripted",
        domain_key,
        sequencers=[seq],
        dm=make_identity(MemberKind.DOMAIN_MANAGER, "dm", namespace_key=domain_key),
        mediator=make_identity(MemberKind.MEDIATOR, "med"),
        participants=[p1],
    )
    yield genesis, p1


class Servers:
    def __init__(self) -> None:
        self.servers: list[grpc.aio.Server] = []

    async def start(self, servicer: ScriptedSequencer) -> str:
        server = grpc.aio.server()
        pb_grpc.add_SequencerServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        self.servers.append(server)
        return f"127.0.0.1:{port}"


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    s = Servers()
    yield s
    for server in s.servers:
        await server.stop(0)


def connect(
    world: tuple[Genesis, MemberIdentity], endpoints: list[str], data: Path, rec: Recorder
) -> MemberConnection:
    genesis, p1 = world
    return MemberConnection(
        p1.member, p1.signing_key, genesis.domain, genesis, endpoints, data, rec, tuning=FAST
    )


async def test_a_stream_that_ends_fails_over_and_replays_are_skipped(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    _, p1 = world
    events = [deliver(p1, i, f"e{i}".encode()) for i in range(6)]
    # Node A ends every stream after 2 events; node B serves everything from counter 0,
    # whatever is asked, so the member sees replays it must skip.
    a = ScriptedSequencer(world[0], events, end_after=2)
    b = ScriptedSequencer(world[0], events)
    b_subscribe = b.Subscribe

    async def from_zero(request: Any, context: Any) -> AsyncIterator[Any]:
        request.from_counter = 0
        async for item in b_subscribe(request, context):
            yield item

    b.Subscribe = from_zero  # type: ignore[method-assign]
    rec = Recorder()
    conn = connect(world, [await servers.start(a), await servers.start(b)], tmp_path, rec)
    await conn.start()
    await rec.wait_for(lambda r: len(r.events) == 6, what="all six events")
    assert rec.counters == list(range(6))
    assert a.subscriptions[0] == 0 and b.subscriptions
    await conn.stop()


async def test_a_replayed_counter_with_other_contents_is_fatal(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    _, p1 = world
    honest = [deliver(p1, i, b"x") for i in range(2)]
    lying = [honest[0], deliver(p1, 1, b"changed")]
    rec = Recorder()
    honest_node = await servers.start(ScriptedSequencer(world[0], honest))
    first = connect(world, [honest_node], tmp_path, rec)
    await first.start()
    await rec.wait_for(lambda r: len(r.events) == 2)
    await first.topology.wait_for_time(Timestamp(T0 + 1_000))
    await first.stop()

    # The other node serves another history from counter 1 on (a reorg past the
    # confirmation depth, or a fork). The restarted member asks from its last processed
    # counter itself, so it sees that the event there differs and stops.
    liar = ScriptedSequencer(world[0], lying)
    again = connect(world, [await servers.start(liar)], tmp_path, rec)
    await again.start()
    with pytest.raises(EventMismatchError) as err:
        async with asyncio.timeout(10):
            await again.wait()
    assert err.value.counter == 1
    assert liar.subscriptions[0] == 1
    assert len(rec.events) == 2  # nothing of the other history was handed to the node
    await again.stop()


async def test_a_resubscription_starts_at_the_last_processed_event_and_skips_it(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    _, p1 = world
    events = [deliver(p1, i, b"e") for i in range(3)]
    rec = Recorder()
    node = ScriptedSequencer(world[0], events[:2])
    first = connect(world, [await servers.start(node)], tmp_path, rec)
    await first.start()
    await rec.wait_for(lambda r: len(r.events) == 2)
    await first.stop()
    more = ScriptedSequencer(world[0], events)
    again = connect(world, [await servers.start(more)], tmp_path, rec)
    await again.start()
    await rec.wait_for(lambda r: len(r.events) == 3, what="the third event")
    assert more.subscriptions[0] == 1 and rec.counters == [0, 1, 2]
    await again.stop()


async def test_a_counter_gap_is_fatal(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    _, p1 = world
    events = [deliver(p1, 0, b"a"), deliver(p1, 2, b"c")]
    rec = Recorder()
    conn = connect(world, [await servers.start(ScriptedSequencer(world[0], events))], tmp_path, rec)
    await conn.start()
    with pytest.raises(CounterGapError) as err:
        async with asyncio.timeout(10):
            await conn.wait()
    assert (err.value.expected, err.value.got) == (1, 2)
    assert rec.counters == [0]
    assert await conn.readiness_check().check() is not None
    await conn.stop()


async def test_garbage_events_make_the_member_switch_node(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    _, p1 = world
    good = [deliver(p1, i, b"ok") for i in range(3)]
    bad = ScriptedSequencer(world[0], [good[0], b"\x00garbage", good[2]])
    rec = Recorder()
    endpoints = [await servers.start(bad), await servers.start(ScriptedSequencer(world[0], good))]
    conn = connect(world, endpoints, tmp_path, rec)
    await conn.start()
    await rec.wait_for(lambda r: len(r.events) == 3, what="events from the good node")
    assert rec.counters == [0, 1, 2]
    assert conn.endpoint == endpoints[1]
    await conn.stop()


async def test_history_that_disagrees_is_fatal(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    genesis, p1 = world
    forged = ScriptedSequencer(genesis, [deliver(p1, 0, b"a")])
    other = make_genesis(
        "scripted",
        SigningPrivateKey.from_seed(b"\x31" * 32),
        sequencers=[make_identity(MemberKind.SEQUENCER, "seq-other")],
        dm=make_identity(
            MemberKind.DOMAIN_MANAGER, "dm", namespace_key=SigningPrivateKey.from_seed(b"\x31" * 32)
        ),
        mediator=make_identity(MemberKind.MEDIATOR, "med"),
        participants=[p1],
    )
    forged.history = ScriptedSequencer(other, []).history
    conn = connect(world, [await servers.start(forged)], tmp_path, Recorder())
    with pytest.raises(TopologyHistoryError):
        await conn.start()


async def test_start_gives_up_when_no_sequencer_answers(
    world: tuple[Genesis, MemberIdentity], tmp_path: Path
) -> None:
    genesis, p1 = world
    conn = MemberConnection(
        p1.member,
        p1.signing_key,
        genesis.domain,
        genesis,
        ["127.0.0.1:1"],
        tmp_path,
        Recorder(),
        tuning=FAST,
        start_timeout_s=0.5,
    )
    with pytest.raises(NoSequencerAvailableError) as err:
        await conn.start()
    assert "127.0.0.1:1" in err.value.failures


async def test_events_pruned_on_every_node_is_fatal(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    """OUT_OF_RANGE from one node makes the member try the next; from all of them it is a
    typed fatal error instead of an endless retry loop."""

    class Pruned(ScriptedSequencer):
        async def Subscribe(self, request: Any, context: Any) -> AsyncIterator[Any]:
            self.subscriptions.append(request.from_counter)
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, "counter 0 was pruned")
            yield  # pragma: no cover - makes this an async generator

    a, b = Pruned(world[0], []), Pruned(world[0], [])
    rec = Recorder()
    conn = connect(world, [await servers.start(a), await servers.start(b)], tmp_path, rec)
    await conn.start()
    with pytest.raises(EventsPrunedError) as err:
        async with asyncio.timeout(10):
            await conn.wait()
    assert err.value.next_counter == 0 and len(err.value.answers) == 2
    assert a.subscriptions == [0] and b.subscriptions == [0]
    await conn.stop()


async def test_one_pruned_node_fails_over_to_one_that_has_the_events(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    class Pruned(ScriptedSequencer):
        async def Subscribe(self, request: Any, context: Any) -> AsyncIterator[Any]:
            self.subscriptions.append(request.from_counter)
            await context.abort(grpc.StatusCode.OUT_OF_RANGE, "pruned")
            yield  # pragma: no cover

    _, p1 = world
    events = [deliver(p1, i, b"e") for i in range(3)]
    rec = Recorder()
    pruned = Pruned(world[0], events)
    full = ScriptedSequencer(world[0], events)
    conn = connect(world, [await servers.start(pruned), await servers.start(full)], tmp_path, rec)
    await conn.start()
    await rec.wait_for(lambda r: len(r.events) == 3, what="events from the full node")
    assert rec.counters == [0, 1, 2]
    await conn.stop()


async def test_acknowledgements_stay_one_behind_the_last_processed_event(
    world: tuple[Genesis, MemberIdentity], servers: Servers, tmp_path: Path
) -> None:
    """The sequencer may prune what is acknowledged; the next subscription starts at the
    last processed event, so that one is never acknowledged."""
    genesis, p1 = world
    node = ScriptedSequencer(genesis, [deliver(p1, i, b"e") for i in range(3)])
    rec = Recorder()
    conn = MemberConnection(
        p1.member, p1.signing_key, genesis.domain, genesis, [await servers.start(node)],
        tmp_path, rec, tuning=MemberTuning(
            reconnect_initial_s=0.02, reconnect_max_s=0.1, call_timeout_s=2.0,
            acknowledge_every=1,
        ),
    )  # fmt: skip
    await conn.start()
    await rec.wait_for(lambda r: len(r.events) == 3)
    async with asyncio.timeout(5):
        while len(node.acknowledged) < 2:
            node.acknowledge_seen.clear()
            await node.acknowledge_seen.wait()
    assert node.acknowledged == [0, 1]
    await conn.stop()


async def test_a_pruned_last_processed_event_is_skipped_once_with_a_warning(
    world: tuple[Genesis, MemberIdentity],
    servers: Servers,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A runtime that acknowledged its last event (before acknowledgements stayed one
    behind) may find it pruned everywhere: it resumes after it instead of stopping."""

    class PrunedBelow2(ScriptedSequencer):
        async def Subscribe(self, request: Any, context: Any) -> AsyncIterator[Any]:
            if request.from_counter < 2:
                self.subscriptions.append(request.from_counter)
                await context.abort(grpc.StatusCode.OUT_OF_RANGE, "pruned below 2")
            async for item in super().Subscribe(request, context):
                yield item

    _, p1 = world
    events = [deliver(p1, i, b"e") for i in range(3)]
    rec = Recorder()
    first = connect(
        world, [await servers.start(ScriptedSequencer(world[0], events[:2]))], tmp_path, rec
    )
    await first.start()
    await rec.wait_for(lambda r: len(r.events) == 2)
    await first.stop()
    pruned = PrunedBelow2(world[0], events)
    again = connect(world, [await servers.start(pruned)], tmp_path, rec)
    await again.start()
    await rec.wait_for(lambda r: len(r.events) == 3, what="the event after the pruned one")
    assert pruned.subscriptions == [1, 2] and rec.counters == [0, 1, 2]
    assert "counter 1) is pruned on every node" in caplog.text
    await again.stop()
