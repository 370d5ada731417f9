"""Package upload: validation before anything runs, the budget at upload, the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from participant.engine import (
    BudgetExceededError,
    PackageNotFoundError,
    PackageStore,
    PackageValidationError,
    canonical_source,
    package_id_of,
)
from participant.engine.examples import example_source

HEADER = (
    "from participant.engine.api import Party, Update, choice, package, template\n"
    "\n"
    'PACKAGE = package("bad", "0.1")\n'
)

TEMPLATE = """
@template
class T:
    p: Party

    def signatory(self) -> list[Party]:
        return [self.p]
"""


def _refused(source: str) -> PackageValidationError:
    with pytest.raises(PackageValidationError) as info:
        PackageStore().upload(source, "bad.py")
    return info.value


def test_importing_os_is_refused() -> None:
    error = _refused("import os\n" + HEADER + TEMPLATE)
    assert error.file == "bad.py"
    assert error.line == 1
    assert "import of 'os' is not allowed" in error.reason


def test_from_os_import_is_refused() -> None:
    error = _refused(HEADER + "from os import system\n" + TEMPLATE)
    assert error.line == 4
    assert "import from 'os' is not allowed" in error.reason


def test_reading_the_clock_is_refused() -> None:
    source = (
        HEADER
        + TEMPLATE
        + """
    @choice(controller=lambda self, arg: [self.p])
    def Now(self, ctx: Update) -> int:
        import time
        return int(time.time())
"""
    )
    error = _refused(source)
    assert error.line == 14
    assert "import of 'time' is not allowed" in error.reason


def test_reaching_the_clock_through_dunder_import_is_refused() -> None:
    error = _refused(HEADER + 'CLOCK = __import__("time").time\n' + TEMPLATE)
    assert error.line == 4
    assert "'__import__'" in error.reason and "dunder" in error.reason


@pytest.mark.parametrize(
    ("snippet", "reason"),
    [
        ("X = open('/etc/passwd')", "builtin 'open' is not allowed"),
        ("import random", "import of 'random' is not allowed"),
        ("from datetime import datetime", "import from 'datetime' is not allowed"),
        ("X = hash('a')", "builtin 'hash' is not allowed"),
        ("X = id(T)", "builtin 'id' is not allowed"),
        ("X = print('a')", "builtin 'print' is not allowed"),
        ("X = eval('1')", "builtin 'eval' is not allowed"),
        ("X = getattr(T, 'p')", "builtin 'getattr' is not allowed"),
        ("X = T.__dict__", "names starting with '_' are not accessible"),
        ("X = {1, 2}", "sets are not allowed"),
        ("X = 1.5", "only str, int, bool and None literals"),
        ("def f():\n    global X\n", "global is not allowed"),
        ("def f(x):\n    try:\n        return 1\n    except Exception:\n        return 2\n",
         "try/except is not allowed"),
        ("X = ','.join(['a'])", "attribute 'join' is not allowed"),
        ("X = (y for y in []).gi_frame", "interpreter internals are not accessible"),
    ],
)  # fmt: skip
def test_unsafe_constructs_are_refused(snippet: str, reason: str) -> None:
    error = _refused(HEADER + TEMPLATE + "\n" + snippet + "\n")
    assert reason in error.reason


def test_module_body_that_loops_forever_is_stopped_by_the_budget() -> None:
    store = PackageStore(max_steps=5_000)
    with pytest.raises(BudgetExceededError) as info:
        store.upload(HEADER + TEMPLATE + "\nwhile True:\n    pass\n", "loop.py")
    assert info.value.resource == "steps"
    assert info.value.limit == 5_000
    assert info.value.context == "module body of package 'bad'"
    assert store.list() == []


def test_mutable_module_state_is_refused() -> None:
    error = _refused(HEADER + TEMPLATE + "\nCACHE = []\n")
    assert "module-level 'CACHE' is mutable" in error.reason


def test_package_id_is_the_hash_of_the_canonical_source() -> None:
    source = example_source("iou")
    crlf = source.replace("\n", "   \r\n")
    assert canonical_source(crlf) == canonical_source(source)
    store = PackageStore()
    package = store.upload(crlf)
    assert package.package_id == package_id_of(canonical_source(source))
    assert package.templates["Iou"].template_id == f"{package.package_id}:Iou:Iou"
    assert package_id_of(canonical_source(source + "# changed\n")) != package.package_id


def test_store_lists_gets_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "packages.sqlite"
    store = PackageStore(path)
    iou = store.upload(example_source("iou"))
    dvp = store.upload(example_source("dvp"))
    assert store.upload(example_source("iou")) is iou
    assert [(i.name, i.version) for i in store.list()] == [("iou", "1.0.0"), ("dvp", "1.0.0")]
    store.close()
    reopened = PackageStore(path)
    assert [i.package_id for i in reopened.list()] == [iou.package_id, dvp.package_id]
    assert reopened.get(iou.package_id).source == iou.source
    with pytest.raises(PackageNotFoundError) as info:
        reopened.get("0" * 64)  # type: ignore[arg-type]
    assert info.value.package_id == "0" * 64
    reopened.close()


def test_store_is_durable_wal_with_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "packages.sqlite"
    store = PackageStore(path)
    assert store._db is not None
    assert store._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    store.close()


def _alter(path: Path, expression: str) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(f"UPDATE packages SET source = {expression}")
        db.commit()
    finally:
        db.close()


def test_a_stored_package_whose_source_was_altered_is_refused_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "packages.sqlite"
    store = PackageStore(path)
    iou = store.upload(example_source("iou"))
    store.close()
    _alter(path, "source || '# altered' || char(10)")
    with pytest.raises(PackageNotFoundError) as info:
        PackageStore(path)
    assert info.value.package_id == iou.package_id
    _alter(path, "'import os' || char(10) || source")
    with pytest.raises(PackageValidationError) as refused:
        PackageStore(path)
    assert refused.value.file == f"<stored {iou.package_id}>"
    assert "import of 'os' is not allowed" in refused.value.reason
