"""``TopologyProcessor``: the deterministic topology state machine every member runs.

It takes signed topology transactions in sequencing order, each with its sequencing
timestamp, and answers each with an :data:`Outcome`: :class:`Accepted`, :class:`Proposed`
(kept pending until more signatures arrive) or :class:`Rejected` with a typed reason. It
keeps the accepted history and answers :meth:`TopologyProcessor.snapshot_at`.

Effective time. A transaction sequenced at ``s`` is effective from

    ``effective_at = max(s + delay(s), previous effective_at)``

where ``delay(s)`` is the ``topology_change_delay`` of the DomainParameters in force
(effective) at ``s``, or 0 before any are. The ``max`` keeps effective times in sequencing
order when the delay is lowered, so a snapshot is always a prefix of the history.

Proposal log. Every input that leaves its transaction pending is logged with the number
of transactions accepted before it (a :class:`ProposalRecord`), and marked resolved when
its transaction is accepted or dropped. :meth:`TopologyProcessor.proposals` gives the
records of the transactions still pending at a time: replayed with the accepted history in
order (``docs/topology.md`` §8), they reproduce the pending proposals — signatures,
order and all — of a processor that received every broadcast, which is what a member
joining while a transaction is pending needs to take the same decision on its completion.

Finality. ``snapshot_at(t)`` is final once a transaction sequenced after ``t`` has been
processed; before that, transactions still to come may become effective at or before
``t`` (with a zero delay). Callers ask about times they have already processed up to.

Nothing here reads a clock, does I/O, or iterates a dict or set whose order could differ
between nodes: the same inputs give the same outcomes and snapshots on every node.
:mod:`protocol.topology.store` persists what this class decides.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from protocol.crypto.hashing import Hash
from protocol.identifiers import DomainId
from protocol.timestamp import Timestamp, add_micros
from protocol.topology.errors import (
    MalformedTopologyError,
    TopologyRejectedError,
    TopologyStoreError,
)
from protocol.topology.mappings import DomainParameters
from protocol.topology.snapshot import TopologySnapshot
from protocol.topology.state import ProposalRecord, StoredTransaction, TopologyState
from protocol.topology.transactions import (
    Operation,
    SignedTopologyTransaction,
    decode_signed_topology_transaction,
)
from protocol.topology.validation import Accept, validate

MAX_CACHED_SNAPSHOTS = 256


@dataclass(frozen=True, slots=True)
class PendingProposal:
    """A transaction not yet fully authorized, with every signature collected so far."""

    signed: SignedTopologyTransaction
    first_sequenced_at: Timestamp
    last_sequenced_at: Timestamp

    @property
    def transaction_hash(self) -> Hash:
        return self.signed.hash()


@dataclass(frozen=True, slots=True)
class LoggedProposal:
    """An entry of the proposal log (see the module docstring)."""

    record: ProposalRecord
    resolved_at: Timestamp | None = None
    """When its transaction was accepted or dropped; None while it is pending."""

    def pending_at(self, at: Timestamp | None) -> bool:
        """Whether the transaction was pending at ``at`` after this input (None: now)."""
        if at is not None and self.record.sequenced_at > at:
            return False
        return self.resolved_at is None or (at is not None and self.resolved_at > at)


@dataclass(frozen=True, slots=True)
class Accepted:
    """The transaction is accepted; it is effective from ``record.effective_at``."""

    record: StoredTransaction
    dropped_proposals: tuple[Hash, ...] = ()
    """Pending proposals this acceptance made stale (their serial can no longer fit)."""


@dataclass(frozen=True, slots=True)
class Proposed:
    """Kept pending: valid so far, but ``missing`` authorizations are still unsigned."""

    proposal: PendingProposal
    missing: tuple[str, ...]
    record: ProposalRecord
    """The input as the proposal log keeps it (served to members joining later)."""


@dataclass(frozen=True, slots=True, eq=False)
class Rejected:
    """Refused; ``reason.code`` is the stable reason code (see ``docs/topology.md``)."""

    reason: TopologyRejectedError
    transaction_hash: Hash | None
    """None when the bytes did not decode."""


Outcome = Accepted | Proposed | Rejected


class TopologyProcessor:
    """The state machine (see the module docstring). One instance per member and domain;
    it is not thread-safe, and one task must own it."""

    __slots__ = (
        "_cache",
        "_delays",
        "_domain",
        "_effective",
        "_folds",
        "_history",
        "_last_sequenced",
        "_log",
        "_logged",
        "_pending",
        "_state",
        "_unresolved",
    )

    def __init__(self, domain: DomainId) -> None:
        self._domain = domain
        self._state = TopologyState()
        self._history: list[StoredTransaction] = []
        self._effective: list[int] = []
        self._delays: list[tuple[Timestamp, int]] = []  # (effective_at, delay) of parameters
        self._pending: dict[bytes, PendingProposal] = {}
        self._last_sequenced: Timestamp | None = None
        self._cache: dict[Timestamp, TopologySnapshot] = {}
        self._folds: dict[int, TopologySnapshot] = {}  # history prefix length -> its fold
        self._log: list[LoggedProposal] = []
        self._logged: set[ProposalRecord] = set()
        self._unresolved: dict[bytes, list[int]] = {}  # digest -> indices in _log

    @property
    def domain(self) -> DomainId:
        return self._domain

    @property
    def head(self) -> TopologyState:
        """The head state (read it, never mutate it)."""
        return self._state

    @property
    def last_sequenced_at(self) -> Timestamp | None:
        return self._last_sequenced

    # -- processing --------------------------------------------------------------------------

    def process_bytes(self, data: bytes, sequenced_at: Timestamp) -> Outcome:
        """Decode and :meth:`process`; undecodable bytes are ``Rejected(MALFORMED)``."""
        self._check_order(sequenced_at)
        try:
            signed = decode_signed_topology_transaction(data)
        except MalformedTopologyError as exc:
            self._last_sequenced = sequenced_at
            return Rejected(exc, None)
        return self.process(signed, sequenced_at)

    def process(self, signed: SignedTopologyTransaction, sequenced_at: Timestamp) -> Outcome:
        """Decide on ``signed``, sequenced at ``sequenced_at`` (never earlier than the
        previous call's), and apply the decision."""
        self._check_order(sequenced_at)
        self._last_sequenced = sequenced_at
        tx_hash = signed.hash()
        pending = self._pending.get(tx_hash.digest)
        try:
            decision = validate(
                self._state, signed, self._domain, None if pending is None else pending.signed
            )
        except TopologyRejectedError as exc:
            return Rejected(exc, tx_hash)
        if isinstance(decision, Accept):
            return self._accept(decision.signed, sequenced_at)
        first = sequenced_at if pending is None else pending.first_sequenced_at
        proposal = PendingProposal(decision.signed, first, sequenced_at)
        self._pending[tx_hash.digest] = proposal
        record = ProposalRecord(len(self._history), sequenced_at, signed)
        self._log_proposal(LoggedProposal(record), tx_hash.digest)
        return Proposed(proposal, decision.missing, record)

    def effective_time(self, sequenced_at: Timestamp) -> Timestamp:
        """The effective time a transaction sequenced at ``sequenced_at`` would get now."""
        index = bisect.bisect_right([e for e, _ in self._delays], sequenced_at)
        delay = self._delays[index - 1][1] if index else 0
        candidate = add_micros(sequenced_at, delay)
        if self._history and self._history[-1].effective_at > candidate:
            return self._history[-1].effective_at
        return candidate

    def _accept(self, signed: SignedTopologyTransaction, sequenced_at: Timestamp) -> Accepted:
        record = StoredTransaction(
            len(self._history), sequenced_at, self.effective_time(sequenced_at), signed
        )
        self._append(record)
        tx = signed.transaction
        dropped = []
        expected = self._state.expected_serial(tx.unique_key)
        for digest in sorted(self._pending):
            p = self._pending[digest].signed.transaction
            if digest == tx.hash().digest or (
                p.unique_key == tx.unique_key and p.serial != expected
            ):
                del self._pending[digest]
                if digest != tx.hash().digest:
                    dropped.append(Hash(digest))
        for digest in (tx.hash().digest, *(h.digest for h in dropped)):
            for index in self._unresolved.pop(digest, ()):
                self._log[index] = LoggedProposal(self._log[index].record, sequenced_at)
        return Accepted(record, tuple(dropped))

    def _log_proposal(self, entry: LoggedProposal, digest: bytes) -> None:
        if entry.resolved_at is None:
            self._unresolved.setdefault(digest, []).append(len(self._log))
        self._log.append(entry)
        self._logged.add(entry.record)

    def _append(self, record: StoredTransaction) -> None:
        self._state.apply(record)
        self._history.append(record)
        self._effective.append(record.effective_at)
        mapping = record.mapping
        if isinstance(mapping, DomainParameters) and record.operation is not Operation.REMOVE:
            self._delays.append((record.effective_at, mapping.topology_change_delay))
        self._cache.clear()

    def _check_order(self, sequenced_at: Timestamp) -> None:
        if self._last_sequenced is not None and sequenced_at < self._last_sequenced:
            raise TopologyStoreError(
                None,
                f"sequenced_at {sequenced_at} is before the last processed {self._last_sequenced}",
            )

    # -- restoring -----------------------------------------------------------------------------

    def restore(
        self,
        history: Iterable[StoredTransaction],
        pending: Iterable[PendingProposal],
        last_sequenced_at: Timestamp | None,
        proposal_log: Iterable[LoggedProposal] = (),
    ) -> None:
        """Load what a store persisted, without re-validating (the store trusts itself).
        Only on a fresh processor; positions must run 0, 1, 2, ... A processor restored
        without its proposal log decides the same but serves no :meth:`proposals`."""
        if self._history or self._pending:
            raise TopologyStoreError(None, "restore needs a fresh processor")
        for record in history:
            if record.position != len(self._history):
                raise TopologyStoreError(
                    None, f"history position {record.position}, expected {len(self._history)}"
                )
            self._append(record)
        for proposal in pending:
            self._pending[proposal.transaction_hash.digest] = proposal
        for entry in proposal_log:
            self._log_proposal(entry, entry.record.signed.hash().digest)
        self._last_sequenced = last_sequenced_at

    # -- reading --------------------------------------------------------------------------------

    def snapshot_at(self, timestamp: Timestamp) -> TopologySnapshot:
        """The topology in force at ``timestamp``: every transaction with
        ``effective_at <= timestamp``."""
        cached = self._cache.get(timestamp)
        if cached is not None:
            return cached
        # The history only grows at its end, so the fold of a prefix never changes: times
        # between two effective times share one fold (each event's time used to refold the
        # whole history).
        end = bisect.bisect_right(self._effective, timestamp)
        fold = self._folds.get(end)
        if fold is None:
            fold = TopologySnapshot.build(self._domain, timestamp, self._history[:end])
            if len(self._folds) >= MAX_CACHED_SNAPSHOTS:
                self._folds.pop(next(iter(self._folds)))
            self._folds[end] = fold
        snapshot = fold.at(timestamp)
        if len(self._cache) >= MAX_CACHED_SNAPSHOTS:
            self._cache.pop(next(iter(self._cache)))
        self._cache[timestamp] = snapshot
        return snapshot

    def history(self, sequenced_up_to: Timestamp | None = None) -> tuple[StoredTransaction, ...]:
        """The accepted transactions in order, up to a sequencing time (inclusive). Replaying
        them into a fresh processor reproduces every accepted decision and effective time."""
        if sequenced_up_to is None:
            return tuple(self._history)
        return tuple(r for r in self._history if r.sequenced_at <= sequenced_up_to)

    def pending_proposals(self) -> tuple[PendingProposal, ...]:
        """The pending proposals, sorted by transaction hash."""
        return tuple(self._pending[d] for d in sorted(self._pending))

    def proposals(self, sequenced_up_to: Timestamp | None = None) -> tuple[ProposalRecord, ...]:
        """The logged proposal inputs, in processing order, of every transaction still
        pending at ``sequenced_up_to`` (None: now), sequenced at or before it. Replayed in
        order with ``history(sequenced_up_to)`` (each record before the accepted
        transaction at its ``position``), they rebuild :meth:`pending_proposals` as of that
        time exactly; proposals of transactions accepted or dropped by then change no
        decision and are left out."""
        return tuple(e.record for e in self._log if e.pending_at(sequenced_up_to))

    def proposal_log(self) -> tuple[LoggedProposal, ...]:
        """Every logged proposal input, resolved or not, in processing order."""
        return tuple(self._log)

    def knows_proposal(self, record: ProposalRecord) -> bool:
        """Whether this processor took exactly this proposal step (same input, time and
        position): what a member checks before replaying a served proposal."""
        return record in self._logged
