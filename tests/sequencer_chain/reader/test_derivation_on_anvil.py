"""Derivation against a real anvil: order, hash chain, garbage batches, DeliverErrors,
restart, and reorgs below and above the confirmation depth."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest

from protocol.sequencer_messages import (
    Deliver,
    DeliverError,
    DeliverErrorCode,
    decode_sequenced_event,
)
from protocol.timestamp import now
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.contract import (
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)
from sequencer_chain.errors import HashChainMismatchError
from sequencer_chain.reader import ChainReader, DerivationState, check_hash_chain
from sequencer_chain.store import EventStore
from tests.sequencer_chain.sequencer_support import (
    ALICE,
    BOB,
    CAROL,
    DORMANT,
    MALLORY,
    Poster,
    batch_of,
    make_reader,
    open_store,
    signed_request,
)
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil


async def catch_up(reader: ChainReader) -> None:
    """Step until the reader has read everything below head - confirmations."""
    for _ in range(100):
        if not await reader.step():
            return
    raise AssertionError("reader did not catch up")


async def events_of(store: EventStore, member: Any) -> list[Any]:
    return [decode_sequenced_event(e.event) for e in await store.read_events(member, 0, 10_000)]


async def test_batches_become_events_in_order(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    r1 = signed_request(
        ALICE, "m1", [(b"to-bob", [BOB.member]), (b"to-all", [BOB.member, CAROL.member])]
    )
    r2 = signed_request(BOB, "m2", [(b"reply", [ALICE.member])])
    r3 = signed_request(CAROL, "m3", [(b"x", [ALICE.member])])
    await poster.post(batch_of(r1, r2))
    await poster.post(batch_of(r3))
    store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
    reader = make_reader(w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=0)
    await catch_up(reader)

    alice = await events_of(store, ALICE.member)
    bob = await events_of(store, BOB.member)
    carol = await events_of(store, CAROL.member)
    assert [type(e) for e in alice] == [Deliver, Deliver, Deliver]
    assert [e.counter for e in alice] == [0, 1, 2]
    # Alice's receipt carries her message id and only her envelopes (none).
    assert alice[0].message_id == "m1" and alice[0].batch.envelopes == ()
    assert alice[1].message_id is None and alice[1].sender == BOB.member
    assert [e.payload for e in alice[1].batch.envelopes] == [b"reply"]
    assert [e.payload for e in bob[0].batch.envelopes] == [b"to-bob", b"to-all"]
    assert [e.payload for e in carol[0].batch.envelopes] == [b"to-all"]
    assert carol[1].message_id == "m3"
    # One request, one time; times strictly increase along the total order.
    assert alice[0].timestamp == bob[0].timestamp == carol[0].timestamp
    assert alice[0].timestamp < alice[1].timestamp < alice[2].timestamp
    assert bob[1].timestamp == alice[1].timestamp
    cursor = await store.cursor()
    assert cursor is not None
    count, acc = await deployed.inbox.head()
    assert (cursor.next_batch_seq, cursor.acc) == (count, acc)
    await store.close()


async def test_garbage_batch_is_skipped_and_next_delivered(
    w3: Any, deployed: DeployedInbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two allowed writers each post a garbage batch between good ones; every reader skips
    the same batches (logged with their batch seq), keeps going, and derives the same events."""
    first, second = (Poster(w3, deployed.inbox, w) for w in deployed.writers)
    await first.post(b"\x07not a batch at all")
    await first.post(batch_of(signed_request(ALICE, "after-garbage", [(b"ok", [BOB.member])])))
    await second.post(batch_of(signed_request(ALICE, "x", [(b"y", [BOB.member])]))[:-3])
    await second.post(batch_of(signed_request(CAROL, "after-more", [(b"ok2", [BOB.member])])))
    stores = []
    with caplog.at_level(logging.WARNING, logger="sequencer_chain.reader.derivation"):
        for name in ("one", "two"):
            store = await open_store(tmp_path / f"{name}.sqlite", deployed.inbox)
            stores.append(store)
            reader = make_reader(
                w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=0
            )
            await catch_up(reader)
            assert reader.skipped_batches == [0, 2]
            bob = await events_of(store, BOB.member)
            assert [e.batch.envelopes[0].payload for e in bob] == [b"ok", b"ok2"]
            assert [e.counter for e in bob] == [0, 1]
            cursor = await store.cursor()
            assert cursor is not None and cursor.next_batch_seq == 4
    skipped = [r.getMessage() for r in caplog.records if "undecodable batch" in r.getMessage()]
    assert len(skipped) == 4  # two readers, two batches each
    assert sum("undecodable batch 0 " in m for m in skipped) == 2
    assert sum("undecodable batch 2 " in m for m in skipped) == 2
    assert await stores[0].all_events() == await stores[1].all_events()
    for store in stores:
        await store.close()


async def test_invalid_requests_give_deliver_error_to_sender_only_and_forged_are_dropped(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    expired = signed_request(
        ALICE, "late", [(b"p", [BOB.member])], max_sequencing_time=now() - 120_000_000
    )
    bad_sig = signed_request(ALICE, "forged", [(b"p", [BOB.member])], signer=CAROL.key)
    unknown_rcpt = signed_request(ALICE, "to-mallory", [(b"p", [MALLORY.member])])
    from_dormant = signed_request(DORMANT, "dormant", [(b"p", [BOB.member])])
    from_unknown = signed_request(MALLORY, "mallory", [(b"p", [BOB.member])])
    ok = signed_request(ALICE, "ok", [(b"p", [BOB.member])])
    dup = signed_request(ALICE, "ok", [(b"again", [BOB.member])])
    await poster.post(batch_of(expired, bad_sig, unknown_rcpt, from_dormant, from_unknown, ok, dup))
    store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
    reader = make_reader(w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=0)
    await catch_up(reader)

    alice = await events_of(store, ALICE.member)
    codes = [e.reason.code if isinstance(e, DeliverError) else "ok" for e in alice]
    # The request signed with Carol's key was not written by Alice: dropped, no receipt.
    assert codes == [
        DeliverErrorCode.MAX_SEQUENCING_TIME_EXCEEDED,
        DeliverErrorCode.UNKNOWN_RECIPIENTS,
        "ok",
        DeliverErrorCode.DUPLICATE_MESSAGE_ID,
    ]
    assert [e.message_id for e in alice] == ["late", "to-mallory", "ok", "ok"]
    dormant = await events_of(store, DORMANT.member)
    assert [e.reason.code for e in dormant] == [DeliverErrorCode.UNKNOWN_SENDER]
    # Bob sees only the one valid request; a sender with no key gets no stream at all.
    bob = await events_of(store, BOB.member)
    assert len(bob) == 1 and bob[0].counter == 0 and bob[0].batch.envelopes[0].payload == b"p"
    assert await events_of(store, MALLORY.member) == []
    # Every request took a time, valid, invalid or dropped, strictly increasing in batch
    # order: the two dropped ones leave gaps between the times of their neighbours.
    times = sorted({e.timestamp for e in await store.all_events()})
    assert len(times) == 5
    by_id = {e.message_id: e.timestamp for e in alice if e.message_id != "ok"}
    assert by_id["to-mallory"] - by_id["late"] >= 2  # "forged" took the time between
    assert by_id["to-mallory"] < dormant[0].timestamp < bob[0].timestamp
    await store.close()


async def test_restart_resumes_from_cursor_with_identical_counters(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    for i in range(3):
        await poster.post(batch_of(signed_request(ALICE, f"a{i}", [(b"%d" % i, [BOB.member])])))
    path = tmp_path / "events.sqlite"
    store = await open_store(path, deployed.inbox)
    reader = make_reader(w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=0)
    await catch_up(reader)
    before = await store.all_events()
    await store.close()

    for i in range(3, 5):
        await poster.post(batch_of(signed_request(ALICE, f"a{i}", [(b"%d" % i, [BOB.member])])))
    store = await open_store(path, deployed.inbox)
    reader = make_reader(w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=0)
    await catch_up(reader)
    after = await store.all_events()
    await store.close()

    # The restarted reader kept the old events and continued the counters.
    assert after[: len(before)] == before or set(before) <= set(after)
    bob = [e for e in after if e.member == BOB.member]
    assert [e.counter for e in bob] == [0, 1, 2, 3, 4]
    # A from-scratch derivation gives byte-identical events.
    fresh = await open_store(tmp_path / "fresh.sqlite", deployed.inbox)
    await catch_up(
        make_reader(w3, deployed.inbox, fresh, deployed.record.deploy_block, confirmations=0)
    )
    assert await fresh.all_events() == after
    await fresh.close()


def test_hash_chain_mismatch_is_a_hard_error() -> None:
    from eth_utils.crypto import keccak

    from sequencer_chain.contract import ZERO_HASH, BatchAppended, next_acc

    batch = b"abc"
    good = BatchAppended(
        0,
        "0x" + "00" * 20,
        0,
        keccak(batch),
        next_acc(ZERO_HASH, batch),
        batch,
        5,
        b"\x00" * 32,
        0,
        b"\x00" * 32,
    )
    state = DerivationState(0, ZERO_HASH, None)
    assert check_hash_chain(state, good) == good.acc
    with pytest.raises(HashChainMismatchError):
        check_hash_chain(DerivationState(0, b"\x11" * 32, None), good)
    with pytest.raises(HashChainMismatchError):
        check_hash_chain(DerivationState(1, ZERO_HASH, None), good)


# ---------------------------------------------------------------------------- reorgs


async def test_reorg_below_depth_rolls_back_and_never_shows_two_histories(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    """The reader (depth 1) derives a batch; the chain then replaces it with another.
    The store ends up exactly as a fresh derivation of the new chain, and a subscriber
    that followed along never sees a second, different event at a counter it already has."""
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    await poster.post(batch_of(signed_request(ALICE, "keep", [(b"common", [BOB.member])])))
    snapshot = anvil.rpc("evm_snapshot")
    seq_at_snapshot = poster.seq
    await poster.post(batch_of(signed_request(ALICE, "old", [(b"old-branch", [BOB.member])])))
    anvil.rpc("evm_mine")
    store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
    reader = make_reader(w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=1)
    await catch_up(reader)
    seen: dict[int, bytes] = {}
    for e in await store.read_events(BOB.member, 0):
        seen[e.counter] = e.event
    assert len(seen) == 2

    assert anvil.rpc("evm_revert", [snapshot]) is True
    poster.seq = seq_at_snapshot
    anvil.rpc("evm_mine")  # a different block at the old height
    await poster.post(batch_of(signed_request(ALICE, "new", [(b"new-branch", [BOB.member])])))
    for _ in range(2):
        anvil.rpc("evm_mine")
    await catch_up(reader)
    assert reader.rollbacks == 1
    rollbacks = store.rollbacks_since(0)
    assert rollbacks and rollbacks[0].first_removed.get(BOB.member) == 1

    bob = await events_of(store, BOB.member)
    assert [e.batch.envelopes[0].payload for e in bob] == [b"common", b"new-branch"]
    # What was below the common ancestor is untouched; counter 1 now holds the new branch.
    after = {e.counter: e.event for e in await store.read_events(BOB.member, 0)}
    assert after[0] == seen[0] and after[1] != seen[1]
    fresh = await open_store(tmp_path / "fresh.sqlite", deployed.inbox)
    await catch_up(
        make_reader(w3, deployed.inbox, fresh, deployed.record.deploy_block, confirmations=1)
    )
    assert await fresh.all_events() == await store.all_events()
    await fresh.close()
    await store.close()


async def test_reorg_above_depth_is_invisible(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    store = await open_store(tmp_path / "events.sqlite", deployed.inbox)
    reader = make_reader(w3, deployed.inbox, store, deployed.record.deploy_block, confirmations=3)
    await catch_up(reader)
    snapshot = anvil.rpc("evm_snapshot")
    seq_at_snapshot = poster.seq
    await poster.post(batch_of(signed_request(ALICE, "shallow", [(b"orphan", [BOB.member])])))
    anvil.rpc("evm_mine")  # 2 blocks on top of the snapshot: below the depth of 3
    await catch_up(reader)
    assert await store.read_events(BOB.member, 0) == []

    assert anvil.rpc("evm_revert", [snapshot]) is True
    poster.seq = seq_at_snapshot
    await poster.post(batch_of(signed_request(ALICE, "canonical", [(b"kept", [BOB.member])])))
    for _ in range(4):
        anvil.rpc("evm_mine")
    await catch_up(reader)
    assert reader.rollbacks == 0
    bob = await events_of(store, BOB.member)
    assert [e.batch.envelopes[0].payload for e in bob] == [b"kept"]
    await store.close()


async def test_reader_task_follows_live_chain(tmp_path: Path) -> None:
    """run() wakes subscribers through the store as new blocks arrive. Interval mining:
    anvil's instant mining can strand a transaction while another client polls it."""
    with ManagedAnvil(AnvilConfig(block_time=0.5)) as chain:
        w3 = await connect(chain.rpc_url)
        owner, writer = dev_account(0, 31337), dev_account(1, 31337)
        record = await deploy_inbox(w3, owner, domain_id_bytes("live"))
        inbox = InboxContract(w3, record.address)
        await send_transaction(
            w3, owner, to=record.address, data=inbox.calldata("addWriter", writer.address)
        )
        poster = Poster(w3, inbox, writer)
        store = await open_store(tmp_path / "events.sqlite", inbox)
        reader = make_reader(w3, inbox, store, record.deploy_block, confirmations=1)
        task = asyncio.create_task(reader.run())
        try:
            changed = store.changed()
            await poster.post(batch_of(signed_request(ALICE, "live", [(b"tail", [BOB.member])])))
            await asyncio.wait_for(changed.wait(), 10)
            assert len(await store.read_events(BOB.member, 0)) == 1
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await store.close()
            await w3.provider.disconnect()
