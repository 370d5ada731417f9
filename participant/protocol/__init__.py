"""The participant's side of the confirmation protocol (``docs/participant.md``).

=================  ===================================================================
module             owns
=================  ===================================================================
``processor``      :class:`TransactionProcessor`: submit, handle every event, commit or
                   roll back, deadlines; the one store transaction per event
``event_step``     the working state of one event, completion drafts
``recovery``       the state reloaded from the store at start
``dedup``          command deduplication at submission (no I/O)
``delivery``       a delivered batch sorted by message kind; confirmation responses
``verdicts``       a verdict's checks, its completion status, what an approval commits
``commitment_exchange``  ACS commitments sent at a period end, received and compared
``sending``        outbox entries to the sequencer, each under its message id
``submitter``      building a confirmation request from a command (no I/O)
``confirmer``      the confirming participant's checks (no I/O)
``rejections``     the public reason of a rejection; its detail stays local
``actions``        decomposition into views, the action bytes, reassembly
``request``        a pending request, its stored record, its committed projection
``acs``            the in-memory active contract set, key index and locks
``keys``           contract key uniqueness at the maintainers' participants (no I/O)
``commitments``    running LtHash16 commitments per stakeholder group
``types``          commands, configuration, the sender and topology interfaces
=================  ===================================================================
"""

from participant.protocol.acs import ActiveContracts
from participant.protocol.actions import ViewAction, view_specs
from participant.protocol.commitments import CommitmentTracker
from participant.protocol.keys import KeyCheck, KeyConflict, KeyUse, check_keys, key_hash
from participant.protocol.processor import TransactionProcessor
from participant.protocol.request import PendingRequest, update_id_of
from participant.protocol.types import (
    ProcessorConfig,
    Sender,
    SubmissionCommand,
    SubmissionHandle,
    TopologySource,
    VettingMode,
)
from participant.protocol.verdicts import completion_status
from participant.store import DedupDuration, DedupOffset, DedupPeriod

__all__ = [
    "ActiveContracts",
    "CommitmentTracker",
    "DedupDuration",
    "DedupOffset",
    "DedupPeriod",
    "KeyCheck",
    "KeyConflict",
    "KeyUse",
    "PendingRequest",
    "ProcessorConfig",
    "Sender",
    "SubmissionCommand",
    "SubmissionHandle",
    "TopologySource",
    "TransactionProcessor",
    "VettingMode",
    "ViewAction",
    "check_keys",
    "completion_status",
    "key_hash",
    "update_id_of",
    "view_specs",
]
