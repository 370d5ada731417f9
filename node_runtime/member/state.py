"""``member.sqlite``: the member's position in its stream of sequenced events.

One row says which counter the member processes next, and the sequencing time and digest
of the last processed event, so that an event served again at a processed counter (after
a failover or a crash) can be checked and skipped. Written after the node's handler
returns, committed (WAL, ``synchronous=FULL``) before the next event is taken.

Schema (version 1)::

    meta(key TEXT PRIMARY KEY, value TEXT)   schema_version, domain, member
    cursor(id INTEGER PRIMARY KEY CHECK (id = 1), next_counter, last_timestamp, last_digest)
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from node_runtime.member.errors import MemberStateError
from node_runtime.sqlite import META_TABLE, SqliteStore, open_store, read_row
from protocol.identifiers import DomainId, MemberId
from protocol.timestamp import Timestamp

SCHEMA_VERSION = "1"

_SCHEMA = (
    META_TABLE
    + """
CREATE TABLE IF NOT EXISTS cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_counter INTEGER NOT NULL,
    last_timestamp INTEGER,
    last_digest BLOB
);
"""
)


def event_digest(event_bytes: bytes) -> bytes:
    """SHA-256 of an event's canonical bytes: what a replay of its counter must match."""
    return hashlib.sha256(event_bytes).digest()


@dataclass(frozen=True, slots=True)
class StreamPosition:
    """Where the member stands in its stream."""

    next_counter: int
    """The counter of the next event to hand to the node."""
    last_timestamp: Timestamp | None
    """Sequencing time of the last processed event (``None`` before the first)."""
    last_digest: bytes | None
    """:func:`event_digest` of the last processed event."""


def _position(next_counter: int, last_at: int | None, digest: bytes | None) -> StreamPosition:
    return StreamPosition(
        int(next_counter),
        None if last_at is None else Timestamp(int(last_at)),
        None if digest is None else bytes(digest),
    )


async def _create_cursor(db: aiosqlite.Connection) -> None:
    await db.execute("INSERT INTO cursor VALUES (1, 0, NULL, NULL)")


class CounterStore(SqliteStore):
    """The persisted :class:`StreamPosition`; one task (the subscription) writes it."""

    def __init__(self, path: Path, db: aiosqlite.Connection, position: StreamPosition) -> None:
        super().__init__(path, db)
        self._position = position

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], domain: DomainId, member: MemberId
    ) -> CounterStore:
        target = Path(path)

        def error(detail: str) -> MemberStateError:
            return MemberStateError(str(target), detail)

        db = await open_store(
            target,
            _SCHEMA,
            error,
            meta={"schema_version": SCHEMA_VERSION, "domain": domain, "member": member},
            on_create=_create_cursor,
        )
        position = await read_row(
            db,
            "SELECT next_counter, last_timestamp, last_digest FROM cursor WHERE id = 1",
            _position,
            error,
        )
        return cls(target, db, position)

    @property
    def position(self) -> StreamPosition:
        return self._position

    async def processed(self, counter: int, at: Timestamp, digest: bytes) -> None:
        """Record that the event ``counter`` is processed; durable on return."""
        if counter != self._position.next_counter:
            raise MemberStateError(
                str(self.path), f"processed {counter}, expected {self._position.next_counter}"
            )
        try:
            await self._db.execute(
                "UPDATE cursor SET next_counter = ?, last_timestamp = ?, last_digest = ? "
                "WHERE id = 1",
                (counter + 1, at, digest),
            )
        except aiosqlite.Error as exc:
            raise MemberStateError(str(self.path), f"write failed: {exc}") from exc
        self._position = StreamPosition(counter + 1, at, digest)
