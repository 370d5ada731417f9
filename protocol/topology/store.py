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

Schema (version 1)::

    meta(key TEXT PRIMARY KEY, value TEXT)            schema_version, domain, last_sequenced_at
    transactions(position INTEGER PRIMARY KEY, sequenced_at, effective_at, tx_hash UNIQUE,
                 unique_key, serial, operation, signed BLOB)
    pending(tx_hash BLOB PRIMARY KEY, first_sequenced_at, last_sequenced_at, signed BLOB)
    rejections(id INTEGER PRIMARY KEY, sequenced_at, tx_hash, code, detail)
    inputs(id INTEGER PRIMARY KEY, sequenced_at, data BLOB)   every input, as processed

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
from protocol.topology.processor import (
    Accepted,
    Outcome,
    PendingProposal,
    Proposed,
    Rejected,
    TopologyProcessor,
)
from protocol.topology.snapshot import TopologySnapshot
from protocol.topology.state import StoredTransaction
from protocol.topology.transactions import (
    SignedTopologyTransaction,
    decode_signed_topology_transaction,
)

SCHEMA_VERSION = "1"

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
            elif meta.get("schema_version") != SCHEMA_VERSION:
                raise TopologyStoreError(target, f"schema version {meta.get('schema_version')}")
            elif meta.get("domain") != domain:
                raise TopologyStoreError(target, f"made for domain {meta.get('domain')}")
            processor = TopologyProcessor(domain)
            await _restore(target, db, processor, meta.get("last_sequenced_at"))
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

    async def catch_up(self, history: Iterable[StoredTransaction]) -> int:
        """Bring the store up to date with accepted history served by a sequencer
        (``GetTopologyHistory``), for a member that was not addressed by every broadcast
        (onboarded after genesis, or offline while the history grew).

        Each record must either be one the store already holds at that position (same
        transaction hash, sequencing and effective time: checked, then skipped) or the
        next position, which is re-validated like :meth:`bootstrap`. Returns how many
        records were added. Any disagreement raises :class:`TopologyStoreError`: the
        member and the sequencer hold different histories and neither can be trusted to
        continue.
        """
        added = 0
        for record in history:
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
            elif isinstance(outcome, Proposed):
                p = outcome.proposal
                await self._db.execute(
                    "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)",
                    _pending_row(p),
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

    async def rejections(self) -> list[tuple[Timestamp, str, str]]:
        """Recorded rejections as (sequenced_at, code, detail), oldest first."""
        rows = await self._db.execute_fetchall(
            "SELECT sequenced_at, code, detail FROM rejections ORDER BY id"
        )
        return [(Timestamp(s), c, d) for s, c, d in rows]


def _pending_row(p: PendingProposal) -> tuple[bytes, int, int, bytes]:
    """A pending proposal as a row of the ``pending`` table."""
    return (p.transaction_hash.digest, p.first_sequenced_at, p.last_sequenced_at, p.signed.encode())


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
        processor.restore(history, pending, None if last is None else timestamp(int(last)))
    except (MalformedError, ValueError, TypeError) as exc:
        raise TopologyStoreError(path, f"corrupt topology store: {exc}") from None
