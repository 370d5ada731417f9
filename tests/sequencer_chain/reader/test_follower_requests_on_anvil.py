"""The reader's request budget on a real anvil (docs/sequencer.md §3, "Request budget"):
an idle poll is one request, a new block two (three behind a confirmation depth), and the
cheap idle poll still sees a block replaced at the same height."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from protocol.sequencer_messages import decode_sequenced_event
from sequencer_chain.anvil import ManagedAnvil
from sequencer_chain.reader import ChainReader
from tests.sequencer_chain.rpc_counter import RequestCounter
from tests.sequencer_chain.sequencer_support import (
    ALICE,
    BOB,
    Poster,
    batch_of,
    make_reader,
    open_store,
    signed_request,
)
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil

IDLE_POLLS = 25


async def caught_up(reader: ChainReader) -> None:
    for _ in range(100):
        if not await reader.step():
            return
    raise AssertionError("reader did not catch up")


async def payloads(reader: ChainReader) -> list[bytes]:
    events = [
        decode_sequenced_event(e.event) for e in await reader.store.read_events(BOB.member, 0)
    ]
    return [e.batch.envelopes[0].payload for e in events]


def request(tag: str) -> bytes:
    return batch_of(signed_request(ALICE, tag, [(tag.encode(), [BOB.member])]))


@pytest.mark.parametrize("confirmations", [0, 2])
async def test_an_idle_poll_is_one_request(
    w3: Any, deployed: DeployedInbox, tmp_path: Path, confirmations: int
) -> None:
    await Poster(w3, deployed.inbox, deployed.writers[0]).post(request("a"))
    store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
    reader = make_reader(
        w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=confirmations
    )
    counter = RequestCounter(w3)
    await caught_up(reader)
    counter.take()
    for _ in range(IDLE_POLLS):
        assert not await reader.step()
    posts, methods = counter.take()
    assert posts == IDLE_POLLS
    assert methods == {"eth_getBlockByNumber": IDLE_POLLS}
    await store.close()


@pytest.mark.parametrize(("confirmations", "budget"), [(0, 2), (1, 3)])
async def test_a_new_block_costs_two_requests_at_the_head_three_behind_it(
    anvil: ManagedAnvil, deployed: DeployedInbox, tmp_path: Path, confirmations: int, budget: int
) -> None:
    w3 = deployed.inbox.w3
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
    reader = make_reader(
        w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=confirmations
    )
    await caught_up(reader)
    counter = RequestCounter(w3)
    for tag in ("a", "b", "c"):
        await poster.post(request(tag))  # instant mining: one block with one batch
        counter.take()
        assert await reader.step()
        posts, methods = counter.take()
        assert posts == budget, methods
        assert methods["eth_getLogs"] == 1
    anvil.rpc("evm_mine")  # an empty block costs the same
    counter.take()
    assert await reader.step()
    assert counter.take()[0] == budget
    await caught_up(reader)
    assert await payloads(reader) == [b"a", b"b", b"c"]
    await store.close()


@pytest.mark.parametrize("confirmations", [0, 1])
async def test_a_block_replaced_at_the_same_height_is_seen_by_an_idle_poll(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path, confirmations: int
) -> None:
    """The head's number does not move, only its hash: the one-request idle poll must
    still notice, roll back and derive the new branch, as a fresh reader would."""
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    await poster.post(request("common"))
    snapshot = anvil.rpc("evm_snapshot")
    seq = poster.seq
    await poster.post(request("old"))
    for _ in range(confirmations):
        anvil.rpc("evm_mine")
    store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
    reader = make_reader(
        w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=confirmations
    )
    await caught_up(reader)
    assert await payloads(reader) == [b"common", b"old"]
    head = await w3.eth.block_number
    for _ in range(3):
        assert not await reader.step()  # idle: the cheap poll

    assert anvil.rpc("evm_revert", [snapshot]) is True
    poster.seq = seq
    anvil.rpc(
        "evm_setNextBlockTimestamp", [int((await w3.eth.get_block("latest"))["timestamp"]) + 7]
    )
    await poster.post(request("new"))
    for _ in range(confirmations):
        anvil.rpc("evm_mine")
    assert await w3.eth.block_number == head  # same height, another block

    await caught_up(reader)
    assert reader.rollbacks == 1
    assert await payloads(reader) == [b"common", b"new"]
    fresh = await open_store(tmp_path / "fresh.sqlite", deployed.inbox)
    await caught_up(
        make_reader(
            w3, deployed.inbox, fresh, deployed.record.deploy_block, confirmations=confirmations
        )
    )
    assert await fresh.all_events() == await store.all_events()
    await fresh.close()
    await store.close()


@pytest.mark.parametrize("confirmations", [0, 1])
async def test_a_reorg_one_block_longer_is_seen_through_the_parent_hash(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path, confirmations: int
) -> None:
    """The new branch is one block longer: the step reads one block above the cursor, and
    that block's parent hash (not the cursor's own header) reveals the reorg."""
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    await poster.post(request("common"))
    snapshot = anvil.rpc("evm_snapshot")
    seq = poster.seq
    await poster.post(request("old"))
    for _ in range(confirmations):
        anvil.rpc("evm_mine")
    store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
    reader = make_reader(
        w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=confirmations
    )
    await caught_up(reader)
    head = await w3.eth.block_number

    assert anvil.rpc("evm_revert", [snapshot]) is True
    poster.seq = seq
    await poster.post(request("new"))
    for _ in range(confirmations + 1):
        anvil.rpc("evm_mine")
    assert await w3.eth.block_number == head + 1

    await caught_up(reader)
    assert reader.rollbacks == 1
    assert await payloads(reader) == [b"common", b"new"]
    await store.close()
