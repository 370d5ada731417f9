"""The domain manager's own database (``data_dir/domain_manager.sqlite``, WAL mode,
``synchronous=FULL``): onboarding requests and their state, party hosting requests, and the
audit log of admin actions. The topology itself lives in the member runtime's topology
store; nothing here is needed to rebuild it.

Schema (version 1)::

    meta(key TEXT PRIMARY KEY, value TEXT)        schema_version, domain, next_counter
    onboarding(request_id TEXT PRIMARY KEY, member, kind, state, permission,
               transactions BLOB, created_at, updated_at, sequenced_at, effective_at, reason)
    hosting(id INTEGER PRIMARY KEY, party, transaction_hash, state, missing,
            sequenced_at, effective_at, created_at)
    audit(id INTEGER PRIMARY KEY, at, actor, action, subject, detail)

Every write commits before the caller acknowledges anything. Writes are serialised by a
lock (the node's tasks share one connection); aiosqlite runs them on its thread.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path

import aiosqlite

from domain_manager.errors import DomainManagerStoreError
from domain_manager.types import (
    HostingOutcome,
    OnboardingKind,
    OnboardingRequest,
    OnboardingState,
    RequestId,
)
from node_runtime.sqlite import META_TABLE, SqliteStore, open_store
from protocol.canonical import Reader, encode
from protocol.errors import MalformedError
from protocol.identifiers import DomainId, MemberId
from protocol.timestamp import Timestamp
from protocol.topology import (
    MalformedTopologyError,
    ParticipantPermission,
    SignedTopologyTransaction,
    decode_signed_topology_transaction,
)

SCHEMA_VERSION = "1"
MAX_STORED_TRANSACTIONS = 16

_SCHEMA = (
    META_TABLE
    + """
CREATE TABLE IF NOT EXISTS onboarding (
    request_id TEXT PRIMARY KEY,
    member TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    permission INTEGER NOT NULL,
    transactions BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sequenced_at INTEGER,
    effective_at INTEGER,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS onboarding_member ON onboarding (member);
CREATE TABLE IF NOT EXISTS hosting (
    id INTEGER PRIMARY KEY,
    party TEXT NOT NULL,
    transaction_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    missing TEXT NOT NULL,
    sequenced_at INTEGER NOT NULL,
    effective_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""
)


def _encode_transactions(txs: tuple[SignedTopologyTransaction, ...]) -> bytes:
    return encode(lambda w: w.sequence(txs, lambda w_, t: w_.bytes(t.encode())))


def _decode_transactions(data: bytes) -> tuple[SignedTopologyTransaction, ...]:
    r = Reader(data, "stored onboarding transactions")
    raw = r.sequence(lambda r_: r_.bytes(), max_count=MAX_STORED_TRANSACTIONS)
    r.finish()
    return tuple(decode_signed_topology_transaction(b) for b in raw)


class DomainManagerStore(SqliteStore):
    """Onboarding requests, hosting requests and the audit log. Create with :meth:`open`."""

    def __init__(self, path: Path, db: aiosqlite.Connection) -> None:
        super().__init__(path, db)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | os.PathLike[str], domain: DomainId) -> DomainManagerStore:
        target = Path(path)

        def check(found: Mapping[str, str]) -> None:
            if found.get("schema_version") != SCHEMA_VERSION:
                raise DomainManagerStoreError(target, f"schema {found.get('schema_version')}")
            if found.get("domain") != domain:
                raise DomainManagerStoreError(target, f"made for domain {found.get('domain')}")

        db = await open_store(
            target,
            _SCHEMA,
            lambda detail: DomainManagerStoreError(target, detail),
            meta={"schema_version": SCHEMA_VERSION, "domain": domain},
            check=check,
            failure=None,
        )
        return cls(target, db)

    async def _write(self, sql: str, params: tuple[object, ...]) -> None:
        async with self._lock:  # one connection: one transaction at a time
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                await self._db.execute(sql, params)
                await self._db.execute("COMMIT")
            except (aiosqlite.Error, OSError) as exc:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise DomainManagerStoreError(self.path, f"write failed: {exc}") from exc

    # -- the member stream's counter ------------------------------------------------------------

    async def next_counter(self) -> int:
        """The first sequencer counter not yet handled (0 at first start)."""
        rows = list(
            await self._db.execute_fetchall("SELECT value FROM meta WHERE key = 'next_counter'")
        )
        return int(rows[0][0]) if rows else 0

    async def set_next_counter(self, counter: int) -> None:
        await self._write(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('next_counter', ?)", (str(counter),)
        )

    # -- onboarding ------------------------------------------------------------------------

    async def insert_request(self, request: OnboardingRequest) -> None:
        await self._write(
            "INSERT INTO onboarding VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request.request_id,
                request.member,
                request.kind.value,
                request.state.value,
                int(request.permission),
                _encode_transactions(request.transactions),
                request.created_at,
                request.updated_at,
                request.sequenced_at,
                request.effective_at,
                request.reason,
            ),
        )

    async def update_request(self, request: OnboardingRequest) -> None:
        await self._write(
            "UPDATE onboarding SET state = ?, updated_at = ?, sequenced_at = ?, "
            "effective_at = ?, reason = ? WHERE request_id = ?",
            (
                request.state.value,
                request.updated_at,
                request.sequenced_at,
                request.effective_at,
                request.reason,
                request.request_id,
            ),
        )

    async def request(self, request_id: str) -> OnboardingRequest | None:
        rows = list(
            await self._db.execute_fetchall(
                "SELECT * FROM onboarding WHERE request_id = ?", (request_id,)
            )
        )
        return self._row(rows[0]) if rows else None

    async def requests(
        self, state: OnboardingState | None = None, member: str | None = None
    ) -> list[OnboardingRequest]:
        """Requests oldest first, filtered by state and/or member."""
        sql, params = "SELECT * FROM onboarding WHERE 1 = 1", []
        if state is not None:
            sql += " AND state = ?"
            params.append(state.value)
        if member is not None:
            sql += " AND member = ?"
            params.append(member)
        rows = await self._db.execute_fetchall(sql + " ORDER BY created_at, request_id", params)
        return [self._row(r) for r in rows]

    def _row(self, row: aiosqlite.Row) -> OnboardingRequest:
        try:
            (rid, member, kind, state, perm, txs, created, updated, seq, eff, reason) = row
            return OnboardingRequest(
                request_id=RequestId(rid),
                member=MemberId(member),
                kind=OnboardingKind(kind),
                state=OnboardingState(state),
                permission=ParticipantPermission(perm),
                transactions=_decode_transactions(txs),
                created_at=Timestamp(created),
                updated_at=Timestamp(updated),
                sequenced_at=None if seq is None else Timestamp(seq),
                effective_at=None if eff is None else Timestamp(eff),
                reason=reason,
            )
        except (ValueError, TypeError, MalformedError, MalformedTopologyError) as exc:
            raise DomainManagerStoreError(self.path, f"corrupt onboarding row: {exc}") from None

    # -- hosting ---------------------------------------------------------------------------

    async def record_hosting(self, outcome: HostingOutcome, created_at: Timestamp) -> None:
        await self._write(
            "INSERT INTO hosting (party, transaction_hash, state, missing, sequenced_at, "
            "effective_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                outcome.party,
                outcome.transaction_hash,
                outcome.state.value,
                ",".join(outcome.missing),
                outcome.sequenced_at,
                outcome.effective_at,
                created_at,
            ),
        )

    async def hosting_records(self) -> list[tuple[str, str, str]]:
        """(party, transaction hash, state), oldest first."""
        rows = await self._db.execute_fetchall(
            "SELECT party, transaction_hash, state FROM hosting ORDER BY id"
        )
        return [(str(p), str(h), str(s)) for p, h, s in rows]

    # -- audit -----------------------------------------------------------------------------

    async def audit(
        self, at: Timestamp, actor: str, action: str, subject: str, detail: str = ""
    ) -> None:
        await self._write(
            "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (at, actor, action, subject, detail),
        )

    async def audit_log(self) -> list[tuple[Timestamp, str, str, str, str]]:
        rows = await self._db.execute_fetchall(
            "SELECT at, actor, action, subject, detail FROM audit ORDER BY id"
        )
        return [(Timestamp(a), str(b), str(c), str(d), str(e)) for a, b, c, d, e in rows]
