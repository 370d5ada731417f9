"""The sqlite topology store: two independent stores agree, restarts change nothing,
onboarding history and genesis files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from protocol.timestamp import Timestamp
from protocol.topology import (
    Accepted,
    Admission,
    HostingParticipant,
    MalformedTopologyError,
    ParticipantPermission,
    PartyToParticipant,
    Proposed,
    Rejected,
    SerialMismatchError,
    SignedTopologyTransaction,
    TopologyStore,
    TopologyStoreError,
    read_genesis,
    write_genesis,
)
from protocol.topology.transactions import Operation
from tests.protocol.topology.support import DELAY, GENESIS_AT, World, participant, party, tx

T1 = GENESIS_AT + 10_000_000


def scenario(world: World) -> list[tuple[int, bytes]]:
    """A day in the life of a domain: onboarding, a party on two participants through two
    proposals, garbage, a wrong serial and a revocation; as (sequenced_at, bytes)."""
    p1, p2 = participant("p1"), participant("p2")
    alice = party("alice", p1)
    both = PartyToParticipant(alice, 2, (  # type: ignore[arg-type]
        HostingParticipant(p1.member, ParticipantPermission.SUBMISSION),
        HostingParticipant(p2.member, ParticipantPermission.CONFIRMATION),
    ))  # fmt: skip
    steps: list[tuple[int, SignedTopologyTransaction | bytes]] = []
    steps += [(T1, s) for s in world.onboarding(p1)]
    steps += [(T1 + 100, s) for s in world.onboarding(p2)]
    steps.append((T1 + 200, tx(Operation.ADD, 1, both, [p1.root], proposal=True)))
    steps.append((T1 + 300, b"\x00garbage"))
    steps.append((T1 + 400, world.permission(p2, serial=5, op=Operation.REPLACE)))
    steps.append((T1 + 500, tx(Operation.ADD, 1, both, [p2.root], proposal=True)))
    steps.append(
        (
            T1 + 600,
            world.permission(p2, admission=Admission.REVOKED, serial=2, op=Operation.REPLACE),
        )
    )
    return [(t, s if isinstance(s, bytes) else s.encode()) for t, s in steps]


async def fresh_store(world: World, path: Path) -> TopologyStore:
    store = await TopologyStore.open(path, world.domain)
    await store.load_genesis(world.genesis())
    return store


PROBES = [
    GENESIS_AT - 1,
    GENESIS_AT,
    T1,
    T1 + DELAY,
    T1 + 250 + DELAY,
    T1 + 500 + DELAY,
    T1 + 600 + DELAY,
    T1 + 10 * DELAY,
]


async def test_two_stores_agree_and_a_restart_changes_nothing(world: World, tmp_path: Path) -> None:
    a = await fresh_store(world, tmp_path / "a.sqlite")
    b = await fresh_store(world, tmp_path / "b.sqlite")
    kinds = []
    for at, data in scenario(world):
        oa = await a.process_bytes(data, Timestamp(at))
        ob = await b.process_bytes(data, Timestamp(at))
        assert type(oa) is type(ob)
        if isinstance(oa, Rejected) and isinstance(ob, Rejected):
            assert (oa.reason.code, str(oa.reason)) == (ob.reason.code, str(ob.reason))
        kinds.append(type(oa).__name__ if not isinstance(oa, Rejected) else oa.reason.code)
    assert kinds == ["Accepted"] * 6 + [
        "Proposed",
        "MALFORMED",
        "WRONG_SERIAL",
        "Accepted",
        "Accepted",
    ]

    before = {t: a.snapshot_at(Timestamp(t)) for t in PROBES}
    for t in PROBES:
        assert a.snapshot_at(Timestamp(t)) == b.snapshot_at(Timestamp(t))
        assert a.snapshot_at(Timestamp(t)).digest() == b.snapshot_at(Timestamp(t)).digest()
    assert [r[1] for r in await a.rejections()] == ["MALFORMED", "WRONG_SERIAL"]
    await a.close()
    await b.close()

    reopened = await TopologyStore.open(tmp_path / "a.sqlite", world.domain)
    try:
        await reopened.load_genesis(world.genesis())  # idempotent on a store that has it
        for t in PROBES:
            assert reopened.snapshot_at(Timestamp(t)) == before[t]
        assert reopened.last_sequenced_at == T1 + 600
        final = reopened.snapshot_at(Timestamp(T1 + 10 * DELAY))
        assert final.revoked_participants() == (participant("p2").member,)
        hosting = final.party_hosting(party("alice", participant("p1")))  # type: ignore[arg-type]
        assert hosting is not None and hosting.threshold == 2
    finally:
        await reopened.close()


async def test_pending_proposals_survive_a_restart(world: World, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = await fresh_store(world, path)
    steps = scenario(world)
    for at, data in steps[:7]:
        await store.process_bytes(data, Timestamp(at))
    pending = store.pending_proposals()
    assert len(pending) == 1
    await store.close()

    store = await TopologyStore.open(path, world.domain)
    try:
        assert store.pending_proposals() == pending
        at, data = steps[9]  # p2's half of the party proposal
        outcome = await store.process_bytes(data, Timestamp(at))
        assert isinstance(outcome, Accepted)
        assert store.pending_proposals() == ()
    finally:
        await store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT count(*) FROM pending").fetchone() == (0,)
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_a_new_member_bootstraps_from_history(world: World, tmp_path: Path) -> None:
    old = await fresh_store(world, tmp_path / "old.sqlite")
    for at, data in scenario(world):
        await old.process_bytes(data, Timestamp(at))
    new = await TopologyStore.open(tmp_path / "new.sqlite", world.domain)
    try:
        await new.bootstrap(old.history())
        for t in PROBES:
            assert new.snapshot_at(Timestamp(t)) == old.snapshot_at(Timestamp(t))
        # history can be cut at a sequencing time: the member then follows the live stream
        assert len(old.history(Timestamp(T1 + 100))) == len(world.genesis().transactions) + 6
    finally:
        await old.close()
        await new.close()


async def test_bootstrap_refuses_a_doctored_history(world: World, tmp_path: Path) -> None:
    from dataclasses import replace

    old = await fresh_store(world, tmp_path / "old.sqlite")
    history = list(old.history())
    history[-1] = replace(history[-1], effective_at=Timestamp(history[-1].effective_at + 1))
    new = await TopologyStore.open(tmp_path / "new.sqlite", world.domain)
    try:
        with pytest.raises(TopologyStoreError, match="expected effective"):
            await new.bootstrap(history)
    finally:
        await old.close()
        await new.close()


async def test_store_of_another_domain_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    await (await TopologyStore.open(path, world.domain)).close()
    from protocol.identifiers import make_domain_id

    with pytest.raises(TopologyStoreError, match="made for domain"):
        await TopologyStore.open(path, make_domain_id("other", participant("someone").namespace))


async def test_genesis_file_round_trip_and_tampering(world: World, tmp_path: Path) -> None:
    genesis = world.genesis()
    path = write_genesis(tmp_path / "genesis.json", genesis)
    assert read_genesis(path) == genesis
    with pytest.raises(TopologyStoreError, match="refusing to overwrite"):
        write_genesis(path, genesis)

    doc = json.loads(path.read_text())
    doc["transactions"] = doc["transactions"][:-1]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc))
    with pytest.raises(TopologyStoreError, match="hash does not match"):
        read_genesis(tampered)
    doc = json.loads(path.read_text())
    doc["transactions"][0] = "00"
    tampered.write_text(json.dumps(doc))
    with pytest.raises(TopologyStoreError, match="invalid genesis"):
        read_genesis(tampered)


async def test_a_genesis_that_is_not_authorized_is_refused(world: World, tmp_path: Path) -> None:
    from protocol.topology import Genesis

    genesis = world.genesis()
    # drop the mediator's root certificate: its owner-to-key mapping has no namespace
    txs = tuple(t for t in genesis.transactions if t != world.mediator.identity()[0])
    store = await TopologyStore.open(tmp_path / "s.sqlite", world.domain)
    try:
        with pytest.raises(TopologyStoreError, match="UNKNOWN_NAMESPACE"):
            await store.load_genesis(Genesis(genesis.domain, genesis.timestamp, txs))
    finally:
        await store.close()


async def test_open_with_genesis_closes_the_store_it_refuses(world: World, tmp_path: Path) -> None:
    from protocol.topology import Genesis

    genesis = world.genesis()
    path = tmp_path / "s.sqlite"
    store = await TopologyStore.open_with_genesis(path, genesis)
    await store.close()
    other = Genesis(genesis.domain, genesis.timestamp, genesis.transactions[1:])
    with pytest.raises(TopologyStoreError, match="does not begin with this genesis"):
        await TopologyStore.open_with_genesis(path, other)
    # the refused store's connection was closed: the last connection removes the WAL file
    assert not path.with_name(path.name + "-wal").exists()
    reopened = await TopologyStore.open_with_genesis(path, genesis)
    await reopened.close()


async def test_outcome_types_of_the_store(world: World, tmp_path: Path) -> None:
    store = await fresh_store(world, tmp_path / "s.sqlite")
    try:
        steps = scenario(world)
        outcomes = [await store.process_bytes(d, Timestamp(t)) for t, d in steps[:9]]
        assert isinstance(outcomes[6], Proposed)
        assert isinstance(outcomes[7], Rejected) and isinstance(
            outcomes[7].reason, MalformedTopologyError
        )
        assert isinstance(outcomes[8], Rejected) and isinstance(
            outcomes[8].reason, SerialMismatchError
        )
    finally:
        await store.close()


@pytest.mark.parametrize("cut", [T1 + 250, T1 + 350, T1 + 450, T1 + 100, GENESIS_AT])
async def test_rollback_equals_a_store_that_never_saw_the_later_inputs(
    world: World, tmp_path: Path, cut: int
) -> None:
    """A reorg removes inputs after ``cut``: the rolled-back store (also after reopening)
    answers like a store that only ever processed the inputs up to ``cut``, including a
    half-signed proposal, and deciding the removed inputs again gives the original state."""
    steps = scenario(world)
    full = await fresh_store(world, tmp_path / "full.sqlite")
    prefix = await fresh_store(world, tmp_path / "prefix.sqlite")
    for at, data in steps:
        await full.process_bytes(data, Timestamp(at))
        if at <= cut:
            await prefix.process_bytes(data, Timestamp(at))
    final = {t: full.snapshot_at(Timestamp(t)) for t in PROBES}
    undone = await full.rollback_to(Timestamp(cut))
    assert undone == sum(1 for at, _ in steps if at > cut)

    def same(a: TopologyStore, b: TopologyStore) -> None:
        assert a.history() == b.history()
        assert a.pending_proposals() == b.pending_proposals()
        assert a.last_sequenced_at == b.last_sequenced_at
        for t in PROBES:
            assert a.snapshot_at(Timestamp(t)).digest() == b.snapshot_at(Timestamp(t)).digest()

    same(full, prefix)
    assert await full.rejections() == await prefix.rejections()
    await full.close()
    reopened = await TopologyStore.open(tmp_path / "full.sqlite", world.domain)
    same(reopened, prefix)
    for at, data in steps:
        if at > cut:
            await reopened.process_bytes(data, Timestamp(at))
    for t in PROBES:
        assert reopened.snapshot_at(Timestamp(t)) == final[t]
    assert await reopened.rollback_to(Timestamp(T1 + 10 * DELAY)) == 0
    await reopened.close()
    await prefix.close()
