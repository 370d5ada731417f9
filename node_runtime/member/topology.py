"""``MemberTopology``: the member's view of the domain topology over time.

It wraps the member's :class:`~protocol.topology.TopologyStore` (``topology.sqlite``),
loaded with the genesis, kept up to date by the subscription task, which

* replays the accepted history served by a sequencer (``GetTopologyHistory``), with the
  proposals of the transactions pending at its end, for the times this member was not
  addressed by every broadcast (:meth:`catch_up`), and
* processes each topology broadcast of an event at the event's timestamp, before the
  node's handler sees the event (:meth:`observe`).

``snapshot_at(t)`` is final for every ``t`` up to :attr:`last_event_timestamp`: a
broadcast sequenced later takes effect later. :meth:`wait_for_time` lets a caller wait
until the member has processed an event at or after ``t``.
"""

from __future__ import annotations

import asyncio
import logging

from protocol.identifiers import MemberKind, member_kind
from protocol.sequencer_messages import Deliver, SequencedEvent
from protocol.timestamp import Timestamp
from protocol.topology import (
    Genesis,
    HistoryEntry,
    Outcome,
    StoredTransaction,
    TopologySnapshot,
    TopologyStore,
    is_topology_payload,
)

log = logging.getLogger(__name__)


def topology_broadcasts(event: SequencedEvent) -> list[bytes]:
    """The payloads of ``event`` a member processes as topology transactions: every
    envelope marked as one in a ``Deliver`` from a domain manager (the sequencer delivered
    it, so the sender was active at the event's time), in envelope order."""
    if not isinstance(event, Deliver):
        return []
    if member_kind(event.sender) is not MemberKind.DOMAIN_MANAGER:
        return []
    return [e.payload for e in event.batch.envelopes if is_topology_payload(e.payload)]


class MemberTopology:
    """See the module docstring. Reads are synchronous; the subscription task writes."""

    def __init__(self, store: TopologyStore, genesis: Genesis) -> None:
        self.store = store
        self.genesis = genesis
        self._last_event_timestamp: Timestamp | None = None
        self._changed = asyncio.Event()

    @classmethod
    async def open(cls, path: str, genesis: Genesis) -> MemberTopology:
        """Open the store and load the genesis (or check the store began with it)."""
        return cls(await TopologyStore.open_with_genesis(path, genesis), genesis)

    async def close(self) -> None:
        await self.store.close()

    # -- reading ---------------------------------------------------------------------------

    @property
    def last_event_timestamp(self) -> Timestamp | None:
        """Sequencing time of the last event processed (``None`` before the first)."""
        return self._last_event_timestamp

    def snapshot_at(self, at: Timestamp) -> TopologySnapshot:
        """The topology in force at ``at``; final once an event at or after ``at`` has been
        processed (:meth:`wait_for_time`)."""
        return self.store.snapshot_at(at)

    def latest_snapshot(self) -> TopologySnapshot:
        """The topology at the last processed event's time (the genesis time before any)."""
        return self.store.snapshot_at(self._last_event_timestamp or self.genesis.timestamp)

    def history(self, sequenced_up_to: Timestamp | None = None) -> tuple[StoredTransaction, ...]:
        return self.store.history(sequenced_up_to)

    async def wait_for_time(self, at: Timestamp) -> Timestamp:
        """Wait until an event sequenced at or after ``at`` has been processed (its
        broadcasts applied and the handler called); return that event's time. Use
        ``asyncio.timeout`` around it, and ``MemberConnection.time_proof`` to make time
        advance when there is no traffic."""
        while self._last_event_timestamp is None or self._last_event_timestamp < at:
            self._changed.clear()
            await self._changed.wait()
        return self._last_event_timestamp

    # -- writing (subscription task only) --------------------------------------------------

    async def catch_up(self, history: list[HistoryEntry]) -> int:
        """Replay what the store lacks of ``history`` (accepted transactions and the
        proposals of those still pending, in replay order); raises ``TopologyStoreError``
        on a disagreement. Returns how many entries were added."""
        return await self.store.catch_up(history)

    async def observe(self, event: SequencedEvent) -> list[Outcome]:
        """Process the event's topology broadcasts at its timestamp. A broadcast sequenced
        before the store's last processed time was processed before a restart and is
        skipped; one at that time is processed again, which changes no snapshot."""
        payloads = topology_broadcasts(event)
        last = self.store.last_sequenced_at
        if not payloads or (last is not None and event.timestamp < last):
            return []
        outcomes = []
        for payload in payloads:
            outcome = await self.store.process_bytes(payload, event.timestamp)
            log.info("topology broadcast at %d: %s", event.timestamp, type(outcome).__name__)
            outcomes.append(outcome)
        return outcomes

    def advance(self, at: Timestamp) -> None:
        """The event at ``at`` is processed: wake :meth:`wait_for_time` callers."""
        if self._last_event_timestamp is None or at > self._last_event_timestamp:
            self._last_event_timestamp = at
        self._changed.set()
