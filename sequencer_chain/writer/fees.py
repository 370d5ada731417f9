"""Fee and gas arithmetic of the writer's transactions: EIP-1559 quotes, replacement bumps,
and the gas limit of ``submit`` under EIP-7623. Pure functions; no I/O.

Fee policy
----------
A fresh transaction offers ``maxPriorityFeePerGas = max(eth_maxPriorityFeePerGas, min_tip)``
and ``maxFeePerGas = base_fee_multiplier × latest base fee + tip``, both cut at
``max_fee_per_gas_cap``. The multiplier lets a transaction survive several full blocks of
base-fee growth (+12.5% each) without a replacement.

A replacement (same nonce) must raise *both* fees by at least 10% over the previous
transaction at that nonce (geth's ``txpool.pricebump``; other clients are at least as
lenient). We offer ``max(previous × (100 + bump_percent) / 100, fresh quote)``, rounded up.
If the cap does not leave room for a valid bump, no replacement is made: the previous
transaction is re-broadcast unchanged instead, and the writer reports FeeCapTooLowError.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sequencer_chain.contract.inbox import encode_submit

GWEI = 10**9
MIN_REPLACEMENT_BUMP_PERCENT = 10

TX_BASE_GAS = 21_000
STANDARD_TOKEN_GAS = 4
"""EIP-7623: standard calldata cost per token (4 per zero byte, 16 per nonzero byte)."""
FLOOR_TOKEN_GAS = 10
"""EIP-7623: floor cost per token."""
SUBMIT_FIXED_EXECUTION_GAS = 90_000
"""Upper bound of ``submit``'s execution apart from its per-byte parts: three cold/warm
storage writes, two keccaks' fixed cost, the LOG's topics and the ABI decoding."""
LOG_DATA_GAS_PER_BYTE = 8


@dataclass(frozen=True, slots=True)
class FeeConfig:
    """The writer's fee policy (see the module docstring)."""

    max_fee_per_gas_cap: int = 500 * GWEI
    """Never offer more than this per gas, fresh or replacement."""
    base_fee_multiplier: int = 2
    min_priority_fee_per_gas: int = 1
    bump_percent: int = 12
    """Raise per replacement; at least 10 (geth refuses less)."""

    def __post_init__(self) -> None:
        if self.bump_percent < MIN_REPLACEMENT_BUMP_PERCENT:
            raise ValueError(
                f"bump_percent must be >= {MIN_REPLACEMENT_BUMP_PERCENT}, got {self.bump_percent}"
            )
        if self.max_fee_per_gas_cap < 1 or self.base_fee_multiplier < 1:
            raise ValueError("max_fee_per_gas_cap and base_fee_multiplier must be positive")
        if self.min_priority_fee_per_gas < 0:
            raise ValueError("min_priority_fee_per_gas must be >= 0")


@dataclass(frozen=True, slots=True)
class Fees:
    """The two EIP-1559 fee fields of one transaction, in wei per gas."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """What to offer now, and whether the cap stands in the way."""

    fees: Fees
    needed_wei: int
    """The least max fee that can be included in the next block: base fee + tip."""
    base_fee_wei: int

    @property
    def cap_too_low(self) -> bool:
        return self.fees.max_fee_per_gas < self.needed_wei


def quote(base_fee: int, suggested_tip: int, config: FeeConfig) -> FeeQuote:
    """Fees for a fresh transaction, given the latest block's base fee and the node's tip."""
    cap = config.max_fee_per_gas_cap
    tip = min(max(suggested_tip, config.min_priority_fee_per_gas), cap)
    max_fee = min(config.base_fee_multiplier * base_fee + tip, cap)
    return FeeQuote(Fees(max_fee, tip), needed_wei=base_fee + tip, base_fee_wei=base_fee)


def _raise_by(value: int, percent: int) -> int:
    return -(-value * (100 + percent) // 100)


def min_replacement(previous: Fees) -> Fees:
    """The least fees a replacement of ``previous`` may carry (+10% on both, rounded up)."""
    return Fees(
        _raise_by(previous.max_fee_per_gas, MIN_REPLACEMENT_BUMP_PERCENT),
        _raise_by(previous.max_priority_fee_per_gas, MIN_REPLACEMENT_BUMP_PERCENT),
    )


def bump(previous: Fees, fresh: Fees, config: FeeConfig) -> Fees | None:
    """Fees for replacing ``previous``, or ``None`` if the cap leaves no valid bump."""
    cap = config.max_fee_per_gas_cap
    floor = min_replacement(previous)
    tip = max(
        _raise_by(previous.max_priority_fee_per_gas, config.bump_percent),
        fresh.max_priority_fee_per_gas,
    )
    max_fee = max(_raise_by(previous.max_fee_per_gas, config.bump_percent), fresh.max_fee_per_gas)
    max_fee = min(max_fee, cap)
    tip = min(tip, max_fee)
    if max_fee < floor.max_fee_per_gas or tip < floor.max_priority_fee_per_gas:
        return None
    return Fees(max_fee, tip)


def calldata_tokens(calldata: bytes) -> int:
    """EIP-7623 tokens: zero bytes + 4 × nonzero bytes."""
    zeros = calldata.count(0)
    return zeros + 4 * (len(calldata) - zeros)


def calldata_floor_gas(calldata: bytes) -> int:
    """EIP-7623's floor: the least gas a transaction with this calldata is charged."""
    return TX_BASE_GAS + FLOOR_TOKEN_GAS * calldata_tokens(calldata)


@functools.lru_cache(maxsize=256)
def full_batch_gas(size: int) -> int:
    """The gas limit of a ``submit`` carrying a batch of ``size`` nonzero bytes (the
    dearest calldata of that size)."""
    return submit_gas_limit(encode_submit(0, b"\xff" * size), size)


@functools.lru_cache(maxsize=64)
def block_filling_size(block_gas_limit: int, max_size: int) -> int:
    """The batch size (bytes, at most ``max_size``) at which a whole number of batches fills
    a block of ``block_gas_limit`` gas.

    ``k`` batches of ``max_size`` fit a block and leave up to one batch's gas unused (on a
    30 M block, six 120 kB batches use 96 % of it). ``k + 1`` batches of the size returned
    here fit instead and leave at most about one request's gas. Sizes are costed as
    :func:`submit_gas_limit` costs them for a batch of nonzero bytes (the dearest
    calldata), since the block packs by each transaction's gas limit. If even one batch of
    ``max_size`` exceeds the block, ``max_size`` is returned unchanged.
    """

    gas = full_batch_gas
    fitting = block_gas_limit // gas(max_size)
    if fitting == 0:
        return max_size
    per_batch = block_gas_limit // (fitting + 1)
    lo, hi = 1, max_size  # the largest size whose gas is at most per_batch
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if gas(mid) <= per_batch:
            lo = mid
        else:
            hi = mid - 1
    return lo


def submit_gas_limit(calldata: bytes, batch_size: int) -> int:
    """A gas limit that ``submit`` with this calldata cannot exceed.

    Gas used is ``max(21000 + 4·tokens + execution, floor)``. Execution is bounded by a fixed
    part, the LOG's 8 gas per data byte, copying and hashing (≤ 12 gas per word), and the
    quadratic memory cost of holding the batch twice. For large batches of nonzero bytes the
    floor dominates and the limit *is* the floor, so a block packs as many batches as the
    gas actually used allows (no headroom is needed: the floor is charged exactly).
    """
    words = (batch_size + 31) // 32 + 4
    memory_words = 2 * words + 8
    execution = (
        SUBMIT_FIXED_EXECUTION_GAS
        + LOG_DATA_GAS_PER_BYTE * batch_size
        + 12 * words
        + 3 * memory_words
        + memory_words * memory_words // 512
    )
    standard = TX_BASE_GAS + STANDARD_TOKEN_GAS * calldata_tokens(calldata) + execution
    return max(standard, calldata_floor_gas(calldata))
