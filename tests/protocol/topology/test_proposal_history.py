"""Pending proposals in the served history (``docs/topology.md`` §8): a member that
replays the accepted history and the proposals pending at a time holds the same pending
proposals as a node that received every broadcast, so it takes the same decisions on
what follows; the proposal log survives a restart, a rollback and the schema 1 -> 2
migration; catch-up skips proposals it holds and refuses those it missed."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from protocol.timestamp import Timestamp
from protocol.topology import (
    Accepted,
    HostingParticipant,
    MalformedTopologyError,
    ParticipantPermission,
    PartyToParticipant,
    ProposalRecord,
    Proposed,
    Rejected,
    TopologyProcessor,
    TopologyStore,
    TopologyStoreError,
    decode_proposal_record,
    encode_proposal_record,
    replay_order,
)
from protocol.topology.transactions import Operation
from tests.protocol.topology.support import World, participant, party, tx

T1 = 1_700_000_000_000_000 + 10_000_000
SUB = ParticipantPermission.SUBMISSION


def hosting(name: str, owner_name: str, hosts: list[str], threshold: int) -> PartyToParticipant:
    return PartyToParticipant(
        party(name, participant(owner_name)),  # type: ignore[arg-type]
        threshold,
        tuple(HostingParticipant(participant(h).member, SUB) for h in sorted(hosts)),
    )


def scenario(world: World) -> list[tuple[int, bytes]]:
    """Three participants; alice on all three (three proposals, the third completes);
    bob proposed on p1+p2, then added on p1 alone (the proposal is dropped); carol
    proposed and never completed; as (sequenced_at, bytes)."""
    p1, p2, p3 = participant("p1"), participant("p2"), participant("p3")
    alice = hosting("alice", "p1", ["p1", "p2", "p3"], 3)
    bob_both = hosting("bob", "p1", ["p1", "p2"], 1)
    bob_alone = hosting("bob", "p1", ["p1"], 1)
    carol = hosting("carol", "p2", ["p2", "p3"], 1)
    steps = [(T1, s) for p in (p1, p2, p3) for s in world.onboarding(p)]
    steps += [
        (T1 + 100, tx(Operation.ADD, 1, alice, [p1.root], proposal=True)),
        (T1 + 200, tx(Operation.ADD, 1, bob_both, [p1.root], proposal=True)),
        (T1 + 300, tx(Operation.ADD, 1, alice, [p2.root], proposal=True)),
        (T1 + 300, tx(Operation.ADD, 1, carol, [p2.root], proposal=True)),
        (T1 + 400, tx(Operation.ADD, 1, bob_alone, [p1.root])),
        (T1 + 500, tx(Operation.ADD, 1, alice, [p3.root], proposal=True)),
    ]
    return [(t, s.encode()) for t, s in steps]


async def open_store(world: World, path: Path) -> TopologyStore:
    store = await TopologyStore.open(path, world.domain)
    await store.load_genesis(world.genesis())
    return store


def decided_up_to(world: World, steps: list[tuple[int, bytes]], at: int) -> TopologyProcessor:
    processor = world.processor()
    for t, data in steps:
        if t <= at:
            processor.process_bytes(data, Timestamp(t))
    return processor


async def test_replaying_history_and_proposals_rebuilds_the_pending_state(
    world: World, tmp_path: Path
) -> None:
    steps = scenario(world)
    source = await open_store(world, tmp_path / "source.sqlite")
    try:
        outcomes = [await source.process_bytes(d, Timestamp(t)) for t, d in steps]
        kinds = [type(o).__name__ for o in outcomes[9:]]  # after the 3 onboardings
        assert kinds == ["Proposed", "Proposed", "Proposed", "Proposed", "Accepted", "Accepted"]
        times = sorted({t for t, _ in steps})
        for index, at in enumerate(times):
            bound = Timestamp(at)
            expected = decided_up_to(world, steps, at)
            served = replay_order(source.history(bound), source.proposals(bound))
            member = await open_store(world, tmp_path / f"member{index}.sqlite")
            try:
                await member.catch_up(served)
                assert member.history() == expected.history()
                assert member.pending_proposals() == expected.pending_proposals()
                # What follows is decided the same way as on a node that saw everything.
                for t, data in steps:
                    if t > at:
                        mine = await member.process_bytes(data, Timestamp(t))
                        theirs = expected.process_bytes(data, Timestamp(t))
                        assert type(mine) is type(theirs), (at, t)
                assert member.history() == source.history()
                assert member.pending_proposals() == source.pending_proposals()
            finally:
                await member.close()
        # Pending at the end: carol only (alice accepted, bob's proposal dropped).
        assert [p.signed.transaction.mapping for p in source.proposals()] == [
            hosting("carol", "p2", ["p2", "p3"], 1)
        ]
        # Pending just before alice completes: both halves of alice, and carol; not bob.
        before = source.proposals(Timestamp(T1 + 400))
        base = len(world.genesis().transactions) + 9  # genesis, then 3 onboardings of 3
        assert [(r.sequenced_at, r.position) for r in before] == [
            (T1 + 100, base),
            (T1 + 300, base),
            (T1 + 300, base),
        ]
    finally:
        await source.close()


async def test_proposal_log_survives_restart_rollback_and_migration(
    world: World, tmp_path: Path
) -> None:
    steps = scenario(world)
    path = tmp_path / "store.sqlite"
    store = await open_store(world, path)
    for t, data in steps:
        await store.process_bytes(data, Timestamp(t))
    log = store.proposal_log()
    assert [e.resolved_at for e in log] == [T1 + 500, T1 + 400, T1 + 500, None]
    await store.close()

    store = await TopologyStore.open(path, world.domain)
    assert store.proposal_log() == log
    assert await store.rollback_to(Timestamp(T1 + 300)) == 2
    assert store.proposals() == decided_up_to(world, steps, T1 + 300).proposals()
    assert [e.resolved_at for e in store.proposal_log()] == [None, None, None, None]
    await store.close()
    reopened = await TopologyStore.open(path, world.domain)
    assert reopened.proposal_log() == decided_up_to(world, steps, T1 + 300).proposal_log()
    for t, data in steps:
        if t > T1 + 300:
            await reopened.process_bytes(data, Timestamp(t))
    assert reopened.proposal_log() == log
    await reopened.close()

    # A schema 1 file (no proposal log) is migrated: the log is rebuilt from the inputs.
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE proposals")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    migrated = await TopologyStore.open(path, world.domain)
    try:
        assert migrated.proposal_log() == log
    finally:
        await migrated.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            "2",
        )
        assert db.execute("SELECT COUNT(*) FROM proposals").fetchone() == (len(log),)


async def test_catch_up_skips_known_proposals_and_refuses_missed_ones(
    world: World, tmp_path: Path
) -> None:
    steps = scenario(world)
    source = await open_store(world, tmp_path / "source.sqlite")
    member = await open_store(world, tmp_path / "member.sqlite")
    try:
        for t, data in steps[:-2]:  # alice and carol pending, bob's proposal dropped
            await source.process_bytes(data, Timestamp(t))
            await member.process_bytes(data, Timestamp(t))
        served = replay_order(source.history(), source.proposals())
        assert await member.catch_up(served) == 0  # it saw every broadcast
        # A member that missed a proposal sequenced before its last processed input.
        lacking = await open_store(world, tmp_path / "lacking.sqlite")
        try:
            for t, data in steps[:-2]:
                if t != T1 + 100:
                    await lacking.process_bytes(data, Timestamp(t))
            with pytest.raises(TopologyStoreError, match="a broadcast was missed"):
                await lacking.catch_up(served)
        finally:
            await lacking.close()
        # A served proposal that this store would not keep pending: a disagreement.
        accepted = source.history()[-1]
        forged = ProposalRecord(len(member.history()), Timestamp(T1 + 900), accepted.signed)
        with pytest.raises(TopologyStoreError, match="rejected DUPLICATE"):
            await member.catch_up([forged])
        wrong_position = dataclasses.replace(served[-1], position=3, sequenced_at=T1 + 950)  # type: ignore[arg-type]
        assert isinstance(wrong_position, ProposalRecord)
        with pytest.raises(TopologyStoreError, match="are accepted here"):
            await member.catch_up([wrong_position])
    finally:
        await source.close()
        await member.close()


def test_proposal_record_encoding_and_replay_order(world: World) -> None:
    steps = scenario(world)
    processor = decided_up_to(world, steps, T1 + 300)
    records = processor.proposals()
    assert len(records) == 4
    for record in records:
        data = encode_proposal_record(record)
        assert decode_proposal_record(data) == record
        with pytest.raises(MalformedTopologyError):
            decode_proposal_record(data + b"\x00")
        with pytest.raises(MalformedTopologyError):
            decode_proposal_record(data[:-1])
    history = processor.history()
    order = replay_order(history, records)
    assert order == [*history, *records]
    with pytest.raises(MalformedTopologyError, match="processing order"):
        replay_order(history, list(reversed(records)))
    # Outcomes of the records, replayed in order, are all Proposed; the rest Accepted.
    fresh = world.processor()
    kinds = set()
    for entry in order[len(world.genesis().transactions) :]:
        outcome = fresh.process(entry.signed, entry.sequenced_at)
        kinds.add((type(entry).__name__, type(outcome).__name__))
        assert not isinstance(outcome, Rejected)
    assert kinds == {("StoredTransaction", "Accepted"), ("ProposalRecord", "Proposed")}
    assert isinstance(Accepted, type) and isinstance(Proposed, type)
