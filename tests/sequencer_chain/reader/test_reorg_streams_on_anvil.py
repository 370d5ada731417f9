"""What a subscriber sees while the chain reorganises, and what pruning removes: a real
anvil (instant mining, snapshot/revert for the reorgs), the reader running as its task, and
members on a real gRPC server over the same store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from node_runtime.member import SequencerClient
from protocol.sequencer_messages import Deliver, decode_sequenced_event
from sequencer_chain.anvil import ManagedAnvil
from sequencer_chain.api import ApiServer, Authenticator, SequencerService
from sequencer_chain.reader import ChainReader
from sequencer_chain.store import EventStore
from tests.sequencer_chain.sequencer_support import (
    ALICE,
    BOB,
    CAROL,
    DOMAIN,
    SEQ1,
    Party,
    Poster,
    batch_of,
    make_reader,
    open_store,
    signed_request,
    static_members,
    wait_until,
)
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil


class NullSink:
    async def enqueue(self, request: bytes, message_key: bytes) -> object:
        return None


@dataclass
class Harness:
    store: EventStore
    reader: ChainReader
    server: ApiServer

    async def client(self, party: Party) -> SequencerClient:
        client = SequencerClient(f"127.0.0.1:{self.server.port}", party.member, party.key)
        await client.authenticate()
        return client


Start = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def start(w3: Any, deployed: DeployedInbox, tmp_path: Path) -> AsyncIterator[Start]:
    """A reader task and an API server over one fresh store; both stopped afterwards."""
    made: list[tuple[Harness, asyncio.Task[None]]] = []

    async def factory(**reader_config: Any) -> Harness:
        store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
        reader = make_reader(
            w3, deployed.inbox, store, deployed.record.deploy_block, **reader_config
        )
        members = static_members()
        service = SequencerService(
            domain_id=DOMAIN,
            store=store,
            sink=NullSink(),
            members=members,
            auth=Authenticator(domain_id=DOMAIN, sequencer=SEQ1.member, members=members),
        )
        server = ApiServer(service)
        await server.start()
        harness = Harness(store, reader, server)
        made.append((harness, asyncio.create_task(reader.run())))
        return harness

    yield factory
    for harness, task in made:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await harness.server.stop()
        await harness.store.close()


class Follower:
    """A subscription read in the background: what arrived, and how the stream ended."""

    def __init__(self, client: SequencerClient, from_counter: int) -> None:
        self.received: list[bytes] = []
        self.error: grpc.aio.AioRpcError | None = None
        self.task = asyncio.create_task(self._follow(client, from_counter))

    async def _follow(self, client: SequencerClient, from_counter: int) -> None:
        try:
            async for data in client.subscribe_raw(from_counter):
                self.received.append(data)
        except grpc.aio.AioRpcError as exc:
            self.error = exc

    def payloads(self) -> list[bytes]:
        out = []
        for data in self.received:
            event = decode_sequenced_event(data)
            assert isinstance(event, Deliver)
            out.append(event.batch.envelopes[0].payload)
        return out

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def to(recipient: Party, message_id: str, payload: bytes) -> bytes:
    return batch_of(signed_request(ALICE, message_id, [(payload, [recipient.member])]))


async def test_a_reorg_deeper_than_the_depth_never_gives_a_subscriber_two_histories(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, start: Start
) -> None:
    """Bob's live stream was sent an event from blocks the chain then replaced: it ends
    with ABORTED instead of receiving the new branch's event at the same counter; Bob
    resubscribing gets the new branch, byte-identical to a fresh derivation of it."""
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    await poster.post(to(BOB, "keep", b"common"))
    snapshot = anvil.rpc("evm_snapshot")
    seq_at_snapshot = poster.seq
    await poster.post(to(BOB, "old", b"old-branch"))
    anvil.rpc("evm_mine")  # depth 1: the old branch's batch is derived and streamed
    harness = await start(confirmations=1)
    bob = await harness.client(BOB)
    live = Follower(bob, 0)
    await wait_until(lambda: len(live.received) == 2, what="both events streamed")
    assert live.payloads() == [b"common", b"old-branch"]
    # Carol follows too, but the old branch had nothing for her.
    carol = await harness.client(CAROL)
    carol_live = Follower(carol, 0)

    assert anvil.rpc("evm_revert", [snapshot]) is True
    poster.seq = seq_at_snapshot
    anvil.rpc("evm_mine")  # another block at the old height
    await poster.post(to(BOB, "new", b"new-branch"))
    await poster.post(to(CAROL, "for-carol", b"carol-new"))
    anvil.rpc("evm_mine")
    await wait_until(live.task.done, what="Bob's stream to end")
    assert live.error is not None and live.error.code() == grpc.StatusCode.ABORTED
    assert live.payloads() == [b"common", b"old-branch"]  # nothing after, nothing else
    assert harness.reader.rollbacks == 1
    # Carol had not been sent anything removed: her stream just goes on, on the new branch.
    await wait_until(lambda: len(carol_live.received) == 1, what="Carol's event")
    assert carol_live.payloads() == [b"carol-new"] and not carol_live.task.done()

    again = Follower(bob, 1)
    await wait_until(lambda: len(again.received) == 1, what="the new branch at counter 1")
    assert again.payloads() == [b"new-branch"]
    fresh = await open_store(harness.store.path.with_name("fresh.sqlite"), deployed.inbox)
    fresh_reader = make_reader(
        w3, deployed.inbox, fresh, deployed.record.deploy_block, confirmations=1
    )
    while await fresh_reader.step():
        pass
    assert [e.event for e in await fresh.read_events(BOB.member, 0)] == [
        live.received[0],
        again.received[0],
    ]
    assert await fresh.all_events() == await harness.store.all_events()
    await fresh.close()
    for follower in (again, carol_live):
        await follower.stop()
    await bob.close()
    await carol.close()


async def test_a_reorg_within_the_depth_is_never_seen_by_a_subscriber(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, start: Start
) -> None:
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    harness = await start(confirmations=3)
    await wait_until(harness.reader.caught_up.is_set, what="the reader to catch up")
    bob = await harness.client(BOB)
    live = Follower(bob, 0)
    snapshot = anvil.rpc("evm_snapshot")
    seq_at_snapshot = poster.seq
    await poster.post(to(BOB, "shallow", b"orphan"))
    anvil.rpc("evm_mine")  # two blocks on the snapshot: not yet at depth 3
    head = await w3.eth.block_number
    await wait_until(
        lambda: (
            harness.reader.cursor is not None and harness.reader.cursor.block_number == head - 3
        ),
        what="the reader to reach head - 3",
    )
    assert live.received == []

    assert anvil.rpc("evm_revert", [snapshot]) is True
    poster.seq = seq_at_snapshot
    await poster.post(to(BOB, "canonical", b"kept"))
    for _ in range(3):
        anvil.rpc("evm_mine")
    await wait_until(lambda: len(live.received) == 1, what="the canonical event")
    assert live.payloads() == [b"kept"]
    assert harness.reader.rollbacks == 0 and not live.task.done()
    await live.stop()
    await bob.close()


async def test_acknowledged_events_are_pruned_once_deep_and_others_kept(
    w3: Any, deployed: DeployedInbox, start: Start
) -> None:
    """Acknowledge sets the pruning watermark: the reader deletes a member's events up to
    it once their blocks are ``keep_blocks`` below the cursor; a subscription from a pruned
    counter is OUT_OF_RANGE; unacknowledged events stay, however deep."""
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    for i in range(3):
        await poster.post(to(BOB, f"b{i}", b"bob-%d" % i))
        await poster.post(to(CAROL, f"c{i}", b"carol-%d" % i))
    harness = await start(confirmations=0, keep_blocks=2, prune_every_steps=1)
    store = harness.store
    await wait_until(harness.reader.caught_up.is_set, what="the reader to catch up")
    bob = await harness.client(BOB)
    await bob.acknowledge(1)
    assert await store.acknowledged(BOB.member) == 1
    await bob.acknowledge(0)  # never lowers the watermark
    assert await store.acknowledged(BOB.member) == 1
    assert await store.first_counter(BOB.member) == 0  # nothing pruned before blocks pass

    for i in range(3):  # more blocks: the acknowledged ones sink below keep_blocks
        await poster.post(to(CAROL, f"later{i}", b"x"))

    async def pruned() -> bool:
        derived = await store.next_counter(CAROL.member) == 6
        return derived and await store.first_counter(BOB.member) != 0

    await wait_until(pruned, what="Bob's acknowledged events to be pruned")
    assert await store.first_counter(BOB.member) == 2
    assert [e.counter for e in await store.read_events(BOB.member, 0)] == [2]
    assert [e.counter for e in await store.read_events(CAROL.member, 0)] == list(range(6))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for _ in bob.subscribe_raw(0):
            pass
    assert err.value.code() == grpc.StatusCode.OUT_OF_RANGE
    resumed = Follower(bob, 2)
    await wait_until(lambda: len(resumed.received) == 1, what="Bob's kept event")
    assert resumed.payloads() == [b"bob-2"]
    await resumed.stop()
    await bob.close()
