"""``open_store`` on real sqlite files: new files, refused files, migrations, and the
connection closed whenever opening fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from node_runtime.sqlite import Synchronous, open_store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursor (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER);
"""


class StoreError(Exception):
    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {detail}")


def _meta(version: str = "2", domain: str = "d1") -> dict[str, str]:
    return {"schema_version": version, "domain": domain, "member": "m1"}


async def _create_cursor(db: aiosqlite.Connection) -> None:
    await db.execute("INSERT INTO cursor VALUES (1, NULL)")


async def _open(path: Path, meta: Mapping[str, str], **kw: object) -> aiosqlite.Connection:
    return await open_store(
        path,
        _SCHEMA,
        lambda detail: StoreError(path, detail),
        meta=meta,
        on_create=_create_cursor,
        **kw,  # type: ignore[arg-type]
    )


async def _pragma(db: aiosqlite.Connection, sql: str) -> Any:
    return next(iter(await db.execute_fetchall(sql)))[0]


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[aiosqlite.Connection]:
    """Every connection ``open_store`` makes, to see whether it was closed."""
    made: list[aiosqlite.Connection] = []
    real = aiosqlite.connect

    def connect(*args: object, **kw: object) -> aiosqlite.Connection:
        conn = real(*args, **kw)  # type: ignore[arg-type]
        made.append(conn)
        return conn

    monkeypatch.setattr(aiosqlite, "connect", connect)
    return made


def _closed(conn: aiosqlite.Connection) -> bool:
    return conn._connection is None  # aiosqlite has no public flag


async def test_new_file_gets_meta_and_first_rows_durably(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    db = await _open(path, _meta())
    try:
        assert await _pragma(db, "PRAGMA journal_mode") == "wal"
        assert await _pragma(db, "PRAGMA synchronous") == 2  # FULL
        assert db.isolation_level is None
    finally:
        await db.close()
    assert dict(_rows(path, "SELECT key, value FROM meta")) == _meta()
    assert _rows(path, "SELECT * FROM cursor") == [(1, None)]
    # Reopening the same file for the same identity is accepted and writes nothing again.
    db = await _open(path, _meta())
    await db.close()
    assert _rows(path, "SELECT * FROM cursor") == [(1, None)]


async def test_normal_synchronous_and_extra_pragmas(tmp_path: Path) -> None:
    db = await _open(
        tmp_path / "s.sqlite",
        _meta(),
        synchronous=Synchronous.NORMAL,
        pragmas=("foreign_keys=ON",),
    )
    try:
        assert await _pragma(db, "PRAGMA synchronous") == 1  # NORMAL
        assert await _pragma(db, "PRAGMA foreign_keys") == 1
    finally:
        await db.close()


async def test_other_identity_is_refused_and_closed(
    tmp_path: Path, opened: list[aiosqlite.Connection]
) -> None:
    path = tmp_path / "s.sqlite"
    await (await _open(path, _meta())).close()
    with pytest.raises(StoreError) as info:
        await _open(path, _meta(domain="d2"))
    assert info.value.path == path
    found = dict(sorted(_meta().items()))  # as read back: by key
    assert info.value.detail == f"made for {found}, expected {_meta(domain='d2')}"
    assert len(opened) == 2
    assert all(_closed(c) for c in opened)
    # The refused file is left as it was.
    assert dict(_rows(path, "SELECT key, value FROM meta"))["domain"] == "d1"


async def test_other_schema_version_is_refused_by_the_stores_check(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    await (await _open(path, _meta(version="7"))).close()

    def check(found: Mapping[str, str]) -> None:
        if found.get("schema_version") != "2":
            raise StoreError(path, f"schema {found.get('schema_version')}")

    with pytest.raises(StoreError, match=r"schema 7$"):
        await _open(path, _meta(), check=check)


async def test_migration_runs_once_with_the_version_update(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    await (await _open(path, _meta(version="1"))).close()
    calls: list[int] = []

    async def from_v1(db: aiosqlite.Connection) -> None:
        calls.append(1)
        await db.execute("UPDATE cursor SET at = 42")

    for _ in range(2):
        db = await _open(path, _meta(), migrations={"1": from_v1})
        await db.close()
    assert calls == [1]
    assert dict(_rows(path, "SELECT key, value FROM meta"))["schema_version"] == "2"
    assert _rows(path, "SELECT at FROM cursor") == [(42,)]


async def test_failed_migration_leaves_the_old_version(
    tmp_path: Path, opened: list[aiosqlite.Connection]
) -> None:
    path = tmp_path / "s.sqlite"
    await (await _open(path, _meta(version="1"))).close()

    async def broken(db: aiosqlite.Connection) -> None:
        await db.execute("UPDATE cursor SET at = 42")
        await db.execute("SELECT * FROM no_such_table")

    with pytest.raises(StoreError, match="cannot open: no such table"):
        await _open(path, _meta(), migrations={"1": broken})
    assert all(_closed(c) for c in opened)
    assert dict(_rows(path, "SELECT key, value FROM meta"))["schema_version"] == "1"
    assert _rows(path, "SELECT at FROM cursor") == [(None,)]


async def test_not_a_database_is_a_typed_error_and_closed(
    tmp_path: Path, opened: list[aiosqlite.Connection]
) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"this is not a sqlite file, not at all" * 100)
    with pytest.raises(StoreError, match=r": cannot open: file is not a database$"):
        await _open(path, _meta())
    assert len(opened) == 1 and _closed(opened[0])
    with pytest.raises(StoreError, match=r"\.sqlite: file is not a database$"):
        await _open(path, _meta(), failure=None)


async def test_unopenable_path_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "missing-dir" / "s.sqlite"
    with pytest.raises(StoreError, match="cannot open: unable to open database file"):
        await _open(path, _meta())


async def test_failure_in_on_create_writes_no_meta(
    tmp_path: Path, opened: list[aiosqlite.Connection]
) -> None:
    path = tmp_path / "s.sqlite"

    async def broken(db: aiosqlite.Connection) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await open_store(
            path, _SCHEMA, lambda d: StoreError(path, d), meta=_meta(), on_create=broken
        )
    assert _closed(opened[0])
    # One transaction: the file holds no half-written identity, so it opens as new.
    assert _rows(path, "SELECT * FROM meta") == []
    await (await _open(path, _meta())).close()
    assert _rows(path, "SELECT * FROM cursor") == [(1, None)]


async def test_store_without_meta(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    db = await open_store(path, _SCHEMA, lambda d: StoreError(path, d))
    await db.close()
    assert _rows(path, "SELECT * FROM meta") == []
