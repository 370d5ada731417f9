"""The sequencer node's event store: one aiosqlite database in WAL mode.

It holds what derivation produced from the chain, so a restarted node resumes where it
stopped, and what the API serves:

* ``blocks``   the processed-block cursor: for each block the reader looked at, its hash
               and the derivation state *after* it (next batch seq, hash-chain acc, last
               sequencing time). The newest row is the cursor; older rows are the
               candidates for a common ancestor when the chain reorganises.
* ``events``   per-member sequenced events: (member, counter) → timestamp, canonical bytes,
               and the block and batch that produced them.
* ``counters`` each member's next counter.
* ``dedup``    (sender, message_id) of delivered requests until their max sequencing time.
* ``acks``     each member's acknowledged counter (the pruning watermark).

Nothing here is authoritative: the whole database can be rebuilt from the chain.

Writes come from one task, the reader (:meth:`commit_step`, :meth:`rollback`, :meth:`prune`),
plus acknowledgements from the API; a lock keeps each write transaction whole. Reads use a
second connection, so they only ever see committed transactions. After each commit the
store wakes waiting subscribers (:meth:`changed`); no one polls.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from node_runtime.sqlite import META_TABLE, Synchronous, closing_on_failure, open_store
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp
from sequencer_chain.errors import EventStoreError, EventStoreMismatchError

SCHEMA_VERSION = 1

_SCHEMA = (
    META_TABLE
    + """
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY,
    hash BLOB NOT NULL,
    next_batch_seq INTEGER NOT NULL,
    acc BLOB NOT NULL,
    last_timestamp INTEGER
);
CREATE TABLE IF NOT EXISTS events (
    member TEXT NOT NULL,
    counter INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    batch_seq INTEGER NOT NULL,
    event BLOB NOT NULL,
    PRIMARY KEY (member, counter)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_block ON events (block_number);
CREATE TABLE IF NOT EXISTS counters (member TEXT PRIMARY KEY, next_counter INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dedup (
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    max_sequencing_time INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    PRIMARY KEY (sender, message_id)
);
CREATE INDEX IF NOT EXISTS dedup_by_block ON dedup (block_number);
CREATE TABLE IF NOT EXISTS acks (member TEXT PRIMARY KEY, counter INTEGER NOT NULL);
"""
)


@dataclass(frozen=True, slots=True)
class StoreIdentity:
    """What a store was derived from; opening it for anything else is refused."""

    chain_id: int
    inbox_address: str
    domain_id: str

    def to_text(self) -> str:
        return json.dumps(
            {"chain_id": self.chain_id, "inbox": self.inbox_address, "domain": self.domain_id},
            sort_keys=True,
        )


@dataclass(frozen=True, slots=True)
class Cursor:
    """The last processed block and the derivation state after it."""

    block_number: int
    block_hash: bytes
    next_batch_seq: int
    """The ``batchSeq`` the next ``BatchAppended`` event must carry."""
    acc: bytes
    """The hash-chain accumulator after the last batch."""
    last_timestamp: Timestamp | None
    """The last assigned sequencing time (``None`` before the domain's first event)."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event of one member's stream."""

    member: MemberId
    counter: int
    timestamp: Timestamp
    block_number: int
    batch_seq: int
    event: bytes
    """The canonical bytes of the Deliver or DeliverError."""


@dataclass(frozen=True, slots=True)
class DedupEntry:
    sender: MemberId
    message_id: str
    max_sequencing_time: Timestamp
    block_number: int


@dataclass(frozen=True, slots=True)
class StepWrite:
    """Everything one reader step derived; committed in one transaction."""

    blocks: tuple[Cursor, ...]
    """Processed blocks in ascending order; the last one becomes the cursor."""
    events: tuple[StoredEvent, ...]
    counters: dict[MemberId, int]
    """New next-counter of every member that received events."""
    dedup: tuple[DedupEntry, ...]
    dedup_purge_before: Timestamp | None = None
    """Forget dedup entries whose max sequencing time is before this."""


@dataclass(frozen=True, slots=True)
class Rollback:
    """What one rollback removed: per member, the first counter that is gone."""

    epoch: int
    to_block: int
    first_removed: dict[MemberId, int]


class EventStore:
    """See the module docstring. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, path: Path, write: aiosqlite.Connection, read: aiosqlite.Connection):
        self.path = path
        self._write = write
        self._read = read
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._rollbacks: list[Rollback] = []

    @classmethod
    async def open(cls, path: Path, identity: StoreIdentity) -> EventStore:
        """Open the store; ``synchronous=NORMAL``: every row is derivable again from the
        chain, so a crash that loses the last commits costs a re-read, not data."""
        path.parent.mkdir(parents=True, exist_ok=True)

        def error(detail: str) -> EventStoreError:
            return EventStoreError(path, detail)

        def check(found: Mapping[str, str]) -> None:
            if found.get("schema") != str(SCHEMA_VERSION):
                raise EventStoreError(path, f"schema {found.get('schema')}, expected 1")
            if found.get("identity") != identity.to_text():
                raise EventStoreMismatchError(
                    path, f"derived from {found.get('identity')}, not {identity.to_text()}"
                )

        write = await open_store(
            path,
            _SCHEMA,
            error,
            meta={"schema": str(SCHEMA_VERSION), "identity": identity.to_text()},
            check=check,
            version_key="schema",
            synchronous=Synchronous.NORMAL,
        )
        async with closing_on_failure(write, error):
            read = await aiosqlite.connect(path, isolation_level=None)
            async with closing_on_failure(read, error):
                await read.execute("PRAGMA query_only=ON")
        return cls(path, write, read)

    async def close(self) -> None:
        await self._read.close()
        await self._write.close()

    # ------------------------------------------------------------------ notification

    def changed(self) -> asyncio.Event:
        """An event set at the next commit or rollback. Take it *before* reading, then wait
        on it if the read found nothing new: no commit can slip in between."""
        return self._changed

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def rollback_epoch(self) -> int:
        return len(self._rollbacks)

    def rollbacks_since(self, epoch: int) -> list[Rollback]:
        """Rollbacks done by this process after ``epoch`` (see :attr:`rollback_epoch`)."""
        return self._rollbacks[epoch:]

    # ------------------------------------------------------------------ cursor

    async def cursor(self) -> Cursor | None:
        rows = await self._read.execute_fetchall(
            "SELECT number, hash, next_batch_seq, acc, last_timestamp FROM blocks "
            "ORDER BY number DESC LIMIT 1"
        )
        return _cursor(next(iter(rows), None))

    async def initialize(self, start: Cursor) -> None:
        """Set the cursor of an empty store (the block before the contract's deployment)."""
        async with self._lock:
            await self._write.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?)",
                (
                    start.block_number,
                    start.block_hash,
                    start.next_batch_seq,
                    start.acc,
                    start.last_timestamp,
                ),
            )

    async def known_blocks(self, at_or_below: int, limit: int = 64) -> list[tuple[int, bytes]]:
        """Stored (number, hash) pairs at or below a height, newest first."""
        rows = await self._read.execute_fetchall(
            "SELECT number, hash FROM blocks WHERE number <= ? ORDER BY number DESC LIMIT ?",
            (at_or_below, limit),
        )
        return [(int(n), bytes(h)) for n, h in rows]

    # ------------------------------------------------------------------ derivation writes

    async def commit_step(self, step: StepWrite) -> None:
        """Store one reader step atomically, then wake subscribers."""
        async with self._lock:
            db = self._write
            await db.execute("BEGIN IMMEDIATE")
            try:
                await db.executemany(
                    "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?)",
                    [
                        (b.block_number, b.block_hash, b.next_batch_seq, b.acc, b.last_timestamp)
                        for b in step.blocks
                    ],
                )
                await db.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (e.member, e.counter, e.timestamp, e.block_number, e.batch_seq, e.event)
                        for e in step.events
                    ],
                )
                await db.executemany(
                    "INSERT INTO counters VALUES (?, ?) "
                    "ON CONFLICT (member) DO UPDATE SET next_counter = excluded.next_counter",
                    list(step.counters.items()),
                )
                await db.executemany(
                    "INSERT OR REPLACE INTO dedup VALUES (?, ?, ?, ?)",
                    [
                        (d.sender, d.message_id, d.max_sequencing_time, d.block_number)
                        for d in step.dedup
                    ],
                )
                if step.dedup_purge_before is not None:
                    await db.execute(
                        "DELETE FROM dedup WHERE max_sequencing_time < ?",
                        (step.dedup_purge_before,),
                    )
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
        if step.events:
            self._notify()

    async def rollback(self, to_block: int) -> Rollback:
        """Forget everything derived from blocks after ``to_block``, in one transaction.

        ``to_block`` must be a stored block (the common ancestor); it becomes the cursor.
        Counters go back to the first removed counter of each member, which is exact
        because counters are dense.
        """
        async with self._lock:
            db = self._write
            await db.execute("BEGIN IMMEDIATE")
            try:
                rows = await db.execute_fetchall(
                    "SELECT 1 FROM blocks WHERE number = ?", (to_block,)
                )
                if not rows:
                    raise EventStoreError(self.path, f"rollback target {to_block} is not stored")
                first = {
                    MemberId(m): int(c)
                    for m, c in await db.execute_fetchall(
                        "SELECT member, MIN(counter) FROM events WHERE block_number > ? "
                        "GROUP BY member",
                        (to_block,),
                    )
                }
                await db.executemany(
                    "UPDATE counters SET next_counter = ? WHERE member = ?",
                    [(c, m) for m, c in first.items()],
                )
                await db.execute("DELETE FROM events WHERE block_number > ?", (to_block,))
                await db.execute("DELETE FROM dedup WHERE block_number > ?", (to_block,))
                await db.execute("DELETE FROM blocks WHERE number > ?", (to_block,))
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            result = Rollback(len(self._rollbacks) + 1, to_block, first)
            self._rollbacks.append(result)
        self._notify()
        return result

    async def prune(self, keep_blocks_above: int) -> int:
        """Delete acknowledged events and old block rows at or below ``keep_blocks_above``.

        Events are deleted only up to each member's acknowledged counter, and only from
        blocks deep enough that no reorg the node handles can still roll them back. Returns
        the number of events deleted.
        """
        async with self._lock:
            db = self._write
            await db.execute("BEGIN IMMEDIATE")
            try:
                cur = await db.execute(
                    "DELETE FROM events WHERE block_number <= ? AND counter <= "
                    "(SELECT counter FROM acks WHERE acks.member = events.member)",
                    (keep_blocks_above,),
                )
                deleted = cur.rowcount
                await db.execute(
                    "DELETE FROM blocks WHERE number < ? AND number < "
                    "(SELECT MAX(number) FROM blocks)",
                    (keep_blocks_above,),
                )
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise
        return int(deleted)

    # ------------------------------------------------------------------ acks

    async def acknowledge(self, member: MemberId, counter: int) -> int:
        """Raise the member's watermark to ``counter`` (never lowers it); returns the new one."""
        async with self._lock:
            await self._write.execute(
                "INSERT INTO acks VALUES (?, ?) "
                "ON CONFLICT (member) DO UPDATE SET counter = MAX(counter, excluded.counter)",
                (member, counter),
            )
        return await self.acknowledged(member) or counter

    async def acknowledged(self, member: MemberId) -> int | None:
        rows = await self._read.execute_fetchall(
            "SELECT counter FROM acks WHERE member = ?", (member,)
        )
        row = next(iter(rows), None)
        return None if row is None else int(row[0])

    # ------------------------------------------------------------------ reads

    async def next_counter(self, member: MemberId) -> int:
        rows = await self._read.execute_fetchall(
            "SELECT next_counter FROM counters WHERE member = ?", (member,)
        )
        row = next(iter(rows), None)
        return 0 if row is None else int(row[0])

    async def load_counters(self) -> dict[MemberId, int]:
        rows = await self._write.execute_fetchall("SELECT member, next_counter FROM counters")
        return {MemberId(m): int(c) for m, c in rows}

    async def load_dedup(self) -> dict[tuple[MemberId, str], Timestamp]:
        rows = await self._write.execute_fetchall(
            "SELECT sender, message_id, max_sequencing_time FROM dedup"
        )
        return {(MemberId(s), str(m)): Timestamp(int(t)) for s, m, t in rows}

    async def is_delivered(self, sender: MemberId, message_id: str, after: Timestamp) -> bool:
        """Whether ``(sender, message_id)`` was delivered with a max sequencing time at or
        after ``after`` (so a new request with that id would be a duplicate)."""
        rows = await self._read.execute_fetchall(
            "SELECT 1 FROM dedup WHERE sender = ? AND message_id = ? AND max_sequencing_time >= ?",
            (sender, message_id, after),
        )
        return bool(list(rows))

    async def read_events(
        self, member: MemberId, from_counter: int, limit: int = 256
    ) -> list[StoredEvent]:
        """The member's events from ``from_counter`` on, in counter order."""
        rows = await self._read.execute_fetchall(
            "SELECT counter, timestamp, block_number, batch_seq, event FROM events "
            "WHERE member = ? AND counter >= ? ORDER BY counter LIMIT ?",
            (member, from_counter, limit),
        )
        return [
            StoredEvent(member, int(c), Timestamp(int(t)), int(b), int(s), bytes(e))
            for c, t, b, s, e in rows
        ]

    async def first_counter(self, member: MemberId) -> int | None:
        """The oldest counter still stored for ``member`` (earlier ones are pruned)."""
        rows = await self._read.execute_fetchall(
            "SELECT MIN(counter) FROM events WHERE member = ?", (member,)
        )
        row = next(iter(rows), None)
        return None if row is None or row[0] is None else int(row[0])

    async def all_events(self, members: Iterable[MemberId] | None = None) -> list[StoredEvent]:
        """Every stored event (tests and audits), ordered by member and counter."""
        rows = await self._read.execute_fetchall(
            "SELECT member, counter, timestamp, block_number, batch_seq, event FROM events "
            "ORDER BY member, counter"
        )
        wanted = set(members) if members is not None else None
        return [
            StoredEvent(MemberId(m), int(c), Timestamp(int(t)), int(b), int(s), bytes(e))
            for m, c, t, b, s, e in rows
            if wanted is None or m in wanted
        ]


def _cursor(row: Sequence[object] | None) -> Cursor | None:
    if row is None:
        return None
    number, block_hash, next_seq, acc, last_ts = row
    return Cursor(
        block_number=int(number),  # type: ignore[call-overload]
        block_hash=bytes(block_hash),  # type: ignore[call-overload]
        next_batch_seq=int(next_seq),  # type: ignore[call-overload]
        acc=bytes(acc),  # type: ignore[call-overload]
        last_timestamp=None if last_ts is None else Timestamp(int(last_ts)),  # type: ignore[call-overload]
    )
