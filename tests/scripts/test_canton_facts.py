"""The Canton 3.4 wire-facts table and the two scripts around it.

``tests/vectors/canton-3.4-ledger-api-v2.tsv`` is well-formed and closed (every type it names
is a scalar, a definition of the table or a well-known type); ``scripts/canton_facts`` turns a
sample .proto tree into exactly the expected rows; ``scripts/ledger_api_diff`` finds planted
differences in a sample and runs against this repository's protos with a parsable RESULT."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "tests" / "vectors" / "canton-3.4-ledger-api-v2.tsv"
FACTS = ROOT / "scripts" / "canton_facts"
DIFF = ROOT / "scripts" / "ledger_api_diff"

COLUMNS = [
    "kind", "file", "package", "parent", "name", "number", "type", "label", "oneof",
    "request", "response", "client_streaming", "server_streaming",
]  # fmt: skip
SCALARS = {
    "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool", "string",
    "bytes", "uint32", "sfixed32", "sfixed64", "sint32", "sint64",
}  # fmt: skip
EXTERNAL = re.compile(r"google\.protobuf\.[A-Z]\w*|google\.rpc\.Status")
RESULT = re.compile(
    r"RESULT messages_total=(\d+) messages_differing=(\d+)"
    r" services_missing=(\d+) methods_missing=(\d+)"
)


def _run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _rows(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines[0].split("\t") == COLUMNS
    rows = []
    for line in lines[1:]:
        cells = line.split("\t")
        assert len(cells) == len(COLUMNS), line
        rows.append(dict(zip(COLUMNS, cells, strict=True)))
    return rows


# --- the table ------------------------------------------------------------------------------


def test_table_is_well_formed_and_closed() -> None:
    rows = _rows(TABLE.read_text())
    keys = Counter((r["kind"], r["parent"], r["name"]) for r in rows)
    assert [k for k, n in keys.items() if n > 1] == []
    defined = {r["parent"]: r["kind"] for r in rows if r["kind"] in ("message", "enum", "service")}
    numbers: Counter[tuple[str, str]] = Counter()

    def known(type_: str) -> bool:
        return (
            type_ in SCALARS
            or defined.get(type_) in ("message", "enum")
            or bool(EXTERNAL.fullmatch(type_))
        )

    for row in rows:
        kind = row["kind"]
        assert kind in ("message", "field", "enum", "enum_value", "service", "method"), row
        assert row["file"].startswith("com/daml/ledger/api/v2/"), row
        assert row["file"].endswith(".proto"), row
        assert row["package"].startswith("com.daml.ledger.api.v2"), row
        assert row["parent"].startswith(row["package"] + "."), row
        if kind in ("message", "enum", "service"):
            assert row["name"] == row["number"] == row["type"] == "", row
            continue
        parent_kind = {"field": "message", "enum_value": "enum", "method": "service"}[kind]
        assert defined.get(row["parent"]) == parent_kind, row
        if kind == "field":
            assert re.fullmatch(r"[1-9]\d*", row["number"]), row
            assert int(row["number"]) < 2**29, row
            numbers[(row["parent"], row["number"])] += 1
            assert row["label"] in ("singular", "optional", "repeated", "map"), row
            assert not row["oneof"] or row["label"] == "singular", row
            mapped = re.fullmatch(r"map<(\w+),([\w.]+)>", row["type"])
            if row["label"] == "map":
                assert mapped is not None, row
                assert mapped[1] in SCALARS, row
                assert known(mapped[2]), row
            else:
                assert known(row["type"]), row
        elif kind == "enum_value":
            assert re.fullmatch(r"0|[1-9]\d*", row["number"]), row
        else:
            assert known(row["request"]), row
            assert known(row["response"]), row
            assert row["client_streaming"] in ("true", "false"), row
            assert row["server_streaming"] in ("true", "false"), row
    assert [k for k, n in numbers.items() if n > 1] == []
    # Spot checks against Canton 3.4.11's commands.proto and update_service.proto.
    dedup = next(r for r in rows if r["parent"].endswith(".Commands") and r["number"] == "5")
    assert (dedup["name"], dedup["type"], dedup["label"], dedup["oneof"]) == (
        "deduplication_duration",
        "google.protobuf.Duration",
        "singular",
        "deduplication_period",
    )
    get_updates = next(r for r in rows if r["kind"] == "method" and r["name"] == "GetUpdates")
    assert get_updates["parent"] == "com.daml.ledger.api.v2.UpdateService"
    assert get_updates["server_streaming"] == "true"
    assert get_updates["client_streaming"] == "false"


# --- canton_facts on a sample -----------------------------------------------------------------

SAMPLE = """\
syntax = "proto3";
package com.daml.ledger.api.v2;
import "google/protobuf/timestamp.proto";
import "other/imported.proto";

message Outer {
  message Inner { repeated int64 values = 1; }
  enum Colour { COLOUR_UNSPECIFIED = 0; COLOUR_RED = 3; }
  string id = 1;
  optional google.protobuf.Timestamp at = 2;
  oneof choice {
    Inner inner = 4;
    sint64 count = 5;
  }
  map<string, Inner> by_name = 6;
  Colour colour = 7;
  other.Imported imported = 8;
}

service Sample {
  rpc Get(Outer) returns (Outer.Inner);
  rpc Watch(Outer) returns (stream Outer);
}
"""
IMPORTED = 'syntax = "proto3";\npackage other;\nmessage Imported { bytes data = 1; }\n'
FILE = "com/daml/ledger/api/v2/sample.proto"
PKG = "com.daml.ledger.api.v2"
OUTER = f"{PKG}.Outer"


def _row(kind: str, parent: str, *cells: str) -> list[str]:
    return [kind, FILE, PKG, parent, *cells, *[""] * (len(COLUMNS) - 4 - len(cells))]


EXPECTED = [
    _row("message", OUTER),
    _row("field", OUTER, "id", "1", "string", "singular"),
    _row("field", OUTER, "at", "2", "google.protobuf.Timestamp", "optional"),
    _row("field", OUTER, "inner", "4", f"{OUTER}.Inner", "singular", "choice"),
    _row("field", OUTER, "count", "5", "sint64", "singular", "choice"),
    _row("field", OUTER, "by_name", "6", f"map<string,{OUTER}.Inner>", "map"),
    _row("field", OUTER, "colour", "7", f"{OUTER}.Colour", "singular"),
    _row("field", OUTER, "imported", "8", "other.Imported", "singular"),
    _row("message", f"{OUTER}.Inner"),
    _row("field", f"{OUTER}.Inner", "values", "1", "int64", "repeated"),
    _row("enum", f"{OUTER}.Colour"),
    _row("enum_value", f"{OUTER}.Colour", "COLOUR_UNSPECIFIED", "0"),
    _row("enum_value", f"{OUTER}.Colour", "COLOUR_RED", "3"),
    _row("service", f"{PKG}.Sample"),
    _row(
        "method", f"{PKG}.Sample", "Get", "", "", "", "", OUTER, f"{OUTER}.Inner", "false", "false"
    ),
    _row("method", f"{PKG}.Sample", "Watch", "", "", "", "", OUTER, OUTER, "false", "true"),
]


def _sample(root: Path, text: str = SAMPLE) -> Path:
    (root / FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / FILE).write_text(text)
    (root / "other").mkdir(exist_ok=True)
    (root / "other" / "imported.proto").write_text(IMPORTED)
    return root


def test_canton_facts_turns_a_sample_into_the_expected_rows(tmp_path: Path) -> None:
    result = _run(FACTS, "--note", "a note", str(_sample(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["# a note", "\t".join(COLUMNS)]
    # The imported file outside the prefix is compiled but not tabulated.
    assert [line.split("\t") for line in result.stdout.splitlines()[2:]] == EXPECTED


def test_canton_facts_refuses_a_tree_without_protos(tmp_path: Path) -> None:
    result = _run(FACTS, str(tmp_path))
    assert result.returncode == 1
    assert "no .proto files" in result.stderr


def test_canton_facts_reports_a_proto_that_does_not_compile(tmp_path: Path) -> None:
    result = _run(FACTS, str(_sample(tmp_path, SAMPLE.replace("string id = 1;", "string id;"))))
    assert result.returncode == 1
    assert "protoc failed" in result.stderr


# --- ledger_api_diff ---------------------------------------------------------------------------


def test_ledger_api_diff_reports_planted_differences(tmp_path: Path) -> None:
    reference = _run(FACTS, str(_sample(tmp_path / "reference"))).stdout
    table = tmp_path / "table.tsv"
    table.write_text(reference)
    changed = (
        SAMPLE.replace("sint64 count = 5;", "int64 count = 5;")  # type
        .replace("string id = 1;", "string key = 1;")  # renamed
        .replace("Colour colour = 7;", "Colour colour = 9;")  # number
        .replace("  rpc Get(Outer) returns (Outer.Inner);\n", "")  # missing method
        .replace("message Inner {", "message Extra {}\n  message Inner {")  # extra message
    )
    ours = _sample(tmp_path / "ours", changed)
    args = ("--table", str(table), "--prefix", "com/daml/ledger/api/v2", str(ours))

    result = _run(DIFF, *args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        f"message {OUTER}:",
        "  renamed  id = 1 singular string  (here: key = 1 singular string)",
        "  differs  count: type sint64 (here: int64)",
        "  differs  colour: number 7 (here: 9)",
    ]
    assert f"service {PKG}.Sample:" in lines
    assert f"  missing  Get({OUTER}) returns ({OUTER}.Inner)" in lines
    assert f"message {OUTER}.Extra: extra ({FILE})" in lines
    assert lines[-1] == (
        "RESULT messages_total=2 messages_differing=1 services_missing=0 methods_missing=1"
    )
    assert _run(DIFF, "--check", *args).returncode == 1

    same = _run(DIFF, "--check", *args[:-1], str(tmp_path / "reference"))
    assert same.returncode == 0, same.stdout
    assert same.stdout.splitlines()[-1] == (
        "RESULT messages_total=2 messages_differing=0 services_missing=0 methods_missing=0"
    )


def test_ledger_api_diff_runs_against_this_repository() -> None:
    result = _run(DIFF)
    assert result.returncode == 0, result.stderr
    match = RESULT.fullmatch(result.stdout.splitlines()[-1])
    assert match is not None, result.stdout[-500:]
    total, differing, services_missing, methods_missing = map(int, match.groups())
    rows = _rows(TABLE.read_text())
    assert total == sum(1 for r in rows if r["kind"] == "message")
    assert 0 <= differing <= total
    assert services_missing <= sum(1 for r in rows if r["kind"] == "service")
    assert methods_missing <= sum(1 for r in rows if r["kind"] == "method")
    assert result.stdout.splitlines()[-2].startswith("SUMMARY ")


@pytest.mark.parametrize("script", [FACTS, DIFF], ids=lambda p: p.name)
def test_extensionless_scripts_are_ruff_clean(script: Path) -> None:
    # `ruff check .` only sees *.py files; these two are checked by name.
    ruff = Path(sys.executable).parent / "ruff"
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(ruff), *command, str(script)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
