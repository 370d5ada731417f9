"""participant.sqlite: key locks persist with their request and go with its end; a
version 1 file is migrated in place, an unknown version refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from participant.engine import ContractId
from participant.errors import ParticipantStoreError
from participant.store import (
    SCHEMA_VERSION,
    EventChanges,
    KeyHash,
    ParticipantStore,
    PendingRequestRow,
    RequestState,
)
from protocol.identifiers import DomainId, MemberId
from protocol.timestamp import Timestamp

DOMAIN = DomainId("d::1220" + "ab" * 32)
ME = MemberId("PAR::a::1220" + "cd" * 32)
KEY_A = KeyHash("1220" + "01" * 32)
KEY_B = KeyHash("1220" + "02" * 32)


def _row(request_id: int, keys: tuple[KeyHash, ...]) -> PendingRequestRow:
    return PendingRequestRow(
        Timestamp(request_id),
        b"r" * 32,
        MemberId("PAR::s::1220" + "ef" * 32),
        Timestamp(request_id + 1_000),
        b"record",
        (ContractId("c-1"),),
        keys,
    )


async def test_key_locks_survive_a_reopen_and_end_with_their_request(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    store = await ParticipantStore.open(path, DOMAIN, ME)
    try:
        changes = EventChanges(Timestamp(10))
        changes.new_requests.append(_row(10, (KEY_A, KEY_B)))
        await store.apply(changes)
    finally:
        await store.close()
    store = await ParticipantStore.open(path, DOMAIN, ME)
    try:
        (pending,) = await store.pending_requests()
        assert pending.key_locks == (KEY_A, KEY_B)
        assert pending.locks == (ContractId("c-1"),)
        assert await store.key_locks() == {KEY_A: 10, KEY_B: 10}
        done = EventChanges(Timestamp(11))
        done.finished_requests.append((Timestamp(10), RequestState.ROLLED_BACK))
        await store.apply(done)
        assert await store.key_locks() == {} and await store.locks() == {}
        assert (await store.counts())["key_locks"] == 0
    finally:
        await store.close()


async def test_a_key_can_be_locked_by_one_request_only(tmp_path: Path) -> None:
    store = await ParticipantStore.open(tmp_path / "p.sqlite", DOMAIN, ME)
    try:
        first = EventChanges(Timestamp(10))
        first.new_requests.append(_row(10, (KEY_A,)))
        await store.apply(first)
        second = EventChanges(Timestamp(11))
        second.new_requests.append(_row(11, (KEY_A,)))
        with pytest.raises(sqlite3.IntegrityError):
            await store.apply(second)
        assert await store.key_locks() == {KEY_A: 10}
        assert store.last_event_at == 10  # the failed event is not in
    finally:
        await store.close()


def _downgrade_to_v1(path: Path) -> None:
    """What a version 1 store looks like: no key_locks table, version "1"."""
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE key_locks")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")


async def test_a_version_1_file_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    store = await ParticipantStore.open(path, DOMAIN, ME)
    changes = EventChanges(Timestamp(10))
    changes.new_requests.append(_row(10, ()))
    await store.apply(changes)
    await store.close()
    _downgrade_to_v1(path)

    store = await ParticipantStore.open(path, DOMAIN, ME)
    try:
        (pending,) = await store.pending_requests()  # kept, without key locks
        assert pending.key_locks == () and pending.locks == (ContractId("c-1"),)
        assert store.last_event_at == 10
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        (version,) = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == SCHEMA_VERSION == "3"


async def test_an_unknown_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    await (await ParticipantStore.open(path, DOMAIN, ME)).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ParticipantStoreError, match=r"schema_version.*'99'"):
        await ParticipantStore.open(path, DOMAIN, ME)
