"""Opening a node's sqlite store: one sequence for every store (``docs/nodes.md`` §1.1).

:func:`open_store` connects in autocommit mode (``isolation_level=None``: the store says
where its transactions begin and end), sets ``journal_mode=WAL`` and the store's
``synchronous`` level, runs the store's schema script and checks the ``meta`` table:

* an empty ``meta`` (a new file): the identity keys and the store's first rows
  (``on_create``) are written in **one** transaction, so a crash leaves either a complete
  new store or an empty file that the next open treats as new;
* a file whose schema version is a known older one: its migration hook and the new
  version number are committed in one transaction, so the hook runs once;
* otherwise the keys are compared with the expected ones and a file made for something
  else is refused with the store's own error.

Every failure closes the connection before the error leaves: a refused file is not kept
open (nor, on Windows, locked). Errors are the store's own, built by its ``error``
factory from a detail string, so each store keeps its error type, message and fields.

:class:`SqliteStore` is the base of a store on such a connection: ``close`` and
``async with`` are written once, here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from enum import StrEnum
from pathlib import Path
from typing import Self, TypeVar

import aiosqlite

ErrorFactory = Callable[[str], Exception]
"""Builds the store's own error from a detail such as ``"cannot open: disk I/O error"``."""

Migration = Callable[[aiosqlite.Connection], Awaitable[None]]
"""Upgrades a file of one older schema version, inside the open's transaction."""

MetaCheck = Callable[[Mapping[str, str]], None]
"""Raises the store's error when the ``meta`` rows found do not fit this store."""

T = TypeVar("T")

META_TABLE = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
"""The ``meta`` table every store with identity keys has (its schema script creates it)."""


class SqliteStore:
    """Base of a store on one aiosqlite connection (``path``, ``_db``): :meth:`close`
    closes the connection, and ``async with store`` closes it on leaving."""

    def __init__(self, path: Path, db: aiosqlite.Connection) -> None:
        self.path = path
        self._db = db

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class Synchronous(StrEnum):
    """``PRAGMA synchronous`` levels a store may ask for."""

    FULL = "FULL"
    """Durable on commit: what a node decided or received is never lost (the default)."""
    NORMAL = "NORMAL"
    """A crash may lose the last commits: only for stores derivable again (from the chain)."""


@asynccontextmanager
async def closing_on_failure(
    db: aiosqlite.Connection, error: ErrorFactory, failure: str | None = "cannot open"
) -> AsyncIterator[aiosqlite.Connection]:
    """Close ``db`` if the block fails; a sqlite error becomes ``error(f"{failure}: {exc}")``
    (``error(str(exc))`` when ``failure`` is ``None``), anything else is re-raised."""
    try:
        yield db
    except sqlite3.Error as exc:
        await db.close()
        raise error(_detail(failure, exc)) from exc
    except BaseException:
        await db.close()
        raise


async def read_row(
    db: aiosqlite.Connection,
    sql: str,
    parse: Callable[..., T],
    error: ErrorFactory,
    failure: str | None = "cannot open",
) -> T:
    """``parse(*row)`` of the first row ``sql`` selects, e.g. a store's cursor as it opens;
    ``db`` is closed if either fails (:func:`closing_on_failure`)."""
    async with closing_on_failure(db, error, failure):
        rows = await db.execute_fetchall(sql)
        return parse(*next(iter(rows)))


async def open_store(
    path: Path,
    schema: str,
    error: ErrorFactory,
    *,
    meta: Mapping[str, str] | None = None,
    check: MetaCheck | None = None,
    on_create: Migration | None = None,
    migrations: Mapping[str, Migration] | None = None,
    version_key: str = "schema_version",
    synchronous: Synchronous = Synchronous.FULL,
    pragmas: Sequence[str] = (),
    failure: str | None = "cannot open",
) -> aiosqlite.Connection:
    """Open the store at ``path``; the connection is the caller's on return.

    ``meta``: the identity keys and values (``version_key`` among them) a new file is
    given and an existing one must hold; ``None`` for a store without a ``meta`` table.
    ``check``: compares the rows found with the expected ones; by default they must be
    equal, else ``error(f"made for {found}, expected {meta}")``. ``on_create``: writes a
    new file's first rows, in the transaction that writes ``meta``. ``migrations``: by
    older ``version_key`` value, the hook that upgrades such a file; the tables it lacks
    are already created by ``schema``. ``pragmas``: further pragmas (``"foreign_keys=ON"``)
    set before the schema script. ``failure``: the detail's prefix for a sqlite error after
    connecting (``None``: the sqlite message alone); a failed connect is always
    ``error(f"cannot open: {exc}")``.
    """
    try:
        db = await aiosqlite.connect(path, isolation_level=None)
    except (sqlite3.Error, OSError) as exc:
        raise error(f"cannot open: {exc}") from exc
    async with closing_on_failure(db, error, failure):
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute(f"PRAGMA synchronous={synchronous.value}")
        for pragma in pragmas:
            await db.execute(f"PRAGMA {pragma}")
        await db.executescript(schema)
        if meta is not None:
            await _check_meta(
                db,
                error=error,
                expected=meta,
                check=check,
                on_create=on_create,
                migrations=migrations or {},
                version_key=version_key,
            )
    return db


async def _check_meta(
    db: aiosqlite.Connection,
    *,
    error: ErrorFactory,
    expected: Mapping[str, str],
    check: MetaCheck | None,
    on_create: Migration | None,
    migrations: Mapping[str, Migration],
    version_key: str,
) -> None:
    found = await _read_meta(db)
    if not found:
        await db.execute("BEGIN IMMEDIATE")
        await db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)", sorted(expected.items())
        )
        if on_create is not None:
            await on_create(db)
        await db.execute("COMMIT")
        return
    migration = migrations.get(found.get(version_key, ""))
    if migration is not None and version_key in expected:
        await db.execute("BEGIN IMMEDIATE")
        await migration(db)
        await db.execute(
            "UPDATE meta SET value = ? WHERE key = ?", (expected[version_key], version_key)
        )
        await db.execute("COMMIT")
        found = await _read_meta(db)
    if check is not None:
        check(found)
    elif found != expected:
        raise error(f"made for {found}, expected {dict(expected)}")


async def _read_meta(db: aiosqlite.Connection) -> dict[str, str]:
    return {str(k): str(v) for k, v in await db.execute_fetchall("SELECT key, value FROM meta")}


def _detail(failure: str | None, exc: BaseException) -> str:
    return str(exc) if failure is None else f"{failure}: {exc}"
