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

**Parts.** This module keeps the schema, opening and closing, and the cursor; the
queries are in parts by concern that :class:`ParticipantStore` is assembled from, all on
its one connection (``part.StorePart``): ``writes`` (the one writer), ``protocol_reads``
(what the processor reloads and checks), ``commitment_reads`` (ACS commitments) and
``ledger_reads`` (updates, active contracts, completions for the Ledger API).

**Notification.** :attr:`changed` is an ``asyncio.Condition`` notified after every commit
that moved the ledger end; :meth:`wait_for_ledger_end` lets a stream follow the end.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiosqlite

from node_runtime.sqlite import SqliteStore
from participant.errors import ParticipantStoreError
from participant.store.commitment_reads import CommitmentReads
from participant.store.ledger_reads import LedgerReads
from participant.store.protocol_reads import ProtocolStateReads
from participant.store.types import LEDGER_BEGIN, Offset
from participant.store.writes import EventWrites
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


class ParticipantStore(SqliteStore, EventWrites, ProtocolStateReads, CommitmentReads, LedgerReads):
    """See the module docstring. Open with :meth:`open`; one per participant."""

    def __init__(
        self, db: aiosqlite.Connection, path: Path, domain: DomainId, participant: MemberId
    ) -> None:
        super().__init__(path, db)
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
