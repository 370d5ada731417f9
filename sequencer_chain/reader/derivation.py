"""Derivation: one ``BatchAppended`` event in, the sequenced events it yields out.

This is the part every sequencer node must compute identically. It is a pure function of
the chain (the event, its block's timestamp), the state left by the events before it
(:class:`DerivationState`), the domain id and the members lookup; it reads no clock and
does no I/O. The rules, in order (``docs/sequencer.md`` §2 is the specification):

1. **Hash chain.** The event's ``batchSeq`` must be the next expected one, its
   ``batchHash`` must be ``keccak256(batch)`` and its ``acc`` must be
   ``keccak256(acc ‖ batchHash)`` over the stored acc. Anything else raises
   :class:`HashChainMismatchError`: the node must stop, not guess.
2. **Decoding.** A batch that :func:`protocol.batch_format.decode_batch` rejects is
   skipped (logged with its batch seq); it advances the hash chain and nothing else.
3. **Sequencing time.** Every request of a decoded batch gets the next time from
   :func:`protocol.sequencing_time.assign_timestamps`, valid or not, so a request's time
   never depends on validation (``docs/batch-format.md`` §5).
4. **Authorship, then validation** against the members as of the request's own time. A
   request whose sender has no key at that time, or whose signature does not verify with
   the sender's key, was not written by that sender: it is **dropped** (no event for
   anyone; it keeps its time from rule 3), so that a writer cannot fill the stream of a
   member — or of an invented id — with receipts for requests the member never sent.
   Otherwise the first failure wins, each giving a ``DeliverError`` to the sender only:
   wrong domain, sender not active, a recipient not an active member, sequenced after
   ``max_sequencing_time``, ``(sender, message_id)`` already delivered with a max
   sequencing time not yet passed.
5. **Delivery.** A valid request gives the sender a receipt (``Deliver`` with its
   ``message_id`` and the envelopes addressed to it) and every other recipient a
   ``Deliver`` with only its envelopes and no ``message_id``. Each event takes its
   member's next counter. Members receive events in the order of rule 3.
   **Topology broadcasts** (an envelope whose payload starts with
   ``TOPOLOGY_PAYLOAD_PREFIX``, in a request whose sender is a domain manager; the
   sender is active, by rule 4) are delivered, in addition to their named recipients, to
   every member active at the request's sequencing time in the topology *before* this
   request's own effect (Canton's "all members of the domain" group). The delivered
   envelope keeps its named recipient set.
6. **Topology.** With a ``topology`` intake (a node started from a genesis topology),
   every valid request is passed to it at its sequencing time after delivery; it
   processes the topology broadcasts among them (:mod:`protocol.topology.broadcast`), so
   the next request is validated against the result.

A node may pass the :class:`~protocol.crypto.signing.SignatureCache` its API filled when
it verified requests on arrival: rule 4 then skips the Ed25519 check of a request this
node already verified, byte for byte, with the same key and signature. The cache only
remembers successful checks of exactly those inputs, so the result stays a function of
the chain: a request written by another node, or any request differing in one byte, is
verified in full.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from eth_utils.crypto import keccak

from protocol.batch_format import decode_batch
from protocol.crypto.signing import SignatureCache
from protocol.errors import BatchDecodeError, ProtocolError
from protocol.identifiers import DomainId, MemberId, MemberKind, member_kind
from protocol.sequencer_messages import (
    Batch,
    Deliver,
    DeliverError,
    DeliverErrorCode,
    DeliverErrorReason,
    SequencerCounter,
    SignedSubmissionRequest,
    SubmissionRequest,
)
from protocol.sequencing_time import TimeBounds, assign_timestamps
from protocol.timestamp import MICROS_PER_SECOND, Timestamp
from protocol.topology import is_topology_payload
from sequencer_chain.contract.inbox import BatchAppended, next_acc
from sequencer_chain.errors import HashChainMismatchError
from sequencer_chain.members import MemberInfo, MemberLookup
from sequencer_chain.store.event_store import DedupEntry, StoredEvent

log = logging.getLogger(__name__)

MAX_ERROR_TEXT = 512
DEFAULT_BOUNDS = TimeBounds()


class TopologyIntake(Protocol):
    """Takes every valid request at its sequencing time (rule 6); deterministic."""

    def observe(self, request: SubmissionRequest, at: Timestamp) -> None: ...


@dataclass(slots=True)
class DerivationState:
    """The running state of derivation; owned by the reader task alone.

    It mirrors what the store holds after the last committed block, so that a step can be
    derived without reading the database; the reader reloads it after a rollback.
    """

    next_batch_seq: int
    acc: bytes
    last_timestamp: Timestamp | None
    counters: dict[MemberId, int] = field(default_factory=dict)
    dedup: dict[tuple[MemberId, str], Timestamp] = field(default_factory=dict)

    def take_counter(self, member: MemberId) -> SequencerCounter:
        counter = self.counters.get(member, 0)
        self.counters[member] = counter + 1
        return SequencerCounter(counter)


@dataclass(frozen=True, slots=True)
class DerivedBatch:
    """What one batch yielded."""

    batch_seq: int
    events: tuple[StoredEvent, ...]
    dedup: tuple[DedupEntry, ...]
    skipped: str | None = None
    """Why the whole batch was skipped (it did not decode), if it was."""


def check_hash_chain(state: DerivationState, event: BatchAppended) -> bytes:
    """Rule 1; returns the new accumulator."""

    def mismatch(detail: str, expected_acc: bytes = state.acc) -> HashChainMismatchError:
        return HashChainMismatchError(
            batch_seq=event.batch_seq,
            block_number=event.block_number,
            expected_seq=state.next_batch_seq,
            expected_acc=expected_acc,
            got_acc=event.acc,
            detail=detail,
        )

    if event.batch_seq != state.next_batch_seq:
        raise mismatch(f"batch seq {event.batch_seq}, expected {state.next_batch_seq}")
    if keccak(event.batch) != event.batch_hash:
        raise mismatch("batchHash is not keccak256 of the batch bytes")
    acc = next_acc(state.acc, event.batch)
    if acc != event.acc:
        raise mismatch("accumulator differs", expected_acc=acc)
    return acc


def _reject_reason(
    signed: SignedSubmissionRequest,
    sender: MemberInfo,
    at: Timestamp,
    *,
    domain_id: DomainId,
    members: MemberLookup,
    state: DerivationState,
) -> DeliverErrorReason | None:
    request = signed.request
    if request.domain_id != domain_id:
        return DeliverErrorReason(
            DeliverErrorCode.WRONG_DOMAIN, f"request is for domain {request.domain_id}"[:512]
        )
    if not sender.active:
        return DeliverErrorReason(DeliverErrorCode.UNKNOWN_SENDER, "sender is not active")
    unknown = sorted(
        m
        for m in request.batch.all_recipients
        if (info := members.member(m, at)) is None or not info.active
    )
    if unknown:
        text = "unknown recipients: " + ", ".join(unknown)
        return DeliverErrorReason(DeliverErrorCode.UNKNOWN_RECIPIENTS, text[:MAX_ERROR_TEXT])
    if at > request.max_sequencing_time:
        return DeliverErrorReason(
            DeliverErrorCode.MAX_SEQUENCING_TIME_EXCEEDED,
            f"sequenced at {at}, after max sequencing time {request.max_sequencing_time}",
        )
    seen = state.dedup.get((request.sender, request.message_id))
    if seen is not None and seen >= at:
        return DeliverErrorReason(
            DeliverErrorCode.DUPLICATE_MESSAGE_ID,
            f"message id already delivered, deduplicated until {seen}",
        )
    return None


def _not_authored(
    signed: SignedSubmissionRequest, sender: MemberInfo | None, signatures: SignatureCache | None
) -> str | None:
    """Rule 4's authorship check: why the named sender (``sender``: its info at the
    request's time) did not write ``signed`` (it is then dropped), or ``None``. A known
    sender that is not active passes: it gets a receipt."""
    if sender is None:
        return "sender has no key at this time"
    key = sender.key(signed.signature.signer)
    if key is None:
        return "signed by a key the sender does not have"
    try:
        signed.verify(key, signatures, consume=True)
    except ProtocolError:
        return "signature does not verify"
    return None


def _broadcast_audience(
    request: SubmissionRequest, at: Timestamp, members: MemberLookup
) -> tuple[frozenset[int], frozenset[MemberId]]:
    """Rule 5's broadcast extension: the indexes of the request's topology broadcast
    envelopes and the members active at ``at`` who receive them whatever their recipients."""
    if member_kind(request.sender) is not MemberKind.DOMAIN_MANAGER:
        return frozenset(), frozenset()
    indexes = frozenset(
        i for i, e in enumerate(request.batch.envelopes) if is_topology_payload(e.payload)
    )
    if not indexes:
        return indexes, frozenset()
    return indexes, frozenset(info.member for info in members.members(at) if info.active)


def _batch_for(
    batch: Batch, member: MemberId, broadcast: frozenset[int], audience: frozenset[MemberId]
) -> Batch:
    if not broadcast or member not in audience:
        return batch.for_member(member)
    return Batch(
        tuple(e for i, e in enumerate(batch.envelopes) if member in e.recipients or i in broadcast)
    )


def derive_batch(
    state: DerivationState,
    event: BatchAppended,
    block_timestamp_s: int,
    *,
    domain_id: DomainId,
    members: MemberLookup,
    bounds: TimeBounds = DEFAULT_BOUNDS,
    topology: TopologyIntake | None = None,
    signatures: SignatureCache | None = None,
) -> DerivedBatch:
    """Apply rules 1-6 to one event, advancing ``state`` in place. ``signatures`` holds
    checks this node already made (see the module docstring); it never changes a result."""
    state.acc = check_hash_chain(state, event)
    state.next_batch_seq += 1
    try:
        batch = decode_batch(event.batch)
    except BatchDecodeError as exc:
        log.warning(
            "skipping undecodable batch %d (block %d, writer %s): %s",
            event.batch_seq,
            event.block_number,
            event.writer,
            exc,
        )
        return DerivedBatch(event.batch_seq, (), (), skipped=str(exc))
    block_time = Timestamp(block_timestamp_s * MICROS_PER_SECOND)
    times = assign_timestamps(
        state.last_timestamp, block_time, batch.proposed_timestamp, len(batch.requests), bounds
    )
    events: list[StoredEvent] = []
    dedup: list[DedupEntry] = []

    def emit(member: MemberId, sequenced: Deliver | DeliverError) -> None:
        events.append(
            StoredEvent(
                member,
                sequenced.counter,
                sequenced.timestamp,
                event.block_number,
                event.batch_seq,
                sequenced.to_bytes(),
            )
        )

    for signed, ts in zip(batch.requests, times, strict=True):
        request = signed.request
        sender = members.member(request.sender, ts)
        forged = _not_authored(signed, sender, signatures)
        if forged is not None or sender is None:
            log.warning(
                "dropping request %r of batch %d (writer %s) claiming sender %s: %s",
                request.message_id,
                event.batch_seq,
                event.writer,
                request.sender,
                forged,
            )
            continue
        reason = _reject_reason(
            signed, sender, ts, domain_id=domain_id, members=members, state=state
        )
        if reason is not None:
            error = DeliverError(state.take_counter(request.sender), ts, request.message_id, reason)
            emit(request.sender, error)
            continue
        broadcast, audience = _broadcast_audience(request, ts, members)
        recipients = request.batch.all_recipients | {request.sender} | audience
        for member in sorted(recipients):
            is_sender = member == request.sender
            deliver = Deliver(
                counter=state.take_counter(member),
                timestamp=ts,
                sender=request.sender,
                message_id=request.message_id if is_sender else None,
                batch=_batch_for(request.batch, member, broadcast, audience),
            )
            emit(member, deliver)
        key = (request.sender, str(request.message_id))
        state.dedup[key] = request.max_sequencing_time
        dedup.append(
            DedupEntry(
                request.sender,
                request.message_id,
                request.max_sequencing_time,
                event.block_number,
            )
        )
        if topology is not None:
            topology.observe(request, ts)
    if times:
        state.last_timestamp = times[-1]
    return DerivedBatch(event.batch_seq, tuple(events), tuple(dedup))


def purge_dedup(state: DerivationState, before: Timestamp) -> None:
    """Forget in-memory dedup entries that expired before ``before``."""
    for key in [k for k, t in state.dedup.items() if t < before]:
        del state.dedup[key]
