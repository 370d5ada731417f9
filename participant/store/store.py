"""``participant.sqlite``: the participant's contracts, requests, event log, completions,
deduplication, outbox and ACS commitments (WAL, ``synchronous=FULL``).

Schema (version 3)::

    meta(key PK, value)                       schema_version, domain, participant
    cursor(id = 1, last_event_at, ledger_end, commitment_period_end)
    contracts(contract_id PK, template_id, instance, stakeholders, created_offset,
              created_update, created_node, ledger_time, archived_offset)
    contract_parties(contract_id, party)      stakeholders, for ACS queries by party
    requests(request_id PK, root_hash, submitter, state, deadline, record)
    locks(contract_id PK, request_id)         contracts consumed by pending requests
    key_locks(key_hash PK, request_id)        keys created or freed by pending requests
    updates(offset PK, update_id UNIQUE, request_id, record_time, ledger_time,
            command_id, workflow_id, act_as, tx)
    update_parties(offset, party)             hosted witnesses of each update
    update_templates(offset, template_id)
    completions(offset PK, application_id, command_id, submission_id, act_as, code,
                message, context, update_id, record_time)
    completion_parties(offset, party)
    submissions(message_id PK, change_id, submission_id, application_id, command_id,
                act_as, root_hash, max_sequencing_time, submission_seed,
                transaction_seed, state, request_id)
    dedup(change_id PK, submission_id, offset, record_time)
    outbox(message_id PK, envelopes, max_sequencing_time)
    commitments_sent(counterparty, to_time, from_time, commitment, contract_ids) PK(cp, to)
    commitments_received(sender, to_time, from_time, commitment, matched) PK(sender, to)
    commitment_counterparties(counterparty PK) shared with at commitment_period_end
    mismatches(id PK, counterparty, from_time, to_time, ours, theirs, contract_ids,
               detected_at)

**Versions.** 2 added ``key_locks`` (contract key uniqueness); 3 added
``commitment_counterparties`` (the counter-participants shared with at the last
commitment period end, so that the next period end still sends a commitment to one that
no longer shares a contract, also after a restart). A version 1 or 2 file is migrated
when opened: the missing tables are created empty, then the version set to 3 (a crash in
between leaves the old version with empty extra tables, migrated again at the next
open). Its pending requests were confirmed without key locks and finish as they were; its
first period end after the upgrade is told only the counter-participants shared with
then, as before the upgrade. Any other version is refused with
:class:`ParticipantStoreError`.

**One writer.** Every write runs under one ``asyncio.Lock`` on one connection, in one
transaction: an event's changes (:meth:`ParticipantStore.apply`, with the cursor) or a
submission step (:meth:`add_submission`, :meth:`complete_unsequenced`). An event at or
before the cursor is a replay whose changes are in already; the processor skips it.
Offsets are assigned here, under the lock, so they are dense and increasing across both
kinds of writes. Readers use the same connection outside the lock (sqlite reads see the
last committed state).

**Notification.** :attr:`changed` is an ``asyncio.Condition`` notified after every commit
that moved the ledger end; :meth:`wait_for_ledger_end` lets a stream follow the end.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from participant.engine import ContractId, PartyId
from participant.engine.transaction import read_instance, transaction_from_bytes
from participant.errors import ParticipantStoreError
from participant.store.changes import CompletionDraft, EventChanges, NewCommit
from participant.store.types import (
    LEDGER_BEGIN,
    ChangeId,
    CommitmentMismatch,
    Completion,
    CompletionCode,
    CompletionStatus,
    DedupEntry,
    InFlightSubmission,
    KeyHash,
    Offset,
    OutboxEntry,
    PendingRequestRow,
    RequestState,
    StoredContract,
    StoredUpdate,
    SubmissionState,
    UpdateId,
)
from protocol.canonical import decode
from protocol.identifiers import DomainId, MemberId
from protocol.timestamp import Timestamp

SCHEMA_VERSION = "3"
"""2: ``key_locks``; 3: ``commitment_counterparties``. See the module docstring for the
migration from older versions."""
_MIGRATABLE = frozenset({"1", "2"})
"""Versions :meth:`ParticipantStore.open` upgrades in place (additive changes only)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_event_at INTEGER,
    ledger_end INTEGER NOT NULL,
    commitment_period_end INTEGER
);
CREATE TABLE IF NOT EXISTS contracts (
    contract_id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL,
    instance BLOB NOT NULL,
    created_offset INTEGER NOT NULL,
    created_update TEXT NOT NULL,
    created_node TEXT NOT NULL,
    ledger_time INTEGER NOT NULL,
    archived_offset INTEGER
);
CREATE INDEX IF NOT EXISTS contracts_active ON contracts (archived_offset);
CREATE TABLE IF NOT EXISTS contract_parties (
    contract_id TEXT NOT NULL, party TEXT NOT NULL, PRIMARY KEY (contract_id, party)
);
CREATE INDEX IF NOT EXISTS contract_parties_by_party ON contract_parties (party);
CREATE TABLE IF NOT EXISTS requests (
    request_id INTEGER PRIMARY KEY,
    root_hash BLOB NOT NULL,
    submitter TEXT NOT NULL,
    state TEXT NOT NULL,
    deadline INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_state ON requests (state);
CREATE TABLE IF NOT EXISTS locks (
    contract_id TEXT PRIMARY KEY, request_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS key_locks (
    key_hash TEXT PRIMARY KEY, request_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS updates (
    offset INTEGER PRIMARY KEY,
    update_id TEXT NOT NULL UNIQUE,
    request_id INTEGER NOT NULL,
    record_time INTEGER NOT NULL,
    ledger_time INTEGER NOT NULL,
    command_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    act_as TEXT NOT NULL,
    tx BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS update_parties (
    offset INTEGER NOT NULL, party TEXT NOT NULL, PRIMARY KEY (offset, party)
);
CREATE INDEX IF NOT EXISTS update_parties_by_party ON update_parties (party, offset);
CREATE TABLE IF NOT EXISTS update_templates (
    offset INTEGER NOT NULL, template_id TEXT NOT NULL, PRIMARY KEY (offset, template_id)
);
CREATE TABLE IF NOT EXISTS completions (
    offset INTEGER PRIMARY KEY,
    application_id TEXT NOT NULL,
    command_id TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    act_as TEXT NOT NULL,
    code TEXT,
    message TEXT NOT NULL,
    context TEXT NOT NULL,
    update_id TEXT,
    record_time INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS completions_by_app ON completions (application_id, offset);
CREATE TABLE IF NOT EXISTS submissions (
    message_id TEXT PRIMARY KEY,
    change_id TEXT NOT NULL UNIQUE,
    submission_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    command_id TEXT NOT NULL,
    act_as TEXT NOT NULL,
    root_hash BLOB NOT NULL,
    max_sequencing_time INTEGER NOT NULL,
    submission_seed BLOB NOT NULL,
    transaction_seed BLOB NOT NULL,
    state TEXT NOT NULL,
    request_id INTEGER
);
CREATE INDEX IF NOT EXISTS submissions_by_root ON submissions (root_hash);
CREATE TABLE IF NOT EXISTS dedup (
    change_id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL,
    offset INTEGER NOT NULL,
    record_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    message_id TEXT PRIMARY KEY,
    envelopes BLOB NOT NULL,
    max_sequencing_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS commitments_sent (
    counterparty TEXT NOT NULL,
    to_time INTEGER NOT NULL,
    from_time INTEGER NOT NULL,
    commitment BLOB NOT NULL,
    contract_ids TEXT NOT NULL,
    PRIMARY KEY (counterparty, to_time)
);
CREATE TABLE IF NOT EXISTS commitments_received (
    sender TEXT NOT NULL,
    to_time INTEGER NOT NULL,
    from_time INTEGER NOT NULL,
    commitment BLOB NOT NULL,
    matched INTEGER,
    PRIMARY KEY (sender, to_time)
);
CREATE TABLE IF NOT EXISTS commitment_counterparties (
    counterparty TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS mismatches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    counterparty TEXT NOT NULL,
    from_time INTEGER NOT NULL,
    to_time INTEGER NOT NULL,
    ours BLOB NOT NULL,
    theirs BLOB NOT NULL,
    contract_ids TEXT NOT NULL,
    detected_at INTEGER NOT NULL
);
"""


def _parties(text: str) -> tuple[PartyId, ...]:
    return tuple(PartyId(p) for p in json.loads(text))


def _status_row(status: CompletionStatus) -> tuple[str | None, str, str]:
    """The store holds the participant's own codes only (``CompletionCode``)."""
    code = None if status.code is None else CompletionCode(status.code).value
    return code, status.message, json.dumps([list(kv) for kv in status.context])


def _status(code: str | None, message: str, context: str) -> CompletionStatus:
    items = tuple((str(k), str(v)) for k, v in json.loads(context))
    return CompletionStatus(None if code is None else CompletionCode(code), message, items)


async def _migrate(db: aiosqlite.Connection, file: Path) -> None:
    """Upgrade a file of a migratable older version in place (module docstring); the
    caller's ``_SCHEMA`` script has created the tables that version lacks."""
    async with db.execute("SELECT value FROM meta WHERE key = 'schema_version'") as cur:
        row = await cur.fetchone()
    if row is None or row[0] == SCHEMA_VERSION:
        return
    if row[0] not in _MIGRATABLE:
        raise ParticipantStoreError(
            file, f"schema_version: expected {SCHEMA_VERSION!r}, got {row[0]!r} (not migratable)"
        )
    await db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,))


def _instance(data: bytes) -> Any:
    return decode(data, read_instance, "stored contract")


class ParticipantStore:
    """See the module docstring. Open with :meth:`open`; one per participant."""

    def __init__(
        self, db: aiosqlite.Connection, path: Path, domain: DomainId, participant: MemberId
    ) -> None:
        self._db = db
        self.path = path
        self.domain = domain
        self.participant = participant
        self._lock = asyncio.Lock()
        self.changed = asyncio.Condition()
        """Notified after every commit that changed the ledger end."""
        self._last_event_at: Timestamp | None = None
        self._ledger_end = LEDGER_BEGIN
        self._period_end: Timestamp | None = None

    # -- lifecycle --------------------------------------------------------------------------

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], domain: DomainId, participant: MemberId
    ) -> ParticipantStore:
        """Open (or create) the store; refuses one made for another domain or participant."""
        file = Path(path)
        try:
            db = await aiosqlite.connect(file)
        except Exception as exc:
            raise ParticipantStoreError(file, f"cannot open: {exc}") from exc
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.executescript(_SCHEMA)
            await db.execute(
                "INSERT OR IGNORE INTO cursor (id, last_event_at, ledger_end) VALUES (1, NULL, 0)"
            )
            await _migrate(db, file)
            for key, value in (
                ("schema_version", SCHEMA_VERSION),
                ("domain", domain),
                ("participant", participant),
            ):
                await db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value)
                )
                async with db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
                    row = await cur.fetchone()
                if row is None or row[0] != value:
                    got = None if row is None else row[0]
                    raise ParticipantStoreError(file, f"{key}: expected {value!r}, got {got!r}")
            await db.commit()
            store = cls(db, file, domain, participant)
            async with db.execute(
                "SELECT last_event_at, ledger_end, commitment_period_end FROM cursor"
            ) as cur:
                row = await cur.fetchone()
            if row is not None:
                store._last_event_at = None if row[0] is None else Timestamp(row[0])
                store._ledger_end = Offset(row[1])
                store._period_end = None if row[2] is None else Timestamp(row[2])
            return store
        except ParticipantStoreError:
            await db.close()
            raise
        except Exception as exc:
            await db.close()
            raise ParticipantStoreError(file, f"unusable: {exc}") from exc

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> ParticipantStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- cursor -----------------------------------------------------------------------------

    @property
    def last_event_at(self) -> Timestamp | None:
        """The timestamp of the last event whose changes are committed."""
        return self._last_event_at

    @property
    def commitment_period_end(self) -> Timestamp | None:
        return self._period_end

    async def ledger_end(self) -> Offset:
        """The offset of the last published item (``LEDGER_BEGIN`` if none)."""
        return self._ledger_end

    @property
    def current_ledger_end(self) -> Offset:
        return self._ledger_end

    async def wait_for_ledger_end(self, after: Offset, timeout_s: float | None = None) -> Offset:
        """Wait until the ledger end is beyond ``after`` (or the timeout passes); returns
        the ledger end."""
        async with self.changed:
            if timeout_s is None:
                await self.changed.wait_for(lambda: self._ledger_end > after)
            else:
                try:
                    async with asyncio.timeout(timeout_s):
                        await self.changed.wait_for(lambda: self._ledger_end > after)
                except TimeoutError:
                    pass
        return self._ledger_end

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    # -- writes -----------------------------------------------------------------------------

    async def apply(self, changes: EventChanges) -> list[Offset]:
        """Commit one event's changes with the cursor; returns the offsets given to
        ``changes.published``, in order."""
        async with self._lock:
            db = self._db
            end = self._ledger_end
            offsets: list[Offset] = []
            try:
                await db.execute("BEGIN IMMEDIATE")
                for row in changes.new_requests:
                    await db.execute(
                        "INSERT INTO requests (request_id, root_hash, submitter, state, deadline,"
                        " record) VALUES (?, ?, ?, ?, ?, ?)",
                        (row.request_id, row.root_hash, row.submitter,
                         RequestState.PENDING.value, row.deadline, row.record),
                    )  # fmt: skip
                    await db.executemany(
                        "INSERT INTO locks (contract_id, request_id) VALUES (?, ?)",
                        [(cid, row.request_id) for cid in row.locks],
                    )
                    await db.executemany(
                        "INSERT INTO key_locks (key_hash, request_id) VALUES (?, ?)",
                        [(key, row.request_id) for key in row.key_locks],
                    )
                for request_id, state in changes.finished_requests:
                    await db.execute(
                        "UPDATE requests SET state = ? WHERE request_id = ?",
                        (state.value, request_id),
                    )
                    await db.execute("DELETE FROM locks WHERE request_id = ?", (request_id,))
                    await db.execute("DELETE FROM key_locks WHERE request_id = ?", (request_id,))
                for message_id, request_id in changes.sequenced_submissions:
                    await db.execute(
                        "UPDATE submissions SET state = ?, request_id = ? WHERE message_id = ?",
                        (SubmissionState.SEQUENCED.value, request_id, message_id),
                    )
                for item in changes.published:
                    end = Offset(end + 1)
                    offsets.append(end)
                    if isinstance(item, NewCommit):
                        await self._write_commit(db, end, item)
                    else:
                        await self._write_completion(db, end, item, None)
                for entry in changes.outbox_add:
                    await db.execute(
                        "INSERT OR REPLACE INTO outbox (message_id, envelopes, max_sequencing_time)"
                        " VALUES (?, ?, ?)",
                        (entry.message_id, entry.envelopes, entry.max_sequencing_time),
                    )
                await db.executemany(
                    "DELETE FROM outbox WHERE message_id = ?",
                    [(m,) for m in changes.outbox_done],
                )
                for sent in changes.commitments_sent:
                    await db.execute(
                        "INSERT OR REPLACE INTO commitments_sent (counterparty, to_time, "
                        "from_time, commitment, contract_ids) VALUES (?, ?, ?, ?, ?)",
                        (sent.counterparty, sent.to_time, sent.from_time, sent.commitment,
                         json.dumps(list(sent.contract_ids))),
                    )  # fmt: skip
                for got in changes.commitments_received:
                    await db.execute(
                        "INSERT OR REPLACE INTO commitments_received (sender, to_time, from_time,"
                        " commitment, matched) VALUES (?, ?, ?, ?, ?)",
                        (got.sender, got.to_time, got.from_time, got.commitment,
                         None if got.matched is None else int(got.matched)),
                    )  # fmt: skip
                for mm in changes.mismatches:
                    await db.execute(
                        "INSERT INTO mismatches (counterparty, from_time, to_time, ours, theirs,"
                        " contract_ids, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (mm.counterparty, mm.from_time, mm.to_time, mm.ours, mm.theirs,
                         json.dumps(list(mm.contract_ids)), mm.detected_at),
                    )  # fmt: skip
                if changes.commitment_counterparties is not None:
                    await db.execute("DELETE FROM commitment_counterparties")
                    await db.executemany(
                        "INSERT INTO commitment_counterparties (counterparty) VALUES (?)",
                        [(m,) for m in sorted(changes.commitment_counterparties)],
                    )
                period_end = changes.commitment_period_end or self._period_end
                await db.execute(
                    "UPDATE cursor SET last_event_at = ?, ledger_end = ?, "
                    "commitment_period_end = ? WHERE id = 1",
                    (changes.at, end, period_end),
                )
                await db.commit()
            except Exception:
                await db.rollback()
                raise
            self._last_event_at = changes.at
            self._period_end = period_end
            moved = end != self._ledger_end
            self._ledger_end = end
        if moved:
            await self._notify()
        return offsets

    async def _write_commit(self, db: aiosqlite.Connection, offset: Offset, c: NewCommit) -> None:
        await db.execute(
            "INSERT INTO updates (offset, update_id, request_id, record_time, ledger_time, "
            "command_id, workflow_id, act_as, tx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (offset, c.update_id, c.request_id, c.record_time, c.ledger_time, c.command_id,
             c.workflow_id, json.dumps(sorted(c.act_as)), c.transaction),
        )  # fmt: skip
        await db.executemany(
            "INSERT INTO update_parties (offset, party) VALUES (?, ?)",
            [(offset, p) for p in sorted(c.witnesses)],
        )
        await db.executemany(
            "INSERT INTO update_templates (offset, template_id) VALUES (?, ?)",
            [(offset, t) for t in sorted(c.templates)],
        )
        for created in c.created:
            inst = created.instance
            await db.execute(
                "INSERT OR IGNORE INTO contracts (contract_id, template_id, instance, "
                "created_offset, created_update, created_node, ledger_time, archived_offset) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (inst.contract_id, inst.template_id, created.instance_bytes, offset,
                 c.update_id, created.node_id, c.ledger_time),
            )  # fmt: skip
            await db.executemany(
                "INSERT OR IGNORE INTO contract_parties (contract_id, party) VALUES (?, ?)",
                [(inst.contract_id, p) for p in sorted(inst.stakeholders)],
            )
        await db.executemany(
            "UPDATE contracts SET archived_offset = ? WHERE contract_id = ? "
            "AND archived_offset IS NULL",
            [(offset, cid) for cid in c.archived],
        )
        if c.completion is not None:
            await self._write_completion(db, offset, c.completion, c.update_id)

    async def _write_completion(
        self,
        db: aiosqlite.Connection,
        offset: Offset,
        d: CompletionDraft,
        update_id: UpdateId | None,
    ) -> None:
        code, message, context = _status_row(d.status)
        await db.execute(
            "INSERT INTO completions (offset, application_id, command_id, submission_id, "
            "act_as, code, message, context, update_id, record_time) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (offset, d.application_id, d.command_id, d.submission_id,
             json.dumps(sorted(d.act_as)), code, message, context, update_id, d.record_time),
        )  # fmt: skip
        await db.execute("DELETE FROM submissions WHERE message_id = ?", (d.message_id,))
        if d.status.ok:
            await db.execute(
                "INSERT OR REPLACE INTO dedup (change_id, submission_id, offset, record_time) "
                "VALUES (?, ?, ?, ?)",
                (d.change_id, d.submission_id, offset, d.record_time),
            )

    async def add_submission(self, submission: InFlightSubmission, request: OutboxEntry) -> None:
        """Record a submission and its request's envelopes before they are sent (seeds
        included), so a restarted participant resends the very same bytes."""
        s = submission
        async with self._lock:
            try:
                await self._db.execute(
                    "INSERT INTO outbox (message_id, envelopes, max_sequencing_time) "
                    "VALUES (?, ?, ?)",
                    (request.message_id, request.envelopes, request.max_sequencing_time),
                )
                await self._db.execute(
                    "INSERT INTO submissions (message_id, change_id, submission_id, "
                    "application_id, command_id, act_as, root_hash, max_sequencing_time, "
                    "submission_seed, transaction_seed, state, request_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (s.message_id, s.change_id, s.submission_id, s.application_id,
                     s.command_id, json.dumps(list(s.act_as)), s.root_hash,
                     s.max_sequencing_time, s.submission_seed, s.transaction_seed,
                     s.state.value, s.request_id),
                )  # fmt: skip
                await self._db.commit()
            except Exception:
                await self._db.rollback()
                raise

    async def complete_unsequenced(self, draft: CompletionDraft) -> Offset | None:
        """Complete a submission that was never sequenced (a refused send) outside any
        event; returns its offset, or None if the submission was already completed."""
        async with self._lock:
            db = self._db
            async with db.execute(
                "SELECT 1 FROM submissions WHERE message_id = ?", (draft.message_id,)
            ) as cur:
                if await cur.fetchone() is None:
                    return None
            end = Offset(self._ledger_end + 1)
            try:
                await db.execute("BEGIN IMMEDIATE")
                await self._write_completion(db, end, draft, None)
                await db.execute("UPDATE cursor SET ledger_end = ? WHERE id = 1", (end,))
                await db.commit()
            except Exception:
                await db.rollback()
                raise
            self._ledger_end = end
        await self._notify()
        return end

    # -- protocol state reads -------------------------------------------------------------------

    async def _fetch(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, args) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    async def active_instances(self) -> list[tuple[bytes, str]]:
        """``(instance bytes, creating node id)`` of every active contract (to load the
        processor's in-memory ACS)."""
        rows = await self._fetch(
            "SELECT instance, created_node FROM contracts WHERE archived_offset IS NULL "
            "ORDER BY contract_id"
        )
        return [(bytes(r[0]), str(r[1])) for r in rows]

    async def pending_requests(self) -> list[PendingRequestRow]:
        rows = await self._fetch(
            "SELECT request_id, root_hash, submitter, deadline, record FROM requests "
            "WHERE state = ? ORDER BY request_id",
            (RequestState.PENDING.value,),
        )
        out = []
        for request_id, root_hash, submitter, deadline, record in rows:
            locks = await self._fetch(
                "SELECT contract_id FROM locks WHERE request_id = ? ORDER BY contract_id",
                (request_id,),
            )
            keys = await self._fetch(
                "SELECT key_hash FROM key_locks WHERE request_id = ? ORDER BY key_hash",
                (request_id,),
            )
            out.append(
                PendingRequestRow(
                    Timestamp(request_id),
                    bytes(root_hash),
                    MemberId(submitter),
                    Timestamp(deadline),
                    bytes(record),
                    tuple(ContractId(r[0]) for r in locks),
                    tuple(KeyHash(r[0]) for r in keys),
                )
            )
        return out

    async def request_state(self, request_id: Timestamp) -> RequestState | None:
        rows = await self._fetch("SELECT state FROM requests WHERE request_id = ?", (request_id,))
        return RequestState(rows[0][0]) if rows else None

    async def locks(self) -> dict[ContractId, Timestamp]:
        rows = await self._fetch("SELECT contract_id, request_id FROM locks")
        return {ContractId(c): Timestamp(r) for c, r in rows}

    async def key_locks(self) -> dict[KeyHash, Timestamp]:
        """Key hash → the pending request holding its lock."""
        rows = await self._fetch("SELECT key_hash, request_id FROM key_locks")
        return {KeyHash(k): Timestamp(r) for k, r in rows}

    async def submissions(self) -> list[InFlightSubmission]:
        rows = await self._fetch(
            "SELECT message_id, change_id, submission_id, application_id, command_id, act_as,"
            " root_hash, max_sequencing_time, submission_seed, transaction_seed, state,"
            " request_id FROM submissions ORDER BY message_id"
        )
        return [
            InFlightSubmission(
                r[0],
                ChangeId(r[1]),
                r[2],
                r[3],
                r[4],
                _parties(r[5]),
                bytes(r[6]),
                Timestamp(r[7]),
                bytes(r[8]),
                bytes(r[9]),
                SubmissionState(r[10]),
                None if r[11] is None else Timestamp(r[11]),
            )
            for r in rows
        ]

    async def dedup_entry(self, change: ChangeId) -> DedupEntry | None:
        rows = await self._fetch(
            "SELECT submission_id, offset, record_time FROM dedup WHERE change_id = ?", (change,)
        )
        if not rows:
            return None
        return DedupEntry(change, rows[0][0], Offset(rows[0][1]), Timestamp(rows[0][2]))

    async def outbox(self) -> list[OutboxEntry]:
        rows = await self._fetch(
            "SELECT message_id, envelopes, max_sequencing_time FROM outbox ORDER BY message_id"
        )
        return [OutboxEntry(r[0], bytes(r[1]), Timestamp(r[2])) for r in rows]

    async def commitment_sent(
        self, counterparty: MemberId, to_time: Timestamp
    ) -> tuple[Timestamp, bytes, tuple[ContractId, ...]] | None:
        rows = await self._fetch(
            "SELECT from_time, commitment, contract_ids FROM commitments_sent "
            "WHERE counterparty = ? AND to_time = ?",
            (counterparty, to_time),
        )
        if not rows:
            return None
        ids = tuple(ContractId(c) for c in json.loads(rows[0][2]))
        return Timestamp(rows[0][0]), bytes(rows[0][1]), ids

    async def commitment_covering(
        self, counterparty: MemberId, end: Timestamp
    ) -> tuple[Timestamp, Timestamp, bytes, tuple[ContractId, ...]] | None:
        """The commitment sent to ``counterparty`` for the period of ours that contains
        the period end ``end``: ``(from, to, commitment, contract ids)`` with
        ``from < end <= to`` (``to == end`` when this participant closed ``end`` itself)."""
        rows = await self._fetch(
            "SELECT from_time, to_time, commitment, contract_ids FROM commitments_sent "
            "WHERE counterparty = ? AND from_time < ? AND to_time >= ? "
            "ORDER BY to_time LIMIT 1",
            (counterparty, end, end),
        )
        if not rows:
            return None
        ids = tuple(ContractId(c) for c in json.loads(rows[0][3]))
        return Timestamp(rows[0][0]), Timestamp(rows[0][1]), bytes(rows[0][2]), ids

    async def commitments_unmatched(self) -> list[tuple[MemberId, Timestamp, Timestamp, bytes]]:
        """Received commitments not yet compared: ``(sender, from, to, commitment)``."""
        rows = await self._fetch(
            "SELECT sender, from_time, to_time, commitment FROM commitments_received "
            "WHERE matched IS NULL ORDER BY to_time, sender"
        )
        return [(MemberId(r[0]), Timestamp(r[1]), Timestamp(r[2]), bytes(r[3])) for r in rows]

    async def commitment_counterparties(self) -> frozenset[MemberId]:
        """The counter-participants shared with at :attr:`commitment_period_end` (empty
        before the first period end): the next period end sends a commitment to each of
        them even if nothing is shared any more."""
        async with self._db.execute("SELECT counterparty FROM commitment_counterparties") as cur:
            rows = await cur.fetchall()
        return frozenset(MemberId(r[0]) for r in rows)

    async def commitment_counts(self) -> dict[str, int]:
        """Received commitments by outcome: ``matched``, ``mismatched``, ``pending``."""
        rows = await self._fetch(
            "SELECT matched, COUNT(*) FROM commitments_received GROUP BY matched"
        )
        names = {None: "pending", 1: "matched", 0: "mismatched"}
        out = {"matched": 0, "mismatched": 0, "pending": 0}
        for matched, count in rows:
            out[names[matched]] = int(count)
        return out

    async def mismatches(self) -> list[CommitmentMismatch]:
        """Every ACS commitment mismatch found, oldest first."""
        rows = await self._fetch(
            "SELECT counterparty, from_time, to_time, ours, theirs, contract_ids, detected_at "
            "FROM mismatches ORDER BY id"
        )
        return [
            CommitmentMismatch(
                MemberId(r[0]),
                Timestamp(r[1]),
                Timestamp(r[2]),
                bytes(r[3]),
                bytes(r[4]),
                tuple(ContractId(c) for c in json.loads(r[5])),
                Timestamp(r[6]),
            )
            for r in rows
        ]

    # -- Ledger API reads -----------------------------------------------------------------------

    def _update(self, row: tuple[Any, ...], witnesses: Iterable[str]) -> StoredUpdate:
        offset, update_id, request_id, record_time, _lt, command_id, workflow_id, act_as, tx = row
        return StoredUpdate(
            Offset(offset),
            UpdateId(update_id),
            Timestamp(record_time),
            Timestamp(request_id),
            transaction_from_bytes(bytes(tx)),
            command_id,
            workflow_id,
            _parties(act_as),
            frozenset(PartyId(p) for p in witnesses),
        )

    async def _witnesses(self, offset: int) -> list[str]:
        rows = await self._fetch("SELECT party FROM update_parties WHERE offset = ?", (offset,))
        return [r[0] for r in rows]

    _UPDATE_COLUMNS = (
        "u.offset, u.update_id, u.request_id, u.record_time, u.ledger_time, u.command_id, "
        "u.workflow_id, u.act_as, u.tx"
    )

    async def updates(
        self,
        begin_exclusive: Offset,
        end_inclusive: Offset | None = None,
        *,
        parties: frozenset[str] | None = None,
        template_ids: frozenset[str] | None = None,
        limit: int = 1_000,
    ) -> list[StoredUpdate]:
        """Committed transactions in ``(begin_exclusive, end_inclusive]`` in offset order,
        witnessed by one of ``parties`` (None: any) and touching one of ``template_ids``
        (None or empty: any), at most ``limit``. Projection per party is the caller's."""
        end = self._ledger_end if end_inclusive is None else end_inclusive
        sql = f"SELECT DISTINCT {self._UPDATE_COLUMNS} FROM updates u"
        args: list[object] = []
        where = ["u.offset > ?", "u.offset <= ?"]
        args += [begin_exclusive, end]
        if parties is not None:
            sql += " JOIN update_parties p ON p.offset = u.offset"
            where.append(f"p.party IN ({','.join('?' * len(parties))})")
            args += sorted(parties)
        if template_ids:
            sql += " JOIN update_templates t ON t.offset = u.offset"
            where.append(f"t.template_id IN ({','.join('?' * len(template_ids))})")
            args += sorted(template_ids)
        sql += " WHERE " + " AND ".join(where) + " ORDER BY u.offset LIMIT ?"
        args.append(limit)
        rows = await self._fetch(sql, args)
        return [self._update(r, await self._witnesses(r[0])) for r in rows]

    async def update_by_id(self, update_id: str) -> StoredUpdate | None:
        rows = await self._fetch(
            f"SELECT {self._UPDATE_COLUMNS} FROM updates u WHERE u.update_id = ?", (update_id,)
        )
        return self._update(rows[0], await self._witnesses(rows[0][0])) if rows else None

    async def update_at(self, offset: Offset) -> StoredUpdate | None:
        rows = await self._fetch(
            f"SELECT {self._UPDATE_COLUMNS} FROM updates u WHERE u.offset = ?", (offset,)
        )
        return self._update(rows[0], await self._witnesses(rows[0][0])) if rows else None

    async def active_contracts(
        self,
        *,
        parties: frozenset[str] | None = None,
        template_ids: frozenset[str] | None = None,
        at: Offset | None = None,
    ) -> list[StoredContract]:
        """Contracts active at offset ``at`` (None: the ledger end) with a stakeholder in
        ``parties`` (None: any) and a template in ``template_ids`` (None/empty: any), in
        creation order."""
        at_offset = self._ledger_end if at is None else at
        sql = (
            "SELECT DISTINCT c.instance, c.created_offset, c.created_update, c.created_node, "
            "c.ledger_time, c.archived_offset FROM contracts c"
        )
        where = ["c.created_offset <= ?", "(c.archived_offset IS NULL OR c.archived_offset > ?)"]
        args: list[object] = [at_offset, at_offset]
        if parties is not None:
            sql += " JOIN contract_parties p ON p.contract_id = c.contract_id"
            where.append(f"p.party IN ({','.join('?' * len(parties))})")
            args += sorted(parties)
        if template_ids:
            where.append(f"c.template_id IN ({','.join('?' * len(template_ids))})")
            args += sorted(template_ids)
        sql += " WHERE " + " AND ".join(where) + " ORDER BY c.created_offset, c.created_node"
        rows = await self._fetch(sql, args)
        return [
            StoredContract(
                _instance(bytes(r[0])),
                bytes(r[0]),
                Offset(r[1]),
                UpdateId(r[2]),
                str(r[3]),
                int(r[4]),
                None if r[5] is None else Offset(r[5]),
            )
            for r in rows
        ]

    async def contract(self, contract_id: str) -> StoredContract | None:
        rows = await self._fetch(
            "SELECT instance, created_offset, created_update, created_node, ledger_time, "
            "archived_offset FROM contracts WHERE contract_id = ?",
            (contract_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return StoredContract(
            _instance(bytes(r[0])), bytes(r[0]), Offset(r[1]), UpdateId(r[2]), str(r[3]),
            int(r[4]), None if r[5] is None else Offset(r[5]),
        )  # fmt: skip

    async def completions(
        self,
        begin_exclusive: Offset,
        application_id: str | None = None,
        parties: frozenset[str] | None = None,
        *,
        limit: int = 1_000,
    ) -> list[Completion]:
        """Completions after ``begin_exclusive`` (of ``application_id`` and with an act-as
        party in ``parties``, when given), in offset order, at most ``limit``."""
        sql = (
            "SELECT offset, application_id, command_id, submission_id, act_as, code, message,"
            " context, update_id, record_time FROM completions WHERE offset > ?"
        )
        args: list[object] = [begin_exclusive]
        if application_id is not None:
            sql += " AND application_id = ?"
            args.append(application_id)
        sql += " ORDER BY offset"
        out: list[Completion] = []
        for r in await self._fetch(sql, args):
            act_as = _parties(r[4])
            if parties is not None and not set(act_as) & parties:
                continue
            out.append(
                Completion(
                    Offset(r[0]),
                    r[1],
                    r[2],
                    r[3],
                    act_as,
                    _status(r[5], r[6], r[7]),
                    None if r[8] is None else UpdateId(r[8]),
                    Timestamp(r[9]),
                )
            )
            if len(out) >= limit:
                break
        return out

    async def counts(self) -> dict[str, int]:
        """Row counts (tests and metrics)."""
        out = {}
        for table in ("contracts", "requests", "locks", "key_locks", "updates", "completions",
                      "submissions", "outbox", "mismatches"):  # fmt: skip
            rows = await self._fetch(f"SELECT COUNT(*) FROM {table}")
            out[table] = int(rows[0][0])
        rows = await self._fetch("SELECT COUNT(*) FROM contracts WHERE archived_offset IS NULL")
        out["active_contracts"] = int(rows[0][0])
        return out
