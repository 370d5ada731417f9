"""The package store: upload (validate → evaluate → store), list, get.

Uploading is an administrator operation on one participant; which packages may be *used*
is decided separately by vetting (topology), which the interpreter checks. The store
keeps every package in memory and, when given a path, in a sqlite file, so uploaded
packages survive a restart. Packages read back from disk are validated again: the file
is not trusted more than an upload.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from participant.engine.budget import DEFAULT_MAX_STEPS
from participant.engine.errors import PackageNotFoundError
from participant.engine.package import Package, load_package
from participant.engine.types import PackageId, TemplateId

_SCHEMA = """
CREATE TABLE IF NOT EXISTS packages (
    package_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    uploaded_seq INTEGER NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class PackageInfo:
    """What ``list`` shows about a stored package."""

    package_id: PackageId
    name: str
    version: str
    module: str
    templates: tuple[TemplateId, ...]


class PackageStore:
    """Stored packages, by id. Not thread-safe: one task owns the store."""

    def __init__(self, path: str | Path | None = None, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        self._packages: dict[PackageId, Package] = {}
        self._order: list[PackageId] = []
        self._max_steps = max_steps
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(str(path))
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(_SCHEMA)
            self._db.commit()
            rows = self._db.execute(
                "SELECT package_id, source FROM packages ORDER BY uploaded_seq"
            ).fetchall()
            for package_id, source in rows:
                package = load_package(source, f"<stored {package_id}>", self._max_steps)
                if package.package_id != package_id:
                    raise PackageNotFoundError(package_id)
                self._remember(package)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _remember(self, package: Package) -> None:
        if package.package_id not in self._packages:
            self._packages[package.package_id] = package
            self._order.append(package.package_id)

    def upload(self, source: str | bytes, file: str = "<upload>") -> Package:
        """Validate, evaluate under the budget, and store a package; returns it.

        Uploading the same source twice is harmless and returns the same package.
        """
        package = load_package(source, file, self._max_steps)
        if package.package_id in self._packages:
            return self._packages[package.package_id]
        if self._db is not None:
            self._db.execute(
                "INSERT OR IGNORE INTO packages VALUES (?, ?, ?, ?, ?)",
                (package.package_id, package.name, package.version, package.source,
                 len(self._order)),
            )  # fmt: skip
            self._db.commit()
        self._remember(package)
        return package

    def get(self, package_id: PackageId) -> Package:
        try:
            return self._packages[package_id]
        except KeyError:
            raise PackageNotFoundError(package_id) from None

    def list(self) -> list[PackageInfo]:
        """Stored packages in upload order."""
        return [
            PackageInfo(p.package_id, p.name, p.version, p.module, tuple(p.template_ids()))
            for p in (self._packages[i] for i in self._order)
        ]

    def __contains__(self, package_id: object) -> bool:
        return package_id in self._packages
