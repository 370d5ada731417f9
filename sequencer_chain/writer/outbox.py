"""The writer's durable state: accepted requests, batches by writerSeq, and every signed tx.

Owns one aiosqlite database. Nothing else opens it. The rules it keeps:

* A request is acknowledged to its sender only after the transaction inserting it commits.
* A batch's bytes are fixed when it gets its ``writerSeq`` and never change afterwards: every
  transaction ever signed for that ``writerSeq`` carries the same batch, so the contract's
  per-writer sequence check lets at most one of them append.
* A signed transaction is stored before it is broadcast, so after a crash the writer knows
  every nonce it may have used and at what fees (a replacement must outbid them).
* Requests leave the database only when their batch is confirmed on chain. They return to
  the unbatched pool only when their batch's ``writerSeq`` is confirmed to hold *another*
  batch, so the batch can never land.

Durability: WAL with ``synchronous=FULL``. In WAL mode ``NORMAL`` survives a process crash but
may lose the last commits on power loss or an OS crash; an acknowledged request must
survive both, so every commit syncs the WAL. Concurrent ``enqueue`` calls are grouped into
one transaction by the caller (:mod:`.batch_writer`), which amortises the sync.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import aiosqlite

from node_runtime.sqlite import SqliteStore, open_store
from sequencer_chain.errors import DuplicateRequestError, OutboxError, OutboxMismatchError
from sequencer_chain.writer.fees import Fees
from sequencer_chain.writer.types import BatchState, Nonce, RequestId, WriterSeq

SCHEMA_VERSION = 1
CONFIRMED_HISTORY = 1_024
"""Confirmed batches whose small record (seq, hash, block) is kept, for operators."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    writer_seq       INTEGER PRIMARY KEY,
    batch            BLOB,             -- NULL once confirmed
    batch_hash       BLOB    NOT NULL,
    size             INTEGER NOT NULL,
    request_count    INTEGER NOT NULL,
    payload_bytes    INTEGER NOT NULL,  -- sum of its requests' lengths
    state            TEXT    NOT NULL,
    created_block    INTEGER NOT NULL, -- head when persisted: its event cannot be older
    created_at_us    INTEGER NOT NULL,
    mined_block      INTEGER,
    mined_block_hash BLOB,
    mined_tx_hash    BLOB
);
CREATE TABLE IF NOT EXISTS requests (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    message_key    BLOB    NOT NULL UNIQUE,
    payload        BLOB    NOT NULL,
    accepted_at_us INTEGER NOT NULL,
    writer_seq     INTEGER REFERENCES batches(writer_seq)  -- NULL: not batched yet
);
CREATE INDEX IF NOT EXISTS requests_by_batch ON requests(writer_seq, id);
CREATE TABLE IF NOT EXISTS txs (
    tx_hash          BLOB    PRIMARY KEY,
    writer_seq       INTEGER NOT NULL,
    batch_hash       BLOB    NOT NULL,
    nonce            INTEGER NOT NULL,
    max_fee          INTEGER NOT NULL,
    max_priority_fee INTEGER NOT NULL,
    gas              INTEGER NOT NULL,
    raw              BLOB    NOT NULL,
    signed_at_us     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_by_nonce ON txs(nonce);
CREATE INDEX IF NOT EXISTS txs_by_batch ON txs(writer_seq, batch_hash);
"""


@dataclass(frozen=True, slots=True)
class OutboxIdentity:
    """What an outbox belongs to; opening it for anything else is refused."""

    chain_id: int
    inbox_address: str
    account: str


@dataclass(frozen=True, slots=True)
class PendingRequest:
    id: RequestId
    message_key: bytes
    payload: bytes


@dataclass(frozen=True, slots=True)
class SentTx:
    """One signed transaction for a batch, stored before it was broadcast."""

    tx_hash: bytes
    writer_seq: WriterSeq
    batch_hash: bytes
    nonce: Nonce
    fees: Fees
    gas: int
    raw: bytes
    signed_at_us: int


@dataclass(frozen=True, slots=True)
class StoredBatch:
    writer_seq: WriterSeq
    batch: bytes | None
    """``None`` once confirmed."""
    batch_hash: bytes
    request_count: int
    payload_bytes: int
    state: BatchState
    created_block: int
    mined_block: int | None
    txs: tuple[SentTx, ...]
    """Oldest first."""

    @property
    def size(self) -> int:
        return len(self.batch) if self.batch is not None else 0


P = ParamSpec("P")
R = TypeVar("R")


def _serialised(
    method: Callable[Concatenate[Outbox, P], Awaitable[R]],
) -> Callable[Concatenate[Outbox, P], Awaitable[R]]:
    """One statement sequence at a time: the tasks share one connection, and an interleaved
    ``BEGIN`` from another task would fail (or worse, join the transaction)."""

    @functools.wraps(method)
    async def wrapper(self: Outbox, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._lock:
            return await method(self, *args, **kwargs)

    return wrapper


class Outbox(SqliteStore):
    """The database; every public method is one committed transaction, run one at a time."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        super().__init__(path, db)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, identity: OutboxIdentity) -> Outbox:
        path.parent.mkdir(parents=True, exist_ok=True)
        expected = {
            "schema_version": str(SCHEMA_VERSION),
            "chain_id": str(identity.chain_id),
            "inbox_address": identity.inbox_address.lower(),
            "account": identity.account.lower(),
        }

        def check(found: Mapping[str, str]) -> None:
            for key, value in expected.items():
                if found.get(key) != value:
                    raise OutboxMismatchError(
                        path, f"{key} is {found.get(key)!r}, this writer expects {value!r}"
                    )

        db = await open_store(
            path,
            _SCHEMA,
            lambda detail: OutboxError(path, detail),
            meta=expected,
            check=check,
            pragmas=("foreign_keys=ON",),
        )
        return cls(db, path)

    # ------------------------------------------------------------------ requests

    @_serialised
    async def add_requests(
        self, items: Sequence[tuple[bytes, bytes]], now_us: int
    ) -> list[RequestId | DuplicateRequestError]:
        """Insert (payload, message_key) pairs in one transaction; duplicates are not inserted."""
        out: list[RequestId | DuplicateRequestError] = []
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            for payload, key in items:
                cur = await self._db.execute(
                    "INSERT OR IGNORE INTO requests(message_key, payload, accepted_at_us) "
                    "VALUES (?, ?, ?)",
                    (key, payload, now_us),
                )
                if cur.rowcount == 1 and cur.lastrowid is not None:
                    out.append(RequestId(cur.lastrowid))
                else:
                    out.append(DuplicateRequestError(key))
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        return out

    @_serialised
    async def unbatched(self) -> list[PendingRequest]:
        async with self._db.execute(
            "SELECT id, message_key, payload FROM requests WHERE writer_seq IS NULL ORDER BY id"
        ) as cur:
            return [
                PendingRequest(RequestId(i), bytes(k), bytes(p)) for i, k, p in await cur.fetchall()
            ]

    @_serialised
    async def totals(self) -> tuple[int, int]:
        """(count, bytes) of requests not yet in a confirmed batch."""
        async with self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM requests"
        ) as cur:
            row = await cur.fetchone()
        return (int(row[0]), int(row[1])) if row is not None else (0, 0)

    @_serialised
    async def request_ids(self, writer_seq: WriterSeq) -> list[RequestId]:
        async with self._db.execute(
            "SELECT id FROM requests WHERE writer_seq = ? ORDER BY id", (writer_seq,)
        ) as cur:
            return [RequestId(r[0]) for r in await cur.fetchall()]

    # ------------------------------------------------------------------ batches

    @_serialised
    async def create_batch(
        self,
        writer_seq: WriterSeq,
        batch: bytes,
        batch_hash: bytes,
        request_ids: Sequence[RequestId],
        *,
        payload_bytes: int,
        created_block: int,
        now_us: int,
    ) -> StoredBatch:
        """Give ``request_ids`` the batch ``writer_seq``; all of them must be unbatched."""
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            await self._db.execute(
                "INSERT INTO batches(writer_seq, batch, batch_hash, size, request_count, "
                "payload_bytes, state, created_block, created_at_us) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    writer_seq,
                    batch,
                    batch_hash,
                    len(batch),
                    len(request_ids),
                    payload_bytes,
                    BatchState.PERSISTED.value,
                    created_block,
                    now_us,
                ),
            )
            updated = 0
            for rid in request_ids:
                cur = await self._db.execute(
                    "UPDATE requests SET writer_seq = ? WHERE id = ? AND writer_seq IS NULL",
                    (writer_seq, rid),
                )
                updated += cur.rowcount
            if updated != len(request_ids):
                raise OutboxMismatchError(
                    self.path,
                    f"batch {writer_seq}: {len(request_ids) - updated} of its requests are "
                    "missing or already batched",
                )
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        return StoredBatch(
            writer_seq, batch, batch_hash, len(request_ids), payload_bytes,
            BatchState.PERSISTED, created_block, None, (),
        )  # fmt: skip

    @_serialised
    async def record_tx(self, tx: SentTx) -> None:
        """Store a signed transaction (before broadcasting it) and mark its batch SENT."""
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            await self._db.execute(
                "INSERT OR IGNORE INTO txs(tx_hash, writer_seq, batch_hash, nonce, max_fee, "
                "max_priority_fee, gas, raw, signed_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    tx.tx_hash,
                    tx.writer_seq,
                    tx.batch_hash,
                    tx.nonce,
                    tx.fees.max_fee_per_gas,
                    tx.fees.max_priority_fee_per_gas,
                    tx.gas,
                    tx.raw,
                    tx.signed_at_us,
                ),
            )
            await self._db.execute(
                "UPDATE batches SET state = ? WHERE writer_seq = ? AND state = ?",
                (BatchState.SENT.value, tx.writer_seq, BatchState.PERSISTED.value),
            )
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise

    @_serialised
    async def set_mined(
        self, writer_seq: WriterSeq, block: int, block_hash: bytes, tx_hash: bytes
    ) -> None:
        await self._db.execute(
            "UPDATE batches SET state = ?, mined_block = ?, mined_block_hash = ?, "
            "mined_tx_hash = ? WHERE writer_seq = ?",
            (BatchState.MINED.value, block, block_hash, tx_hash, writer_seq),
        )

    @_serialised
    async def set_unmined(self, writer_seq: WriterSeq) -> None:
        """A reorg removed the including block: back to SENT."""
        await self._db.execute(
            "UPDATE batches SET state = ?, mined_block = NULL, mined_block_hash = NULL, "
            "mined_tx_hash = NULL WHERE writer_seq = ?",
            (BatchState.SENT.value, writer_seq),
        )

    @_serialised
    async def confirm(self, writer_seq: WriterSeq) -> int:
        """Confirmed on chain: delete its requests and transactions, keep a small record."""
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            cur = await self._db.execute("DELETE FROM requests WHERE writer_seq = ?", (writer_seq,))
            removed = cur.rowcount
            await self._db.execute("DELETE FROM txs WHERE writer_seq = ?", (writer_seq,))
            await self._db.execute(
                "UPDATE batches SET state = ?, batch = NULL WHERE writer_seq = ?",
                (BatchState.CONFIRMED.value, writer_seq),
            )
            await self._db.execute(  # keep a short confirmed history, not all of it
                "DELETE FROM batches WHERE state = ? AND writer_seq < ?",
                (BatchState.CONFIRMED.value, writer_seq - CONFIRMED_HISTORY),
            )
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        return removed

    @_serialised
    async def requeue(self, writer_seq: WriterSeq) -> list[PendingRequest]:
        """Return a batch's requests to the unbatched pool and forget the batch.

        Only for a batch whose ``writerSeq`` is confirmed to hold a different batch: it can
        never land, so its requests must go out again. Its signed transactions stay (their
        nonces may still be pending, and a replacement must outbid them).
        """
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            async with self._db.execute(
                "SELECT id, message_key, payload FROM requests WHERE writer_seq = ? ORDER BY id",
                (writer_seq,),
            ) as cur:
                rows = await cur.fetchall()
            moved = [PendingRequest(RequestId(i), bytes(k), bytes(p)) for i, k, p in rows]
            await self._db.execute(
                "UPDATE requests SET writer_seq = NULL WHERE writer_seq = ?", (writer_seq,)
            )
            await self._db.execute("DELETE FROM batches WHERE writer_seq = ?", (writer_seq,))
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        return moved

    @_serialised
    async def open_batches(self) -> list[StoredBatch]:
        """Batches not yet confirmed, by writerSeq, each with its transactions."""
        async with self._db.execute(
            "SELECT writer_seq, batch, batch_hash, request_count, payload_bytes, state, "
            "created_block, mined_block FROM batches WHERE state != ? ORDER BY writer_seq",
            (BatchState.CONFIRMED.value,),
        ) as cur:
            rows = list(await cur.fetchall())
        out = []
        for seq, batch, batch_hash, count, payload, state, created, mined in rows:
            txs = await self._txs("writer_seq = ? AND batch_hash = ?", (seq, batch_hash))
            out.append(
                StoredBatch(
                    WriterSeq(seq),
                    bytes(batch) if batch is not None else None,
                    bytes(batch_hash),
                    int(count),
                    int(payload),
                    BatchState(state),
                    int(created),
                    int(mined) if mined is not None else None,
                    tuple(txs),
                )
            )
        return out

    @_serialised
    async def last_writer_seq(self) -> WriterSeq | None:
        async with self._db.execute("SELECT MAX(writer_seq) FROM batches") as cur:
            row = await cur.fetchone()
        return WriterSeq(int(row[0])) if row is not None and row[0] is not None else None

    @_serialised
    async def txs_at_nonce(self, nonce: Nonce) -> list[SentTx]:
        return await self._txs("nonce = ?", (nonce,))

    @_serialised
    async def prune_txs_below(self, nonce: Nonce) -> None:
        """Forget transactions whose nonce the chain has used (they can no longer matter)."""
        await self._db.execute(
            "DELETE FROM txs WHERE nonce < ? AND writer_seq NOT IN "
            "(SELECT writer_seq FROM batches WHERE state != ?)",
            (nonce, BatchState.CONFIRMED.value),
        )

    async def _txs(self, where: str, args: tuple[object, ...]) -> list[SentTx]:
        async with self._db.execute(
            "SELECT tx_hash, writer_seq, batch_hash, nonce, max_fee, max_priority_fee, gas, raw, "
            f"signed_at_us FROM txs WHERE {where} ORDER BY signed_at_us, rowid",
            args,
        ) as cur:
            rows = await cur.fetchall()
        return [
            SentTx(
                bytes(h), WriterSeq(s), bytes(bh), Nonce(n), Fees(int(mf), int(mp)), int(g),
                bytes(raw), int(at),
            )
            for h, s, bh, n, mf, mp, g, raw, at in rows
        ]  # fmt: skip
