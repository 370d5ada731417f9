"""``TopologyStore``: a member's persistent topology, in its own sqlite file (WAL mode).

The store owns one :class:`~protocol.topology.processor.TopologyProcessor` and the file it
is persisted in. Every accepted transaction is written with its position, sequencing time
and effective time; pending proposals are written as they change; every rejection is
recorded with its code (for the admin API). On open, the state is rebuilt from the file
without re-validation, so a restart gives the same snapshots as before it.

Every input is also kept as received (``inputs``), in the same sqlite transaction as its
decision, so that :meth:`TopologyStore.rollback_to` can undo the decisions on inputs
sequenced after a time — what a sequencer needs when a chain reorganisation removes
topology broadcasts it has already processed — by replaying the remaining inputs through a
fresh processor. Decisions are deterministic, so the replay reproduces every decision up
to that time exactly.

The proposal log of the processor (every input that left its transaction pending, and
when that transaction was accepted or dropped) is persisted too, so that the store can
serve the proposals still pending at a time along with the accepted history
(:meth:`TopologyStore.proposals`, ``docs/topology.md`` §8).

Schema (version 2)::

    meta(key TEXT PRIMARY KEY, value TEXT)            schema_version, domain, last_sequenced_at
    transactions(position INTEGER PRIMARY KEY, sequenced_at, effective_at, tx_hash UNIQUE,
                 unique_key, serial, operation, signed BLOB)
    pending(tx_hash BLOB PRIMARY KEY, first_sequenced_at, last_sequenced_at, signed BLOB)
    rejections(id INTEGER PRIMARY KEY, sequenced_at, tx_hash, code, detail)
    inputs(id INTEGER PRIMARY KEY, sequenced_at, data BLOB)   every input, as processed
    proposals(id INTEGER PRIMARY KEY, position, sequenced_at, tx_hash, resolved_at NULL,
              signed BLOB)                                   the proposal log

Version 1 had no ``proposals`` table. Such a file is migrated when opened: the log is
rebuilt by replaying the kept inputs through a fresh processor and the version set to 2,
in one sqlite transaction. A file whose inputs do not reproduce its accepted history
(written before inputs were kept) gets an empty log: it serves no proposals, and a served
proposal it should hold is reported as a disagreement by :meth:`TopologyStore.catch_up`.

One task must own a store (the sequencer's or member's topology processing task); reads
(:meth:`snapshot_at`, :meth:`history`) are synchronous and answer from memory. If a write
fails, the in-memory state may be ahead of the file: the store then refuses all further use
and must be reopened, which rebuilds it from the file.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import aiosqlite

from protocol.errors import MalformedError
from protocol.identifiers import DomainId
from protocol.timestamp import Timestamp, timestamp
from protocol.topology.errors import TopologyStoreError
from protocol.topology.genesis import Genesis
from protocol.topology.history import HistoryEntry
from protocol.topology.processor import (
    Accepted,
    LoggedProposal,
    Outcome,
    PendingProposal,
    Proposed,
    Rejected,
    TopologyProcessor,
)
from protocol.topology.snapshot import TopologySnapshot
from protocol.topology.state import ProposalRecord, StoredTransaction
from protocol.topology.transactions import (
    SignedTopologyTransaction,
    decode_signed_topology_transaction,
)

SCHEMA_VERSION = "2"
"""2: the ``proposals`` table (the proposal log). See the module docstring for 1 -> 2."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    position INTEGER PRIMARY KEY,
    sequenced_at INTEGER NOT NULL,
    effective_at INTEGER NOT NULL,
    tx_hash BLOB NOT NULL UNIQUE,
    unique_key TEXT NOT NULL,
    serial INTEGER NOT NULL,
    operation INTEGER NOT NULL,
    signed BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS pending (
    tx_hash BLOB PRIMARY KEY,
    first_sequenced_at INTEGER NOT NULL,
    last_sequenced_at INTEGER NOT NULL,
    signed BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS rejections (
    id INTEGER PRIMARY KEY,
    sequenced_at INTEGER NOT NULL,
    tx_hash BLOB,
    code TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS inputs (
    id INTEGER PRIMARY KEY,
    sequenced_at INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS proposals (
    id INTEGER PRIMARY KEY,
    position INTEGER NOT NULL,
    sequenced_at INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    resolved_at INTEGER,
    signed BLOB NOT NULL
);
"""


class TopologyStore:
    """Persistent topology of one member for one domain (see the module docstring)."""

    def __init__(self, path: Path, db: aiosqlite.Connection, processor: TopologyProcessor) -> None:
        self._path = path
        self._db = db
        self._processor = processor
        self._lock = asyncio.Lock()
        self._broken: str | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | os.PathLike[str], domain: DomainId) -> TopologyStore:
        """Open (creating if needed) the store at ``path`` for ``domain`` and rebuild its
        state. A file made for another domain is refused."""
        target = Path(path)
        db = await aiosqlite.connect(target, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.executescript(_SCHEMA)
            rows = await db.execute_fetchall("SELECT key, value FROM meta")
            meta: dict[str, str] = {str(k): str(v) for k, v in rows}
            if not meta:
                await db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("schema_version", SCHEMA_VERSION), ("domain", domain)],
                )
            elif meta.get("schema_version") not in (SCHEMA_VERSION, "1"):
                raise TopologyStoreError(target, f"schema version {meta.get('schema_version')}")
            elif meta.get("domain") != domain:
                raise TopologyStoreError(target, f"made for domain {meta.get('domain')}")
            processor = TopologyProcessor(domain)
            await _restore(target, db, processor, meta.get("last_sequenced_at"))
            if meta and meta.get("schema_version") == "1":
                processor = await _migrate_v1(target, db, processor)
        except BaseException:
            await db.close()
            raise
        return cls(target, db, processor)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> TopologyStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def domain(self) -> DomainId:
        return self._processor.domain

    @property
    def last_sequenced_at(self) -> Timestamp | None:
        return self._processor.last_sequenced_at

    # -- processing ----------------------------------------------------------------------------

    async def process(self, signed: SignedTopologyTransaction, sequenced_at: Timestamp) -> Outcome:
        """Decide on ``signed`` (sequenced at ``sequenced_at``) and persist the decision."""
        async with self._lock:
            self._check_usable()
            outcome = self._processor.process(signed, sequenced_at)
            await self._persist(outcome, sequenced_at, signed.encode())
            return outcome

    async def process_bytes(self, data: bytes, sequenced_at: Timestamp) -> Outcome:
        """Like :meth:`process` for an encoded transaction as delivered by the sequencer."""
        async with self._lock:
            self._check_usable()
            outcome = self._processor.process_bytes(data, sequenced_at)
            await self._persist(outcome, sequenced_at, data)
            return outcome

    @classmethod
    async def open_with_genesis(
        cls, path: str | os.PathLike[str], genesis: Genesis
    ) -> TopologyStore:
        """:meth:`open` the store at ``path`` for ``genesis``'s domain and
        :meth:`load_genesis` into it; the store is closed again if the genesis is refused."""
        store = await cls.open(path, genesis.domain)
        try:
            await store.load_genesis(genesis)
        except BaseException:
            await store.close()
            raise
        return store

    async def load_genesis(self, genesis: Genesis) -> None:
        """Process ``genesis`` into an empty store, or check that the store began with it.
        Raises :class:`TopologyStoreError` if a genesis transaction is not accepted."""
        if genesis.domain != self.domain:
            raise TopologyStoreError(self._path, f"genesis is for {genesis.domain}")
        history = self._processor.history()
        if history:
            stored = [r.signed.hash() for r in history[: len(genesis.transactions)]]
            if stored != [t.hash() for t in genesis.transactions]:
                raise TopologyStoreError(self._path, "store does not begin with this genesis")
            return
        for index, signed in enumerate(genesis.transactions):
            outcome = await self.process(signed, genesis.timestamp)
            if not isinstance(outcome, Accepted):
                raise TopologyStoreError(
                    self._path, f"genesis transaction {index} not accepted: {_describe(outcome)}"
                )

    async def bootstrap(self, history: Iterable[StoredTransaction]) -> None:
        """Load the history a new member receives when it is onboarded (from another
        member's :meth:`history`). Every transaction is re-validated, and must be accepted
        with the same effective time; anything else raises :class:`TopologyStoreError`."""
        for record in history:
            outcome = await self.process(record.signed, record.sequenced_at)
            if not isinstance(outcome, Accepted):
                raise TopologyStoreError(
                    self._path, f"history entry {record.position}: {_describe(outcome)}"
                )
            got = outcome.record
            if (got.position, got.effective_at) != (record.position, record.effective_at):
                raise TopologyStoreError(
                    self._path,
                    f"history entry {record.position} replayed at position {got.position} "
                    f"effective {got.effective_at}, expected effective {record.effective_at}",
                )

    async def catch_up(self, history: Iterable[HistoryEntry]) -> int:
        """Bring the store up to date with accepted history served by a sequencer
        (``GetTopologyHistory``), for a member that was not addressed by every broadcast
        (onboarded after genesis, or offline while the history grew).

        ``history`` is in processing order (:func:`~protocol.topology.history.replay_order`)
        and may hold :class:`ProposalRecord` s, the proposals of transactions still pending.

        Each record must either be one the store already holds at that position (same
        transaction hash, sequencing and effective time: checked, then skipped) or the
        next position, which is re-validated like :meth:`bootstrap`. A proposal record the
        store's proposal log holds is skipped; otherwise, unless it was sequenced before
        the store's last processed time, it is processed and must stay pending. Returns how
        many records (of either kind) were added. Any disagreement raises
        :class:`TopologyStoreError`: the member and the sequencer hold different histories
        and neither can be trusted to continue.
        """
        added = 0
        for record in history:
            if isinstance(record, ProposalRecord):
                added += await self._catch_up_proposal(record)
                continue
            local = self._processor.history()
            if record.position < len(local):
                mine = local[record.position]
                if (mine.signed.hash(), mine.sequenced_at, mine.effective_at) != (
                    record.signed.hash(),
                    record.sequenced_at,
                    record.effective_at,
                ):
                    raise TopologyStoreError(
                        self._path,
                        f"history entry {record.position} differs from the stored one "
                        f"(sequenced {record.sequenced_at} vs {mine.sequenced_at})",
                    )
                continue
            if record.position != len(local):
                raise TopologyStoreError(
                    self._path,
                    f"history entry {record.position} given, next position is {len(local)}",
                )
            last = self._processor.last_sequenced_at
            if last is not None and record.sequenced_at < last:
                raise TopologyStoreError(
                    self._path,
                    f"history entry {record.position} sequenced at {record.sequenced_at}, "
                    f"before this store's last processed time {last}: a broadcast was missed",
                )
            await self.bootstrap([record])
            added += 1
        return added

    async def _catch_up_proposal(self, record: ProposalRecord) -> int:
        if self._processor.knows_proposal(record):
            return 0
        where = f"proposal record at position {record.position} sequenced at {record.sequenced_at}"
        last = self._processor.last_sequenced_at
        if last is not None and record.sequenced_at < last:
            raise TopologyStoreError(
                self._path, f"{where} is not in this store: a broadcast was missed"
            )
        if record.position != len(self._processor.history()):
            raise TopologyStoreError(
                self._path, f"{where}, but {len(self._processor.history())} are accepted here"
            )
        outcome = await self.process(record.signed, record.sequenced_at)
        if not isinstance(outcome, Proposed):
            raise TopologyStoreError(self._path, f"{where}: {_describe(outcome)}")
        return 1

    async def rollback_to(self, sequenced_at: Timestamp) -> int:
        """Undo every decision on inputs sequenced after ``sequenced_at``, as if they had
        never been received; returns how many inputs were dropped.

        The remaining inputs are replayed, in their original order, through a fresh
        processor, and the file is rewritten from its state in one sqlite transaction, so a
        crash leaves either the old or the new state. A store whose decisions after
        ``sequenced_at`` were made before inputs were kept (an older file) cannot be rolled
        back: :class:`TopologyStoreError`.
        """
        async with self._lock:
            self._check_usable()
            last = self._processor.last_sequenced_at
            if last is None or last <= sequenced_at:
                return 0
            rows = list(
                await self._db.execute_fetchall("SELECT sequenced_at, data FROM inputs ORDER BY id")
            )
            kept = [(timestamp(s), bytes(d)) for s, d in rows if s <= sequenced_at]
            dropped = len(rows) - len(kept)
            if dropped == 0:
                raise TopologyStoreError(
                    self._path,
                    f"decisions after {sequenced_at} have no recorded inputs to undo",
                )
            processor = TopologyProcessor(self.domain)
            for at, data in kept:
                processor.process_bytes(data, at)
            if processor.history() != self._processor.history(sequenced_at):
                raise TopologyStoreError(
                    self._path, f"replaying the inputs up to {sequenced_at} changed a decision"
                )
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                await self._db.execute("DELETE FROM inputs WHERE sequenced_at > ?", (sequenced_at,))
                await self._db.execute(
                    "DELETE FROM rejections WHERE sequenced_at > ?", (sequenced_at,)
                )
                await self._db.execute(
                    "DELETE FROM transactions WHERE sequenced_at > ?", (sequenced_at,)
                )
                await self._db.execute("DELETE FROM pending")
                await self._db.executemany(
                    "INSERT INTO pending VALUES (?, ?, ?, ?)",
                    [_pending_row(p) for p in processor.pending_proposals()],
                )
                await _write_proposal_log(self._db, processor)
                new_last = processor.last_sequenced_at
                if new_last is None:
                    await self._db.execute("DELETE FROM meta WHERE key = 'last_sequenced_at'")
                else:
                    await self._db.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_sequenced_at', ?)",
                        (str(new_last),),
                    )
                await self._db.execute("COMMIT")
            except (aiosqlite.Error, OSError) as exc:
                self._broken = str(exc)
                raise TopologyStoreError(
                    self._path, f"rollback failed, reopen the store: {exc}"
                ) from exc
            self._processor = processor
            return dropped

    async def _persist(self, outcome: Outcome, sequenced_at: Timestamp, data: bytes) -> None:
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            await self._db.execute(
                "INSERT INTO inputs (sequenced_at, data) VALUES (?, ?)", (sequenced_at, data)
            )
            if isinstance(outcome, Accepted):
                r = outcome.record
                tx = r.signed.transaction
                digest = tx.hash().digest
                await self._db.execute(
                    "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        r.position,
                        r.sequenced_at,
                        r.effective_at,
                        digest,
                        tx.unique_key,
                        tx.serial,
                        int(tx.operation),
                        r.signed.encode(),
                    ),
                )
                stale = [(digest,), *((h.digest,) for h in outcome.dropped_proposals)]
                await self._db.executemany("DELETE FROM pending WHERE tx_hash = ?", stale)
                await self._db.executemany(
                    "UPDATE proposals SET resolved_at = ? WHERE tx_hash = ? "
                    "AND resolved_at IS NULL",
                    [(sequenced_at, d) for (d,) in stale],
                )
            elif isinstance(outcome, Proposed):
                p = outcome.proposal
                await self._db.execute(
                    "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)",
                    _pending_row(p),
                )
                await self._db.execute(
                    "INSERT INTO proposals (position, sequenced_at, tx_hash, resolved_at, signed) "
                    "VALUES (?, ?, ?, ?, ?)",
                    _proposal_row(LoggedProposal(outcome.record)),
                )
            else:
                await self._db.execute(
                    "INSERT INTO rejections (sequenced_at, tx_hash, code, detail) "
                    "VALUES (?, ?, ?, ?)",
                    (
                        sequenced_at,
                        None
                        if outcome.transaction_hash is None
                        else outcome.transaction_hash.digest,
                        outcome.reason.code,
                        str(outcome.reason),
                    ),
                )
            await self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_sequenced_at', ?)",
                (str(sequenced_at),),
            )
            await self._db.execute("COMMIT")
        except (aiosqlite.Error, OSError) as exc:
            self._broken = str(exc)
            raise TopologyStoreError(self._path, f"write failed, reopen the store: {exc}") from exc

    def _check_usable(self) -> None:
        if self._broken is not None:
            raise TopologyStoreError(self._path, f"unusable after a failed write: {self._broken}")

    # -- reading -------------------------------------------------------------------------------

    def snapshot_at(self, at: Timestamp) -> TopologySnapshot:
        """The topology in force at ``at`` (see :meth:`TopologyProcessor.snapshot_at`)."""
        return self._processor.snapshot_at(at)

    def history(self, sequenced_up_to: Timestamp | None = None) -> tuple[StoredTransaction, ...]:
        """Accepted transactions in order, up to a sequencing time: what a newly onboarded
        member needs (pass it to :meth:`bootstrap`) before its first event."""
        return self._processor.history(sequenced_up_to)

    def pending_proposals(self) -> tuple[PendingProposal, ...]:
        return self._processor.pending_proposals()

    def proposals(self, sequenced_up_to: Timestamp | None = None) -> tuple[ProposalRecord, ...]:
        """The proposal records of the transactions pending at ``sequenced_up_to``, in
        processing order: served with :meth:`history` to a member joining then
        (:meth:`TopologyProcessor.proposals`)."""
        return self._processor.proposals(sequenced_up_to)

    def proposal_log(self) -> tuple[LoggedProposal, ...]:
        return self._processor.proposal_log()

    async def rejections(self) -> list[tuple[Timestamp, str, str]]:
        """Recorded rejections as (sequenced_at, code, detail), oldest first."""
        rows = await self._db.execute_fetchall(
            "SELECT sequenced_at, code, detail FROM rejections ORDER BY id"
        )
        return [(Timestamp(s), c, d) for s, c, d in rows]


def _pending_row(p: PendingProposal) -> tuple[bytes, int, int, bytes]:
    """A pending proposal as a row of the ``pending`` table."""
    return (p.transaction_hash.digest, p.first_sequenced_at, p.last_sequenced_at, p.signed.encode())


def _proposal_row(entry: LoggedProposal) -> tuple[int, int, bytes, int | None, bytes]:
    """A proposal log entry as a row of the ``proposals`` table (without its id)."""
    record = entry.record
    return (
        record.position,
        record.sequenced_at,
        record.signed.hash().digest,
        entry.resolved_at,
        record.signed.encode(),
    )


async def _write_proposal_log(db: aiosqlite.Connection, processor: TopologyProcessor) -> None:
    """Replace the ``proposals`` table by ``processor``'s log (inside the caller's
    transaction)."""
    await db.execute("DELETE FROM proposals")
    await db.executemany(
        "INSERT INTO proposals (position, sequenced_at, tx_hash, resolved_at, signed) "
        "VALUES (?, ?, ?, ?, ?)",
        [_proposal_row(e) for e in processor.proposal_log()],
    )


async def _migrate_v1(
    path: Path, db: aiosqlite.Connection, restored: TopologyProcessor
) -> TopologyProcessor:
    """Schema 1 -> 2 (module docstring): rebuild the proposal log from the kept inputs."""
    rows = await db.execute_fetchall("SELECT sequenced_at, data FROM inputs ORDER BY id")
    replayed = TopologyProcessor(restored.domain)
    for at, data in rows:
        replayed.process_bytes(bytes(data), timestamp(at))
    same = (
        replayed.history() == restored.history()
        and replayed.pending_proposals() == restored.pending_proposals()
    )
    try:
        await db.execute("BEGIN IMMEDIATE")
        if same:
            await _write_proposal_log(db, replayed)
        await db.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION,)
        )
        await db.execute("COMMIT")
    except (aiosqlite.Error, OSError) as exc:
        raise TopologyStoreError(path, f"migration from schema 1 failed: {exc}") from exc
    if not same:
        return restored
    processor = TopologyProcessor(restored.domain)
    processor.restore(
        restored.history(),
        restored.pending_proposals(),
        restored.last_sequenced_at,
        replayed.proposal_log(),
    )
    return processor


def _describe(outcome: Outcome) -> str:
    if isinstance(outcome, Rejected):
        return f"rejected {outcome.reason.code}: {outcome.reason}"
    if isinstance(outcome, Proposed):
        return f"pending, missing {', '.join(outcome.missing)}"
    return "accepted"


async def _restore(
    path: Path, db: aiosqlite.Connection, processor: TopologyProcessor, last: str | None
) -> None:
    try:
        rows = await db.execute_fetchall(
            "SELECT position, sequenced_at, effective_at, signed FROM transactions "
            "ORDER BY position"
        )
        history = [
            StoredTransaction(p, timestamp(s), timestamp(e), decode_signed_topology_transaction(b))
            for p, s, e, b in rows
        ]
        rows = await db.execute_fetchall(
            "SELECT first_sequenced_at, last_sequenced_at, signed FROM pending ORDER BY tx_hash"
        )
        pending = [
            PendingProposal(decode_signed_topology_transaction(b), timestamp(f), timestamp(s))
            for f, s, b in rows
        ]
        rows = await db.execute_fetchall(
            "SELECT position, sequenced_at, resolved_at, signed FROM proposals ORDER BY id"
        )
        log = [
            LoggedProposal(
                ProposalRecord(p, timestamp(s), decode_signed_topology_transaction(b)),
                None if r is None else timestamp(r),
            )
            for p, s, r, b in rows
        ]
        at = None if last is None else timestamp(int(last))
        processor.restore(history, pending, at, log)
    except (MalformedError, ValueError, TypeError) as exc:
        raise TopologyStoreError(path, f"corrupt topology store: {exc}") from None
