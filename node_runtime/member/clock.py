"""``TimeProofClock``: makes sequencer time advance while requests wait in silence.

Members decide everything by the sequencing times of events (the mediator's response
timeouts; the participant's rollback at a request's decision deadline, a submission not
sequenced by its max sequencing time). When requests wait and nothing arrives, those
deadlines would never pass; so
once the earliest one is near on the local clock (within ``clock_tolerance_s``) and the
stream has been silent for ``idle_s``, the clock asks the sequencer for a time proof. The
proof's receipt is an event like any other and the processor acts on it. The wall clock
only decides *when to ask*: a wrong clock costs extra proofs or a later rollback, never a
different outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from node_runtime.member.errors import MemberRuntimeError
from protocol.timestamp import MICROS_PER_SECOND, Timestamp, now

log = logging.getLogger(__name__)


class TimeSource(Protocol):
    """``MemberConnection.time_proof``."""

    async def time_proof(self, timeout_s: float = 30.0) -> Timestamp: ...


class TimeProofClock:
    """See the module docstring; one task runs :meth:`run`."""

    def __init__(
        self,
        source: TimeSource,
        next_deadline: Callable[[], Timestamp | None],
        *,
        on_proof: Callable[[Timestamp], Awaitable[None]] | None = None,
        counter: Callable[[], None] | None = None,
        poll_s: float = 0.25,
        idle_s: float = 1.0,
        clock_tolerance_s: float = 2.0,
        proof_timeout_s: float = 10.0,
        wall_clock: Callable[[], Timestamp] = now,
    ) -> None:
        self.source = source
        self.next_deadline = next_deadline
        self.on_proof = on_proof
        self.counter = counter
        self.poll_s = poll_s
        self.idle_s = idle_s
        self.clock_tolerance_s = clock_tolerance_s
        self.proof_timeout_s = proof_timeout_s
        self.wall_clock = wall_clock
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
        return self.wall_clock() + tolerance >= deadline

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            if not self.due():
                continue
            if self.counter is not None:
                self.counter()
            try:
                at = await self.source.time_proof(self.proof_timeout_s)
            except MemberRuntimeError as exc:
                log.warning("time proof failed: %s", exc)
                self.observed()  # back off for idle_s before the next try
                continue
            log.debug("time proof: sequencer time %d", at)
            if self.on_proof is not None:
                await self.on_proof(at)
