"""The working state of one sequenced event, and the completion drafts it publishes.

:class:`~participant.protocol.TransactionProcessor` builds one :class:`EventStep` per
event: every part of the event's handling adds to its :class:`EventChanges` (written in one
store transaction with the cursor) and to the in-memory follow-ups applied after that
commit. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from participant.protocol.request import PendingRequest
from participant.store import (
    CompletionDraft,
    CompletionStatus,
    EventChanges,
    InFlightSubmission,
    NewCommit,
    OutboxEntry,
)
from protocol.timestamp import Timestamp


@dataclass
class EventStep:
    """The working state of one event."""

    at: Timestamp
    """The event's sequencing time."""
    changes: EventChanges
    """Everything the event writes, in one store transaction."""
    to_send: list[OutboxEntry] = field(default_factory=list)
    """Messages queued in the outbox, sent once the changes are committed."""
    finished: list[PendingRequest] = field(default_factory=list)
    """Requests committed or rolled back by this event."""
    committed: list[tuple[PendingRequest, NewCommit]] = field(default_factory=list)
    """The committed ones, with what they commit."""
    new: list[PendingRequest] = field(default_factory=list)
    """Requests this event makes pending."""
    done_submissions: list[str] = field(default_factory=list)
    """Message ids of own submissions this event completes."""
    responded: bool = False
    """Confirmation responses are among ``to_send``."""

    def complete(self, sub: InFlightSubmission, status: CompletionStatus) -> CompletionDraft | None:
        """Complete an own submission with ``status`` at this event's time, once: its
        draft (for the caller to publish), or ``None`` if this event completed it
        already."""
        if sub.message_id in self.done_submissions:
            return None
        completion = draft(sub, status, self.at)
        self.done_submissions.append(sub.message_id)
        return completion


def draft(
    sub: InFlightSubmission, status: CompletionStatus, record_time: Timestamp
) -> CompletionDraft:
    """The completion of an own submission, with ``status`` at ``record_time``."""
    return CompletionDraft(
        sub.application_id,
        sub.command_id,
        sub.submission_id,
        sub.act_as,
        status,
        record_time,
        sub.change_id,
        sub.message_id,
    )
