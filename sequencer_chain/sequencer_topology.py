"""The sequencer's topology: the :class:`MemberLookup` of a sequencer started from a genesis.

:class:`SequencerTopology` answers "known / active / keys at ``t``" from the topology
snapshot at ``t`` (``protocol.topology.TopologySnapshot``): a member is known when it has
an OwnerToKeyMapping, active by the snapshot's membership rules, and its key is the
mapping's signing key.

It also processes the topology broadcasts (:mod:`protocol.topology.broadcast`) that
derivation finds, at their sequencing time, so that later requests are validated against
the new topology from its effective time on. Decisions are taken by an in-memory
:class:`TopologyProcessor` while a batch is derived (so a later request of the same batch
already sees them) and persisted into the :class:`TopologyStore` by :meth:`flush`, which
the reader awaits before it commits the step's events. After a crash between the two, the
store is ahead of the event store; broadcasts sequenced before the store's last processed
time are then skipped and those at that time are processed again, which leaves every
snapshot unchanged (an accepted transaction is not accepted twice).

A reorg that removes topology broadcasts already processed is undone by :meth:`roll_back`:
the store replays the inputs it kept up to the rollback time (``TopologyStore.rollback_to``)
and re-derivation then decides the broadcasts of the new chain.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from protocol.identifiers import MemberId, MemberKind, member_kind
from protocol.sequencer_messages import SubmissionRequest
from protocol.timestamp import Timestamp
from protocol.topology import (
    Genesis,
    ProposalRecord,
    StoredTransaction,
    TopologyProcessor,
    TopologySnapshot,
    TopologyStore,
    TopologyStoreError,
    is_topology_payload,
)
from sequencer_chain.errors import TopologyRollbackError
from sequencer_chain.members import MemberInfo


class SequencerTopology:
    """A :class:`~sequencer_chain.members.MemberLookup` backed by a :class:`TopologyStore`.
    Create with :meth:`open`; one reader task owns it."""

    def __init__(self, store: TopologyStore, genesis: Genesis) -> None:
        self.store = store
        self.genesis = genesis
        self._processor = TopologyProcessor(store.domain)
        self._queue: list[tuple[bytes, Timestamp]] = []
        self._watermark: Timestamp | None = None
        self.reload()

    @classmethod
    async def open(cls, path: str | os.PathLike[str], genesis: Genesis) -> SequencerTopology:
        """Open the store at ``path`` and load ``genesis`` into it (or check that the store
        began with it); raises ``TopologyStoreError`` on any mismatch."""
        return cls(await TopologyStore.open_with_genesis(path, genesis), genesis)

    async def close(self) -> None:
        await self.store.close()

    # -- MemberLookup ---------------------------------------------------------------------

    def snapshot_at(self, at: Timestamp) -> TopologySnapshot:
        return self._processor.snapshot_at(at)

    def member(self, member: MemberId, at: Timestamp) -> MemberInfo | None:
        snapshot = self._processor.snapshot_at(at)
        key = snapshot.signing_key(member)
        if key is None:
            return None
        return MemberInfo(member, (key,), snapshot.is_active(member))

    def members(self, at: Timestamp) -> Iterable[MemberInfo]:
        snapshot = self._processor.snapshot_at(at)
        out = []
        for member in snapshot.members():
            key = snapshot.signing_key(member)
            if key is not None:
                out.append(MemberInfo(member, (key,), snapshot.is_active(member)))
        return tuple(out)

    @property
    def genesis_timestamp(self) -> Timestamp:
        return self.genesis.timestamp

    def history(self, sequenced_up_to: Timestamp | None = None) -> tuple[StoredTransaction, ...]:
        """The persisted accepted history (what ``GetTopologyHistory`` serves); the caller
        bounds it by the time the event store has committed."""
        return self.store.history(sequenced_up_to)

    def proposals(self, sequenced_up_to: Timestamp | None = None) -> tuple[ProposalRecord, ...]:
        """The persisted proposal records of the transactions pending at
        ``sequenced_up_to``, served after the history (``docs/topology.md`` §8)."""
        return self.store.proposals(sequenced_up_to)

    # -- intake during derivation ---------------------------------------------------------

    def observe(self, request: SubmissionRequest, at: Timestamp) -> None:
        """Called by derivation for every valid request, at its sequencing time."""
        if member_kind(request.sender) is not MemberKind.DOMAIN_MANAGER:
            return
        if self._watermark is not None and at < self._watermark:
            return  # processed and persisted before a restart
        for envelope in request.batch.envelopes:
            if is_topology_payload(envelope.payload):
                self._processor.process_bytes(envelope.payload, at)
                self._queue.append((envelope.payload, at))

    async def flush(self) -> None:
        """Persist what :meth:`observe` decided; the store must decide the same."""
        queue, self._queue = self._queue, []
        for payload, at in queue:
            await self.store.process_bytes(payload, at)

    def reload(self) -> None:
        """Drop undecided work and rebuild the in-memory state from the store."""
        processor = TopologyProcessor(self.store.domain)
        processor.restore(
            self.store.history(),
            self.store.pending_proposals(),
            self.store.last_sequenced_at,
            self.store.proposal_log(),
        )
        self._processor = processor
        self._queue = []
        self._watermark = self.store.last_sequenced_at

    async def roll_back(self, last_timestamp: Timestamp | None) -> int:
        """Undo the topology decisions on broadcasts sequenced after ``last_timestamp`` (the
        sequencing time the event store was rolled back to, ``None``: nothing left), so that
        re-derivation decides them again on the new chain. Returns how many processed
        inputs were undone. A store that cannot be rolled back (written before inputs were
        kept) raises :class:`TopologyRollbackError` and the reader stops."""
        floor = self.genesis.timestamp if last_timestamp is None else last_timestamp
        floor = max(floor, self.genesis.timestamp)
        last = self.store.last_sequenced_at
        if last is None or last <= floor:
            return 0
        try:
            undone = await self.store.rollback_to(Timestamp(floor))
        except TopologyStoreError as exc:
            raise TopologyRollbackError(last, last_timestamp) from exc
        self.reload()
        return undone
