"""participant.sqlite: the counter-participants shared with at the last commitment period
end are written with the period close and survive a reopen; a version 2 file is migrated
(the set starts empty)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from participant.store import SCHEMA_VERSION, EventChanges, ParticipantStore
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp

DOMAIN = "d::1220" + "ab" * 32
ME = MemberId("PAR::a::1220" + "cd" * 32)
Q = MemberId("PAR::q::1220" + "01" * 32)
R = MemberId("PAR::r::1220" + "02" * 32)


def _close(at: int, end: int, counterparties: frozenset[MemberId]) -> EventChanges:
    changes = EventChanges(Timestamp(at))
    changes.commitment_period_end = Timestamp(end)
    changes.commitment_counterparties = counterparties
    return changes


async def test_counterparties_are_replaced_at_each_period_end_and_survive_a_reopen(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.sqlite"
    store = await ParticipantStore.open(path, DOMAIN, ME)
    try:
        assert await store.commitment_counterparties() == frozenset()
        await store.apply(_close(11, 10, frozenset({Q, R})))
        # An event that closes no period leaves the set alone.
        await store.apply(EventChanges(Timestamp(12)))
        assert await store.commitment_counterparties() == {Q, R}
    finally:
        await store.close()
    store = await ParticipantStore.open(path, DOMAIN, ME)
    try:
        assert await store.commitment_counterparties() == {Q, R}
        assert store.commitment_period_end == 10
        await store.apply(_close(21, 20, frozenset({R})))
        await store.apply(_close(31, 30, frozenset()))
        assert await store.commitment_counterparties() == frozenset()
        await store.apply(_close(41, 40, frozenset({Q})))
    finally:
        await store.close()
    store = await ParticipantStore.open(path, DOMAIN, ME)
    try:
        assert await store.commitment_counterparties() == {Q}
    finally:
        await store.close()


async def test_a_failed_period_close_leaves_the_previous_set(tmp_path: Path) -> None:
    store = await ParticipantStore.open(tmp_path / "p.sqlite", DOMAIN, ME)
    try:
        await store.apply(_close(11, 10, frozenset({Q})))
        bad = _close(21, 20, frozenset({R}))
        bad.outbox_done.append("x")
        bad.commitments_received.append(None)  # type: ignore[arg-type]  # fails mid-write
        try:
            await store.apply(bad)
        except Exception:
            pass
        else:
            raise AssertionError("the broken change was applied")
        assert await store.commitment_counterparties() == {Q}
        assert store.commitment_period_end == 10
    finally:
        await store.close()


async def test_a_version_2_file_is_migrated_with_an_empty_set(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    store = await ParticipantStore.open(path, DOMAIN, ME)
    await store.apply(_close(11, 10, frozenset({Q})))
    await store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE commitment_counterparties")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store = await ParticipantStore.open(path, DOMAIN, ME)
    try:
        assert await store.commitment_counterparties() == frozenset()
        assert store.commitment_period_end == 10
        await store.apply(_close(21, 20, frozenset({R})))
        assert await store.commitment_counterparties() == {R}
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == SCHEMA_VERSION == "3"
