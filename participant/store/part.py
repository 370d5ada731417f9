"""What every part of :class:`~participant.store.ParticipantStore` shares: the one
connection, the one writer's lock, the cursor held in memory, and the row encodings.

The store is one class assembled from parts by concern (``writes``, ``protocol_reads``,
``commitment_reads``, ``ledger_reads``); each part reaches the database only through the
attributes declared here, which ``ParticipantStore.__init__`` sets, so all of them share
one connection and every write is in the one transaction the writer opens.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from participant.engine import PartyId
from participant.engine.transaction import read_instance
from participant.store.types import CompletionCode, CompletionStatus, Offset
from protocol.canonical import decode
from protocol.timestamp import Timestamp


def json_parties(text: str) -> tuple[PartyId, ...]:
    """A party list as stored (a JSON array)."""
    return tuple(PartyId(p) for p in json.loads(text))


def status_row(status: CompletionStatus) -> tuple[str | None, str, str]:
    """The store holds the participant's own codes only (``CompletionCode``)."""
    code = None if status.code is None else CompletionCode(status.code).value
    return code, status.message, json.dumps([list(kv) for kv in status.context])


def status_of_row(code: str | None, message: str, context: str) -> CompletionStatus:
    """The completion status :func:`status_row` stored."""
    items = tuple((str(k), str(v)) for k, v in json.loads(context))
    return CompletionStatus(None if code is None else CompletionCode(code), message, items)


def instance_of_row(data: bytes) -> Any:
    """A stored contract instance."""
    return decode(data, read_instance, "stored contract")


class StorePart:
    """The state the parts share (set by ``ParticipantStore.__init__``)."""

    _db: aiosqlite.Connection
    _lock: asyncio.Lock
    """The one writer: every write transaction runs under it."""
    changed: asyncio.Condition
    _last_event_at: Timestamp | None
    _ledger_end: Offset
    _period_end: Timestamp | None

    async def _fetch(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, args) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()
