"""``mediator.sqlite``: the mediator's own state (WAL, ``synchronous=FULL``).

Schema (version 1)::

    meta(key TEXT PRIMARY KEY, value TEXT)      schema_version, domain, mediator
    cursor(id = 1, last_event_at)               the last event whose changes are committed
    requests(request_id PK, root_hash, submitter, state, record, informee_message, received_at)
    responses(at, idx, request_id, sender, status, reason, vote, message)   PK (at, idx)
    verdicts(request_id PK, decided_at, kind, result, recipients, max_sequencing_time,
             attempt, state, updated_at)

All changes one event causes are written in **one transaction together with the cursor**
(:meth:`MediatorStore.apply`), committed before the event handler returns (and so before
the member runtime records the event as processed). An event at or before the cursor is
therefore a replay whose changes are already in: the processor skips it. ``requests``
keeps every request, decided or not, so a later request with the same root hash is
recognised. What is stored is what the mediator received (informee messages, signed
responses) and what it decided: never a view, never contract contents.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from mediator.errors import MediatorStoreError
from mediator.types import (
    OutboxState,
    OutgoingVerdict,
    RequestRecord,
    RequestState,
    ResponseStatus,
    VerdictKind,
    Vote,
)
from node_runtime.sqlite import META_TABLE, SqliteStore, open_store, read_row
from protocol.identifiers import DomainId, MemberId
from protocol.timestamp import Timestamp
from protocol.transaction import (
    MalformedTransactionMessageError,
    RequestId,
    RootHash,
    SignedConfirmationResult,
)

SCHEMA_VERSION = "2"
"""2: request records v2 (views hold their non-confirming informees' hosts)."""

_SCHEMA = (
    META_TABLE
    + """
CREATE TABLE IF NOT EXISTS cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_at INTEGER
);
CREATE TABLE IF NOT EXISTS requests (
    request_id INTEGER PRIMARY KEY,
    root_hash BLOB NOT NULL,
    submitter TEXT NOT NULL,
    state TEXT NOT NULL,
    record BLOB,
    informee_message BLOB,
    received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_root ON requests (root_hash);
CREATE INDEX IF NOT EXISTS requests_by_state ON requests (state);
CREATE TABLE IF NOT EXISTS responses (
    at INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    request_id INTEGER,
    sender TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    vote BLOB,
    message BLOB,
    PRIMARY KEY (at, idx)
);
CREATE INDEX IF NOT EXISTS responses_by_request ON responses (request_id);
CREATE TABLE IF NOT EXISTS verdicts (
    request_id INTEGER PRIMARY KEY,
    decided_at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    result BLOB NOT NULL,
    recipients TEXT NOT NULL,
    max_sequencing_time INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    state TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_by_state ON verdicts (state);
"""
)


@dataclass(frozen=True, slots=True)
class NewRequest:
    request_id: RequestId
    root_hash: RootHash
    submitter: MemberId
    record: RequestRecord | None
    """None for a request rejected on arrival."""
    informee_message: bytes | None
    """The informee message as received (no ledger data: it is public)."""


@dataclass(frozen=True, slots=True)
class ReceivedResponse:
    index: int
    """Position among the responses of its event."""
    request_id: RequestId | None
    sender: MemberId
    status: ResponseStatus
    reason: str
    vote: Vote | None
    message: bytes | None


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: OutgoingVerdict
    kind: VerdictKind
    decided_at: Timestamp


@dataclass
class EventChanges:
    """Everything one event changes, written atomically with the cursor."""

    at: Timestamp
    requests: list[NewRequest] = field(default_factory=list)
    responses: list[ReceivedResponse] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    outbox: list[tuple[RequestId, OutboxState, int]] = field(default_factory=list)
    """``(request id, new state, attempt)`` of verdicts already in the outbox."""


@dataclass(frozen=True, slots=True)
class ResponseRow:
    """A stored response, for operators and tests."""

    at: Timestamp
    request_id: RequestId | None
    sender: MemberId
    status: ResponseStatus
    reason: str


def _time(value: int | None) -> Timestamp | None:
    return None if value is None else Timestamp(int(value))


async def _create_cursor(db: aiosqlite.Connection) -> None:
    await db.execute("INSERT INTO cursor VALUES (1, NULL)")


class MediatorStore(SqliteStore):
    """The mediator's database; the node's tasks share it, writes are serialised."""

    def __init__(self, path: Path, db: aiosqlite.Connection, last: Timestamp | None) -> None:
        super().__init__(path, db)
        self._last = last
        self._lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], domain: DomainId, mediator: MemberId
    ) -> MediatorStore:
        target = Path(path)

        def error(detail: str) -> MediatorStoreError:
            return MediatorStoreError(target, detail)

        db = await open_store(
            target,
            _SCHEMA,
            error,
            meta={"schema_version": SCHEMA_VERSION, "domain": domain, "mediator": mediator},
            on_create=_create_cursor,
        )
        last = await read_row(db, "SELECT last_event_at FROM cursor WHERE id = 1", _time, error)
        return cls(target, db, last)

    @property
    def last_event_at(self) -> Timestamp | None:
        """Sequencing time of the last event whose changes are committed."""
        return self._last

    # -- reads ------------------------------------------------------------------------------

    async def _fetch(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return [tuple(r) for r in await self._db.execute_fetchall(sql, args)]
        except aiosqlite.Error as exc:
            raise MediatorStoreError(self.path, f"read failed: {exc}") from exc

    async def pending(self) -> list[tuple[RequestRecord, tuple[Vote, ...]]]:
        """Every undecided request with its accepted votes, by request id."""
        rows = await self._fetch(
            "SELECT request_id, record FROM requests WHERE state = ? ORDER BY request_id",
            (RequestState.PENDING.value,),
        )
        out = []
        for request_id, record in rows:
            votes = await self._fetch(
                "SELECT vote FROM responses WHERE request_id = ? AND status = ? ORDER BY at, idx",
                (request_id, ResponseStatus.ACCEPTED.value),
            )
            out.append(
                (
                    self._record(record),
                    tuple(self._vote(v) for (v,) in votes),
                )
            )
        return out

    async def request_for_root(self, root_hash: RootHash) -> RequestId | None:
        """The first request with ``root_hash``, if any."""
        rows = await self._fetch(
            "SELECT request_id FROM requests WHERE root_hash = ? ORDER BY request_id LIMIT 1",
            (root_hash.digest,),
        )
        return None if not rows else RequestId(Timestamp(int(rows[0][0])))

    async def request(
        self, request_id: RequestId
    ) -> tuple[RequestState, RequestRecord | None] | None:
        rows = await self._fetch(
            "SELECT state, record FROM requests WHERE request_id = ?", (request_id,)
        )
        if not rows:
            return None
        state, record = rows[0]
        return RequestState(state), None if record is None else self._record(record)

    async def verdict(self, request_id: RequestId) -> OutgoingVerdict | None:
        rows = await self._fetch(
            "SELECT request_id, result, recipients, max_sequencing_time, attempt, state "
            "FROM verdicts WHERE request_id = ?",
            (request_id,),
        )
        return self._outgoing(rows[0]) if rows else None

    async def outbox(self) -> list[OutgoingVerdict]:
        """Verdicts not yet known to be sequenced or expired, by request id."""
        rows = await self._fetch(
            "SELECT request_id, result, recipients, max_sequencing_time, attempt, state "
            "FROM verdicts WHERE state IN (?, ?) ORDER BY request_id",
            (OutboxState.PENDING.value, OutboxState.SENT.value),
        )
        return [self._outgoing(r) for r in rows]

    async def responses(self, request_id: RequestId | None = None) -> list[ResponseRow]:
        sql = "SELECT at, request_id, sender, status, reason FROM responses"
        args: tuple[object, ...] = ()
        if request_id is not None:
            sql += " WHERE request_id = ?"
            args = (request_id,)
        rows = await self._fetch(sql + " ORDER BY at, idx", args)
        return [
            ResponseRow(
                Timestamp(int(at)),
                None if rid is None else RequestId(Timestamp(int(rid))),
                MemberId(str(sender)),
                ResponseStatus(status),
                str(reason),
            )
            for at, rid, sender, status, reason in rows
        ]

    async def counts(self) -> dict[str, int]:
        """Requests by state and verdicts by kind (for operators)."""
        out: dict[str, int] = {}
        for state, n in await self._fetch("SELECT state, COUNT(*) FROM requests GROUP BY state"):
            out[f"requests_{state}"] = int(n)
        for kind, n in await self._fetch("SELECT kind, COUNT(*) FROM verdicts GROUP BY kind"):
            out[f"verdicts_{kind}"] = int(n)
        return out

    def _record(self, data: Any) -> RequestRecord:
        try:
            return RequestRecord.from_bytes(bytes(data))
        except Exception as exc:
            raise MediatorStoreError(self.path, f"corrupt request record: {exc}") from exc

    def _vote(self, data: Any) -> Vote:
        try:
            return Vote.from_bytes(bytes(data))
        except Exception as exc:
            raise MediatorStoreError(self.path, f"corrupt vote: {exc}") from exc

    def _outgoing(self, row: tuple[Any, ...]) -> OutgoingVerdict:
        request_id, result, recipients, max_time, attempt, state = row
        try:
            signed = SignedConfirmationResult.from_bytes(bytes(result))
        except MalformedTransactionMessageError as exc:
            raise MediatorStoreError(self.path, f"corrupt verdict: {exc}") from exc
        return OutgoingVerdict(
            request_id=RequestId(Timestamp(int(request_id))),
            result=signed,
            recipients=frozenset(MemberId(m) for m in json.loads(str(recipients))),
            max_sequencing_time=Timestamp(int(max_time)),
            attempt=int(attempt),
            state=OutboxState(state),
        )

    # -- writes -----------------------------------------------------------------------------

    async def apply(self, changes: EventChanges) -> None:
        """Write ``changes`` and move the cursor to ``changes.at``, in one transaction;
        durable on return."""
        if self._last is not None and changes.at <= self._last:
            raise MediatorStoreError(
                self.path, f"event at {changes.at} is not after the cursor {self._last}"
            )
        async with self._lock:
            db = self._db
            try:
                await db.execute("BEGIN IMMEDIATE")
                try:
                    await self._write(db, changes)
                    await db.execute(
                        "UPDATE cursor SET last_event_at = ? WHERE id = 1", (changes.at,)
                    )
                except BaseException:
                    await db.execute("ROLLBACK")
                    raise
                await db.execute("COMMIT")
            except aiosqlite.Error as exc:
                raise MediatorStoreError(self.path, f"write failed: {exc}") from exc
            self._last = changes.at

    async def _write(self, db: aiosqlite.Connection, changes: EventChanges) -> None:
        for req in changes.requests:
            request_state = RequestState.PENDING if req.record is not None else RequestState.DECIDED
            await db.execute(
                "INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    req.request_id,
                    req.root_hash.digest,
                    req.submitter,
                    request_state.value,
                    None if req.record is None else req.record.to_bytes(),
                    req.informee_message,
                    changes.at,
                ),
            )
        for resp in changes.responses:
            await db.execute(
                "INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    changes.at,
                    resp.index,
                    resp.request_id,
                    resp.sender,
                    resp.status.value,
                    resp.reason,
                    None if resp.vote is None else resp.vote.to_bytes(),
                    resp.message,
                ),
            )
        for decision in changes.decisions:
            v = decision.verdict
            await db.execute(
                "INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    v.request_id,
                    decision.decided_at,
                    decision.kind.value,
                    v.result.to_bytes(),
                    json.dumps(sorted(v.recipients)),
                    v.max_sequencing_time,
                    v.attempt,
                    v.state.value,
                    changes.at,
                ),
            )
            await db.execute(
                "UPDATE requests SET state = ? WHERE request_id = ?",
                (RequestState.DECIDED.value, v.request_id),
            )
        for request_id, state, attempt in changes.outbox:
            await db.execute(
                "UPDATE verdicts SET state = ?, attempt = ?, updated_at = ? WHERE request_id = ?",
                (state.value, attempt, changes.at, request_id),
            )

    async def mark_sent(self, request_id: RequestId, attempt: int) -> bool:
        """Record that attempt ``attempt`` was handed to a sequencer (outside any event);
        returns False if the verdict moved on meanwhile (receipt seen, new attempt)."""
        async with self._lock:
            try:
                cursor = await self._db.execute(
                    "UPDATE verdicts SET state = ? WHERE request_id = ? AND attempt = ? "
                    "AND state = ?",
                    (OutboxState.SENT.value, request_id, attempt, OutboxState.PENDING.value),
                )
                return cursor.rowcount == 1
            except aiosqlite.Error as exc:
                raise MediatorStoreError(self.path, f"write failed: {exc}") from exc

    async def mark_expired(self, request_id: RequestId, attempt: int) -> bool:
        """The verdict can no longer be sequenced (its max sequencing time passed)."""
        async with self._lock:
            try:
                cursor = await self._db.execute(
                    "UPDATE verdicts SET state = ? WHERE request_id = ? AND attempt = ? "
                    "AND state IN (?, ?)",
                    (
                        OutboxState.EXPIRED.value,
                        request_id,
                        attempt,
                        OutboxState.PENDING.value,
                        OutboxState.SENT.value,
                    ),
                )
                return cursor.rowcount == 1
            except aiosqlite.Error as exc:
                raise MediatorStoreError(self.path, f"write failed: {exc}") from exc
