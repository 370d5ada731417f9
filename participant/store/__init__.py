"""The participant's persistent state: ``participant.sqlite`` (``docs/participant.md``).

====================  ==========================================================================
module                owns
====================  ==========================================================================
``store``             :class:`ParticipantStore`: schema, open and close, the cursor;
                      assembled from the parts below, on one connection
``part``              what the parts share: the connection, the writer's lock, row encodings
``writes``            the one writer: an event's changes with the cursor, submission steps
``protocol_reads``    active instances, pending requests and locks, submissions, dedup, outbox
``commitment_reads``  ACS commitments sent and received, counterparties, mismatches
``ledger_reads``      updates, active contracts, completions (the Ledger API's reads)
``changes``           :class:`EventChanges`: what one sequenced event changes, applied atomically
``types``             the stored values (contracts, updates, completions, submissions, …)
====================  ==========================================================================
"""

from participant.store.changes import (
    CompletionDraft,
    CreatedContract,
    EventChanges,
    NewCommit,
    ReceivedCommitment,
    SentCommitment,
)
from participant.store.store import SCHEMA_VERSION, ParticipantStore
from participant.store.types import (
    COMPLETION_OK,
    LEDGER_BEGIN,
    ChangeId,
    CommitmentMismatch,
    Completion,
    CompletionCode,
    CompletionStatus,
    DedupDuration,
    DedupEntry,
    DedupOffset,
    DedupPeriod,
    InFlightSubmission,
    KeyHash,
    Offset,
    OutboxEntry,
    PendingRequestRow,
    RequestState,
    StoredContract,
    StoredUpdate,
    SubmissionState,
    UpdateId,
    change_id,
)

__all__ = [
    "COMPLETION_OK",
    "LEDGER_BEGIN",
    "SCHEMA_VERSION",
    "ChangeId",
    "CommitmentMismatch",
    "Completion",
    "CompletionCode",
    "CompletionDraft",
    "CompletionStatus",
    "CreatedContract",
    "DedupDuration",
    "DedupEntry",
    "DedupOffset",
    "DedupPeriod",
    "EventChanges",
    "InFlightSubmission",
    "KeyHash",
    "NewCommit",
    "Offset",
    "OutboxEntry",
    "ParticipantStore",
    "PendingRequestRow",
    "ReceivedCommitment",
    "RequestState",
    "SentCommitment",
    "StoredContract",
    "StoredUpdate",
    "SubmissionState",
    "UpdateId",
    "change_id",
]
