"""The participant's persistent state: ``participant.sqlite`` (``docs/participant.md``).

=============  ======================================================================
module         owns
=============  ======================================================================
``store``      :class:`ParticipantStore`: schema, the one writer, every query
``changes``    :class:`EventChanges`: what one sequenced event changes, applied atomically
``types``      the stored values (contracts, updates, completions, submissions, …)
=============  ======================================================================
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
