"""History served to members: the StoredTransaction encoding round-trips and rejects
garbage; ``TopologyStore.catch_up`` adds what a store lacks, skips what it holds, and
refuses any disagreement."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from protocol.timestamp import Timestamp
from protocol.topology import (
    MalformedTopologyError,
    TopologyStore,
    TopologyStoreError,
    decode_stored_transaction,
    encode_stored_transaction,
)
from tests.protocol.topology.support import GENESIS_AT, World, participant

T1 = GENESIS_AT + 10_000_000


async def full_store(world: World, path: Path) -> TopologyStore:
    store = await TopologyStore.open(path, world.domain)
    await store.load_genesis(world.genesis())
    for i, name in enumerate(("p1", "p2")):
        for signed in world.onboarding(participant(name)):
            await store.process(signed, Timestamp(T1 + 100 * i))
    return store


async def test_encoding_round_trips_and_rejects_garbage(world: World, tmp_path: Path) -> None:
    store = await full_store(world, tmp_path / "a.sqlite")
    try:
        for record in store.history():
            data = encode_stored_transaction(record)
            assert decode_stored_transaction(data) == record
            with pytest.raises(MalformedTopologyError):
                decode_stored_transaction(data + b"\x00")
            with pytest.raises(MalformedTopologyError):
                decode_stored_transaction(data[:-1])
        bad = dataclasses.replace(store.history()[-1], effective_at=Timestamp(0))
        with pytest.raises(MalformedTopologyError, match="before its sequencing time"):
            decode_stored_transaction(encode_stored_transaction(bad))
    finally:
        await store.close()


async def test_catch_up_adds_missing_and_refuses_disagreement(world: World, tmp_path: Path) -> None:
    source = await full_store(world, tmp_path / "source.sqlite")
    member = await TopologyStore.open(tmp_path / "member.sqlite", world.domain)
    try:
        await member.load_genesis(world.genesis())
        history = source.history()
        genesis_size = len(world.genesis().transactions)
        # Overlapping pages: what the member holds is checked and skipped.
        assert await member.catch_up(history[: genesis_size + 1]) == 1
        assert await member.catch_up(history[genesis_size - 1 :]) == len(history) - genesis_size - 1
        assert member.history() == history
        assert await member.catch_up(history) == 0
        for t in (GENESIS_AT, T1, T1 + 100, T1 + 10**9):
            at = Timestamp(t)
            assert member.snapshot_at(at).digest() == source.snapshot_at(at).digest()

        moved = dataclasses.replace(history[-1], sequenced_at=Timestamp(T1 + 1))
        with pytest.raises(TopologyStoreError, match="differs"):
            await member.catch_up([moved])
        gap = dataclasses.replace(history[-1], position=len(history) + 1)
        with pytest.raises(TopologyStoreError, match="next position"):
            await member.catch_up([gap])
    finally:
        await source.close()
        await member.close()


async def test_catch_up_refuses_a_transaction_it_would_decide_differently(
    world: World, tmp_path: Path
) -> None:
    source = await full_store(world, tmp_path / "source.sqlite")
    member = await TopologyStore.open(tmp_path / "member.sqlite", world.domain)
    try:
        await member.load_genesis(world.genesis())
        genesis_size = len(world.genesis().transactions)
        record = source.history()[genesis_size]
        forged = dataclasses.replace(record, effective_at=Timestamp(record.effective_at + 1))
        with pytest.raises(TopologyStoreError, match="effective"):
            await member.catch_up([forged])
    finally:
        await source.close()
        await member.close()
