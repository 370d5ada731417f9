"""Deterministic sequencing timestamps, derived from the chain (docs/batch-format.md §5).

Every sequencer node calls :func:`assign_timestamps` once per decoded batch, in the total
order of ``BatchAppended`` events, with the same inputs taken from the chain; so every node
assigns every request the same time. The rule, for a batch whose writer proposed time
``p``, mined in a block with timestamp ``B`` (seconds, converted to microseconds), after a
previous request sequenced at ``prev``::

    base  = clamp(p, B - MAX_LAG, B + MAX_LEAD)
    t_0   = max(prev + 1µs, base)            (t_0 = base for the first batch of the domain)
    t_i   = t_0 + i µs                        for the i-th request of the batch

Why this rule:

* **Strictly increasing.** ``t_0 > prev`` and ``t_i`` steps by 1 µs, so times follow the
  total order exactly, as counters and topology effective times require.
* **Anchored to the chain.** A writer cannot move time far from the block it was mined in:
  it can backdate by at most ``MAX_LAG`` (bounding how late it could sneak a request in
  under its ``max_sequencing_time``) and postdate by at most ``MAX_LEAD`` (bounding how far
  it could push domain time, and so timeouts, ahead of the chain).
* **Finer than blocks.** Block timestamps have one-second granularity (and may be equal
  for consecutive blocks); the writer's microsecond clock gives requests meaningful times
  within a block. ``MAX_LEAD`` covers the rounding (a block stamped ``B`` may include a
  transaction built during second ``B``) plus ordinary clock skew.
* **Never stuck.** If a writer's clock or a block timestamp jumps ahead, later batches
  continue at ``prev + 1µs`` until the chain catches up; they never go back.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.errors import InvalidValueError
from protocol.timestamp import MAX_TIMESTAMP, MICROS_PER_SECOND, Timestamp, timestamp

MAX_LAG_MICROS = 60 * MICROS_PER_SECOND
"""How far before its block's timestamp a writer's proposed time may lie (60 s)."""

MAX_LEAD_MICROS = 2 * MICROS_PER_SECOND
"""How far after its block's timestamp a writer's proposed time may lie (2 s)."""


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """The clamp window; every node of a domain must use the same values."""

    max_lag: int = MAX_LAG_MICROS
    """Microseconds a proposed time may lie before the block timestamp."""
    max_lead: int = MAX_LEAD_MICROS
    """Microseconds a proposed time may lie after the block timestamp."""

    def __post_init__(self) -> None:
        if self.max_lag < 0 or self.max_lead < 0:
            raise InvalidValueError("time bounds", (self.max_lag, self.max_lead), "non-negative")


def clamp_proposed(
    proposed: Timestamp, block_time: Timestamp, bounds: TimeBounds = TimeBounds()
) -> Timestamp:
    """``clamp(proposed, block_time - max_lag, block_time + max_lead)``, within range."""
    lower = max(0, block_time - bounds.max_lag)
    upper = min(MAX_TIMESTAMP, block_time + bounds.max_lead)
    return Timestamp(min(max(proposed, lower), upper))


def assign_timestamps(
    previous: Timestamp | None,
    block_time: Timestamp,
    proposed: Timestamp,
    n_requests: int,
    bounds: TimeBounds = TimeBounds(),
) -> list[Timestamp]:
    """The sequencing times of the ``n_requests`` requests of one batch, in batch order.

    ``previous`` is the time of the last request sequenced before this batch (``None`` for
    the first batch of the domain); ``block_time`` the block's timestamp (use
    :func:`protocol.timestamp.from_seconds`); ``proposed`` the writer's proposed time from
    the batch header; ``n_requests`` the number of requests in the decoded batch. Every
    request consumes a time, whether it becomes a Deliver or a DeliverError, so a
    request's time never depends on validation; an undecodable batch assigns none.
    """
    if not isinstance(n_requests, int) or n_requests < 0:
        raise InvalidValueError("n_requests", n_requests, "a non-negative int")
    timestamp(block_time)
    timestamp(proposed)
    base = clamp_proposed(proposed, block_time, bounds)
    first = base if previous is None else max(timestamp(previous) + 1, base)
    if n_requests:
        timestamp(first + n_requests - 1)  # stays within range
    return [Timestamp(first + i) for i in range(n_requests)]
