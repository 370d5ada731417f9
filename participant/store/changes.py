"""What one sequenced event changes in the store: built by the processor, written by
:meth:`~participant.store.ParticipantStore.apply` in one sqlite transaction together with
the event cursor, so an event's effects are either all in or not at all."""

from __future__ import annotations

from dataclasses import dataclass, field

from participant.engine import ContractId, PartyId, TemplateId
from participant.engine.transaction import ContractInstance
from participant.store.types import (
    ChangeId,
    CommitmentMismatch,
    CompletionStatus,
    OutboxEntry,
    PendingRequestRow,
    RequestState,
    UpdateId,
)
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp


@dataclass(frozen=True, slots=True)
class CompletionDraft:
    """A completion before the store gives it an offset."""

    application_id: str
    command_id: str
    submission_id: str
    act_as: tuple[PartyId, ...]
    status: CompletionStatus
    record_time: Timestamp
    change_id: ChangeId
    message_id: str
    """The in-flight submission this completes (removed with it)."""


@dataclass(frozen=True, slots=True)
class CreatedContract:
    instance: ContractInstance
    instance_bytes: bytes
    node_id: str


@dataclass(frozen=True, slots=True)
class NewCommit:
    """A committed transaction: one event-log entry, its ACS effects, and the submitter's
    completion when it was submitted here."""

    request_id: Timestamp
    update_id: UpdateId
    record_time: Timestamp
    ledger_time: int
    transaction: bytes
    """The participant's projection, ``Transaction.to_bytes()``."""
    command_id: str
    workflow_id: str
    act_as: tuple[PartyId, ...]
    witnesses: frozenset[PartyId]
    templates: frozenset[TemplateId]
    created: tuple[CreatedContract, ...]
    archived: tuple[ContractId, ...]
    completion: CompletionDraft | None = None


@dataclass(frozen=True, slots=True)
class SentCommitment:
    counterparty: MemberId
    from_time: Timestamp
    to_time: Timestamp
    commitment: bytes
    contract_ids: tuple[ContractId, ...]


@dataclass(frozen=True, slots=True)
class ReceivedCommitment:
    sender: MemberId
    from_time: Timestamp
    to_time: Timestamp
    commitment: bytes
    matched: bool | None
    """None while ours for the period is not computed yet."""


@dataclass
class EventChanges:
    """Everything one event at ``at`` changes (filled by the processor)."""

    at: Timestamp
    new_requests: list[PendingRequestRow] = field(default_factory=list)
    finished_requests: list[tuple[Timestamp, RequestState]] = field(default_factory=list)
    published: list[NewCommit | CompletionDraft] = field(default_factory=list)
    """Commits and rejection completions, in the order they take offsets."""
    sequenced_submissions: list[tuple[str, Timestamp]] = field(default_factory=list)
    """``(message id, request id)`` of own submissions whose request was sequenced."""
    outbox_add: list[OutboxEntry] = field(default_factory=list)
    outbox_done: list[str] = field(default_factory=list)
    commitments_sent: list[SentCommitment] = field(default_factory=list)
    commitments_received: list[ReceivedCommitment] = field(default_factory=list)
    mismatches: list[CommitmentMismatch] = field(default_factory=list)
    commitment_period_end: Timestamp | None = None
    """The last commitment period end processed, when this event closed a period."""
    commitment_counterparties: frozenset[MemberId] | None = None
    """When this event closed a period: the counter-participants shared with at that
    period end (replaces the stored set, in the same sqlite transaction)."""

    @property
    def empty(self) -> bool:
        return not (
            self.new_requests
            or self.finished_requests
            or self.published
            or self.sequenced_submissions
            or self.outbox_add
            or self.outbox_done
            or self.commitments_sent
            or self.commitments_received
            or self.mismatches
            or self.commitment_period_end is not None
            or self.commitment_counterparties is not None
        )
