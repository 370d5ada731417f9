"""``SequencerClock``: makes sequencer time advance while requests wait in silence.

The mediator decides timeouts by the sequencing times of the events it receives, never by
its own clock. When requests are pending and nothing arrives, nothing would ever time
out; so once the earliest response deadline is near on the local clock (within
``clock_tolerance_s``: the chain's clock and ours differ) and the stream has been silent
for ``idle_s``, the clock asks the sequencer for a time proof. The proof's receipt is an
event like any other: the processor times the request out on it. The wall clock only
decides *when to ask*, so a wrong clock costs a few extra proofs or a later timeout,
never a different verdict.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from mediator.metrics import MediatorMetrics
from node_runtime.member import MemberRuntimeError
from protocol.timestamp import MICROS_PER_SECOND, Timestamp, now

log = logging.getLogger(__name__)


class TimeSource(Protocol):
    """``MemberConnection.time_proof``."""

    async def time_proof(self, timeout_s: float = 30.0) -> Timestamp: ...


class SequencerClock:
    """See the module docstring; one task runs :meth:`run`."""

    def __init__(
        self,
        source: TimeSource,
        next_deadline: Callable[[], Timestamp | None],
        metrics: MediatorMetrics,
        *,
        poll_s: float = 0.25,
        idle_s: float = 1.0,
        clock_tolerance_s: float = 2.0,
        proof_timeout_s: float = 10.0,
    ) -> None:
        self.source = source
        self.next_deadline = next_deadline
        self.metrics = metrics
        self.poll_s = poll_s
        self.idle_s = idle_s
        self.clock_tolerance_s = clock_tolerance_s
        self.proof_timeout_s = proof_timeout_s
        self._last_event = time.monotonic()

    def observed(self) -> None:
        """An event arrived: the stream is not silent."""
        self._last_event = time.monotonic()

    def due(self) -> bool:
        """Whether a time proof should be requested now."""
        deadline = self.next_deadline()
        if deadline is None:
            return False
        if time.monotonic() - self._last_event < self.idle_s:
            return False
        tolerance = int(self.clock_tolerance_s * MICROS_PER_SECOND)
        return now() + tolerance >= deadline

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            if not self.due():
                continue
            self.metrics.time_proofs.inc()
            try:
                at = await self.source.time_proof(self.proof_timeout_s)
            except MemberRuntimeError as exc:
                log.warning("time proof failed: %s", exc)
                self.observed()  # back off for idle_s before the next try
                continue
            log.debug("time proof: sequencer time %d", at)
