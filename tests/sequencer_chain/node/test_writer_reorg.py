"""A node's writer keeps its requests until their batch is ``[chain] confirmations`` deep: a
reorg that drops a mined batch (shallower than the depth) costs nothing. A real node (its
writer, its reader, the real outbox) on an instant-mining anvil; ``anvil_reorg`` replaces the
blocks holding the batch with empty ones and drops its transaction, as a real reorg that the
new branch's producer did not include."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from node_runtime.member import SequencerClient
from protocol.batch_format import decode_batch
from protocol.sequencer_messages import Deliver, SequencedEvent
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.node import OUTBOX_DB, SequencerNode
from tests.sequencer_chain.node.conftest import NodeFactory
from tests.sequencer_chain.sequencer_support import (
    ALICE,
    BOB,
    Party,
    signed_request,
    wait_until,
)
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil

DEPTH = 3


@pytest.fixture
def anvil() -> Iterator[ManagedAnvil]:
    """Instant mining: the chain moves only when a transaction comes or the test mines, so
    the test knows how deep the batch is when it reorganises the chain."""
    with ManagedAnvil(AnvilConfig()) as node:
        yield node


async def client_for(node: SequencerNode, party: Party) -> SequencerClient:
    client = SequencerClient(node.target, party.member, party.key)
    await client.authenticate()
    return client


async def collect(stream: AsyncIterator[SequencedEvent], into: list[SequencedEvent]) -> None:
    async for event in stream:
        into.append(event)


def batch_state(node: SequencerNode, writer_seq: int) -> str | None:
    """The batch's state in the node's outbox, read by a connection of the test's own."""
    path = node.config.path(node.config.node.data_dir) / OUTBOX_DB
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT state FROM batches WHERE writer_seq = ?", (writer_seq,)).fetchone()
    return None if row is None else str(row[0])


async def mine_forever(anvil: ManagedAnvil, every_s: float) -> None:
    while True:
        anvil.rpc("evm_mine")
        await asyncio.sleep(every_s)


async def test_a_batch_reorged_out_below_the_depth_is_appended_and_delivered_exactly_once(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, make_node: NodeFactory
) -> None:
    node = await make_node(confirmations=DEPTH)
    inbox, account = deployed.inbox, deployed.writers[0].address  # dev key 1, the node's
    alice = await client_for(node, ALICE)
    bob = await client_for(node, BOB)
    received: list[SequencedEvent] = []
    follower = asyncio.create_task(collect(bob.subscribe(0), received))
    payloads = [b"before-%d" % i for i in range(3)] + [b"after-%d" % i for i in range(3)]

    for i, payload in enumerate(payloads[:3]):
        await alice.send(signed_request(ALICE, f"m{i}", [(payload, [BOB.member])]))

    async def landed(n: int) -> bool:
        return await inbox.next_writer_seq(account) == n

    await wait_until(lambda: landed(1), 60, "the first batch to be mined")
    await wait_until(
        lambda: batch_state(node, 0) in ("mined", "confirmed"), 60, "the writer to see it mined"
    )
    anvil.rpc("evm_mine")  # one block on top: below the depth of 3
    head = await w3.eth.block_number
    (mined,) = await inbox.batches(deployed.record.deploy_block, head)
    assert head - mined.block_number + 1 < DEPTH
    anvil.rpc("anvil_reorg", [head - mined.block_number + 1, []])
    assert await w3.eth.block_number == head
    assert await inbox.next_writer_seq(account) == 0  # the batch is gone, and its transaction
    assert await inbox.batches(deployed.record.deploy_block, head) == []

    for i, payload in enumerate(payloads[3:], start=3):
        await alice.send(signed_request(ALICE, f"m{i}", [(payload, [BOB.member])]))
    miner = asyncio.create_task(mine_forever(anvil, 0.2))
    try:
        await wait_until(lambda: len(received) >= len(payloads), 90, "all six events")
        assert node.writer is not None
        await wait_until(
            lambda: node.writer is not None and node.writer.metrics().pending_requests == 0,
            20,
            "the outbox to empty",
        )
        await asyncio.sleep(DEPTH * 0.2 + 1.0)  # more blocks: nothing else arrives
    finally:
        miner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await miner
    assert node.writer is not None and node.writer.failure is None
    delivered = [e for e in received if isinstance(e, Deliver)]
    assert delivered == received
    assert [e.counter for e in delivered] == list(range(len(payloads)))
    assert [e.batch.envelopes[0].payload for e in delivered] == payloads

    # On chain: every request appended exactly once, by this node's writer.
    head = await w3.eth.block_number
    on_chain = await inbox.batches(deployed.record.deploy_block, head)
    assert {b.writer for b in on_chain} == {account}
    assert [b.writer_seq for b in on_chain] == list(range(len(on_chain)))
    message_ids = [
        str(r.request.message_id) for b in on_chain for r in decode_batch(b.batch).requests
    ]
    assert sorted(message_ids) == [f"m{i}" for i in range(len(payloads))]

    follower.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await follower
    await alice.close()
    await bob.close()
