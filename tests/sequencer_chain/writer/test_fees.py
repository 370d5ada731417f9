"""Fee and gas arithmetic of the writer: replacement bumps, the cap, the EIP-7623 gas limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sequencer_chain.contract import encode_submit
from sequencer_chain.writer import FeeConfig, Fees
from sequencer_chain.writer.fees import GWEI, bump, calldata_floor_gas, quote, submit_gas_limit

fee_values = st.integers(min_value=1, max_value=10_000 * GWEI)


@given(fee_values, fee_values, fee_values, fee_values)
def test_a_replacement_raises_both_fees_by_at_least_ten_percent_or_is_refused(
    prev_max: int, prev_tip: int, fresh_max: int, fresh_tip: int
) -> None:
    prev = Fees(max(prev_max, prev_tip), prev_tip)
    config = FeeConfig(max_fee_per_gas_cap=5_000 * GWEI)
    new = bump(prev, Fees(fresh_max, min(fresh_tip, fresh_max)), config)
    if new is None:
        # Only the cap may refuse a replacement.
        assert prev.max_fee_per_gas * 110 > config.max_fee_per_gas_cap * 100 or (
            prev.max_priority_fee_per_gas * 110 > config.max_fee_per_gas_cap * 100
        )
        return
    assert new.max_fee_per_gas * 100 >= prev.max_fee_per_gas * 110
    assert new.max_priority_fee_per_gas * 100 >= prev.max_priority_fee_per_gas * 110
    assert new.max_priority_fee_per_gas <= new.max_fee_per_gas <= config.max_fee_per_gas_cap


def test_quote_never_exceeds_the_cap_and_says_when_the_chain_needs_more() -> None:
    config = FeeConfig(max_fee_per_gas_cap=3 * GWEI)
    cheap = quote(base_fee=GWEI, suggested_tip=GWEI // 10, config=config)
    assert cheap.fees == Fees(2 * GWEI + GWEI // 10, GWEI // 10)
    assert not cheap.cap_too_low
    dear = quote(base_fee=10 * GWEI, suggested_tip=GWEI, config=config)
    assert dear.fees.max_fee_per_gas == 3 * GWEI
    assert dear.cap_too_low and dear.needed_wei == 11 * GWEI


def test_bump_percent_below_ten_is_refused() -> None:
    with pytest.raises(ValueError, match="bump_percent"):
        FeeConfig(bump_percent=9)


@pytest.mark.parametrize("size", [1, 64, 1024, 16 * 1024, 100 * 1024, 120_000])
def test_gas_limit_covers_the_floor_and_is_the_floor_for_large_batches(size: int) -> None:
    calldata = encode_submit(7, b"\xab" * size)
    limit = submit_gas_limit(calldata, size)
    assert limit >= calldata_floor_gas(calldata)
    if size >= 16 * 1024:
        assert limit == calldata_floor_gas(calldata)
    if size == 100 * 1024:
        assert 4_000_000 < limit < 4_200_000  # about 4.1M gas, as the contract's doc says
