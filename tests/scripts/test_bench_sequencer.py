"""The sequencer benchmark's verdicts: which targets a result misses, and what it names as
the limit (the chain when its blocks were full, otherwise Python and the largest stages)."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_sequencer.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_sequencer", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


def result(bench: ModuleType, **changes: object) -> object:
    base = bench.RunResult(
        size=1024,
        nodes=1,
        envelopes_per_s=700.0,
        payload_bytes_per_s=700_000.0,
        capacity_bytes_per_s=750_000.0,
        offered_per_s=950.0,
        half_rate=350.0,
        p50_ms=900.0,
        p99_ms=1500.0,
        gas_per_byte=41.0,
        refused=0,
        cpu="seq1=60% bench=30%",
        batches="",
        block_fill=0.95,
    )
    return dataclasses.replace(base, **changes)


def test_targets_met_and_missed(bench: ModuleType) -> None:
    assert bench.missed_targets(result(bench), 1.0) == []
    missed = bench.missed_targets(
        result(bench, payload_bytes_per_s=600_000.0, p50_ms=1600.0, gas_per_byte=43.6), 1.0
    )
    assert [m.split()[0] for m in missed] == ["throughput", "p50", "gas/byte"]
    assert "80.0%" in missed[0]
    # p50's target scales with the block time; NaN (nothing measured) is a miss.
    assert bench.missed_targets(result(bench, p50_ms=1600.0), 2.0) == []
    assert bench.missed_targets(result(bench, p50_ms=float("nan")), 1.0)


def test_the_limit_is_the_chain_when_blocks_are_full(bench: ModuleType) -> None:
    verdict = bench.limit_verdict(result(bench, payload_bytes_per_s=600_000.0, block_fill=0.97))
    assert verdict.startswith("limit: the chain") and "97%" in verdict


def test_otherwise_python_and_its_largest_stages_are_named(bench: ModuleType) -> None:
    stages = (
        ("SendAsync: decode, verify, dedup, enqueue", 0.22),
        ("reader: fetch logs, derive, commit", 0.18),
        ("writer: tx manager (sign, send, follow)", 0.12),
        ("writer: ingest, pack", 0.02),
        (bench.OTHER_STAGE, 0.46),
    )
    verdict = bench.limit_verdict(
        result(bench, payload_bytes_per_s=600_000.0, block_fill=0.7, stages=stages)
    )
    assert verdict.startswith("limit: Python, not the chain (blocks only 70% full")
    named = verdict.split("largest stages of its busy time: ")[1]
    assert named.split("; ") == [
        f"{bench.OTHER_STAGE} 46%",
        "SendAsync: decode, verify, dedup, enqueue 22%",
        "reader: fetch logs, derive, commit 18%",
    ]
    unprofiled = bench.limit_verdict(result(bench, block_fill=0.7))
    assert unprofiled.endswith("stages not profiled")
