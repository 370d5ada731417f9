"""The sequencing-time rule: clamped to the block, strictly increasing, deterministic."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from protocol.sequencing_time import (
    MAX_LAG_MICROS,
    MAX_LEAD_MICROS,
    TimeBounds,
    assign_timestamps,
)
from protocol.timestamp import Timestamp, from_seconds

B = from_seconds(1_700_000_000)


def test_proposed_within_bounds_is_kept() -> None:
    assert assign_timestamps(None, B, Timestamp(B - 500), 3) == [B - 500, B - 499, B - 498]


def test_clamped_to_block_window() -> None:
    assert assign_timestamps(None, B, Timestamp(0), 1) == [B - MAX_LAG_MICROS]
    assert assign_timestamps(None, B, Timestamp(B + 10**9), 1) == [B + MAX_LEAD_MICROS]


def test_strictly_after_previous() -> None:
    prev = Timestamp(B + MAX_LEAD_MICROS)
    assert assign_timestamps(prev, B, Timestamp(B), 2) == [prev + 1, prev + 2]


def test_zero_requests() -> None:
    assert assign_timestamps(Timestamp(5), B, B, 0) == []


def test_custom_bounds() -> None:
    bounds = TimeBounds(max_lag=0, max_lead=0)
    assert assign_timestamps(None, B, Timestamp(B + 7), 1, bounds) == [B]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 30),  # block advance, seconds
            st.integers(-(10**9), 10**9),  # proposal offset from block time, µs
            st.integers(0, 5),  # requests in the batch
        ),
        max_size=30,
    )
)
def test_times_strictly_increase_and_stay_near_chain(batches: list[tuple[int, int, int]]) -> None:
    prev: Timestamp | None = None
    block = B
    for advance, offset, n in batches:
        block = Timestamp(block + advance * 1_000_000)
        times = assign_timestamps(prev, block, Timestamp(block + offset), n)
        assert len(times) == n
        for t in times:
            assert prev is None or t > prev
            assert t >= block - MAX_LAG_MICROS
            prev = t
