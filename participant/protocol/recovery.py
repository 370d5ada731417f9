"""What a participant reloads from its store at start, before handling any event.

The in-memory state of :class:`~participant.protocol.TransactionProcessor` mirrors the
store: the ACS and its running commitments, the pending requests with their contract and
key locks, the own submissions in flight, and the outbox, whose messages are resent under
their message ids (the sequencer deduplicates them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from participant.protocol.acs import ActiveContracts
from participant.protocol.actions import instance_from_bytes
from participant.protocol.commitments import CommitmentTracker
from participant.protocol.request import PendingRequest
from participant.store import InFlightSubmission, OutboxEntry, ParticipantStore
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recovered:
    """The processor's state as the store has it."""

    acs: ActiveContracts
    """Active contracts, locked by the pending requests."""
    commitments: CommitmentTracker
    """Running commitments over ``acs``, with the last period's counterparties."""
    pending: dict[Timestamp, PendingRequest]
    """Requests awaiting a verdict, by request id."""
    submissions: dict[str, InFlightSubmission]
    """Own submissions not yet completed, by message id."""
    to_resend: list[OutboxEntry]
    """Outbox messages that can still be sequenced after the last handled event."""


async def recover(store: ParticipantStore, participant: MemberId) -> Recovered:
    """Load the processor's state from ``store`` (module docstring)."""
    acs = ActiveContracts()
    commitments = CommitmentTracker(participant)
    for data, _node in await store.active_instances():
        instance = instance_from_bytes(data)
        acs.add(instance, data)
        commitments.add(instance, data)
    commitments.last_counterparties = await store.commitment_counterparties()
    pending: dict[Timestamp, PendingRequest] = {}
    for row in await store.pending_requests():
        request = PendingRequest.decode_record(
            row.request_id, row.deadline, row.locks, row.record, row.key_locks
        )
        pending[row.request_id] = request
        acs.lock(row.locks, row.request_id)
        acs.lock_keys(row.key_locks, row.request_id)
    submissions = {s.message_id: s for s in await store.submissions()}
    outbox = await store.outbox()
    if pending or submissions or outbox:
        log.info(
            "recovered %d active contracts, %d pending requests, %d submissions, "
            "%d messages to resend",
            len(acs),
            len(pending),
            len(submissions),
            len(outbox),
        )
    last = store.last_event_at
    to_resend = [e for e in outbox if last is None or e.max_sequencing_time > last]
    return Recovered(acs, commitments, pending, submissions, to_resend)
