"""``node.sqlite``: what the node itself remembers beside the protocol's store: the display
names of the parties allocated through its Ledger API (topology has no place for them)
and when each package was first stored (WAL, ``synchronous=FULL``)."""

from __future__ import annotations

import os
from pathlib import Path

import aiosqlite

from node_runtime.sqlite import SqliteStore, open_store
from participant.node.errors import ParticipantNodeError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS party_names (
    party TEXT PRIMARY KEY,
    display_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS package_times (
    package_id TEXT PRIMARY KEY,
    known_since INTEGER NOT NULL
);
"""


class NodeStoreError(ParticipantNodeError):
    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {detail}")


class NodeStore(SqliteStore):
    """Open with :meth:`open`; one writer (the node)."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        super().__init__(path, db)

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> NodeStore:
        file = Path(path)
        db = await open_store(
            file, _SCHEMA, lambda detail: NodeStoreError(file, detail), failure="unusable"
        )
        return cls(db, file)

    async def set_party_name(self, party: str, display_name: str) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO party_names (party, display_name) VALUES (?, ?)",
            (party, display_name),
        )
        await self._db.commit()

    async def party_names(self) -> dict[str, str]:
        async with self._db.execute("SELECT party, display_name FROM party_names") as cur:
            return {str(p): str(n) for p, n in await cur.fetchall()}

    async def package_known(self, package_id: str, at_micros: int) -> int:
        """Record ``package_id`` as known since ``at_micros`` unless it is already; returns
        the recorded time."""
        await self._db.execute(
            "INSERT OR IGNORE INTO package_times (package_id, known_since) VALUES (?, ?)",
            (package_id, at_micros),
        )
        await self._db.commit()
        async with self._db.execute(
            "SELECT known_since FROM package_times WHERE package_id = ?", (package_id,)
        ) as cur:
            row = await cur.fetchone()
        return at_micros if row is None else int(row[0])

    async def package_times(self) -> dict[str, int]:
        async with self._db.execute("SELECT package_id, known_since FROM package_times") as cur:
            return {str(p): int(t) for p, t in await cur.fetchall()}
