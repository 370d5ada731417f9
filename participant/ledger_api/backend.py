"""The contract between the Ledger API services and the participant node behind them.

The gRPC services (``participant/ledger_api/services/``) validate requests, check
authorization and convert between protobuf and these values; everything they need from
the node goes through one :class:`LedgerBackend`. The participant node implements it
over its stores and the transaction protocol (``participant/node/ledger_backend.py``);
unit tests use an in-memory fake. The values here are the Ledger API's model, in Daml's
Ledger API v2 shape, built from the engine's values (``participant.engine``).

Offsets
    A ledger offset is an integer that increases by at least one per update the
    participant publishes. ``0`` is the ledger begin: no update has offset 0. Streams
    take ``begin_exclusive`` and an optional ``end_inclusive``. Completions share the
    offset space: a completion published after ``ledger_end()`` returned ``e`` has an
    offset greater than ``e`` (SubmitAndWait relies on this to miss nothing).

Visibility (Daml's rules; the backend applies them, :mod:`.projection` helps)
    * A **flat transaction** for a filter shows the ``CreatedEvent`` and ``ArchivedEvent``
      (consuming exercises) whose contract has a filter party as stakeholder and whose
      template passes that party's template filter; a contract created and archived in
      the same transaction is not shown. ``witness_parties`` are the filter parties that
      are stakeholders. A transaction with no event left is not shown at all.
    * A **transaction tree** shows every node witnessed by a filter party (an informee
      of the node or of an ancestor); template filters do not apply to trees.
    * ``command_id`` and ``workflow_id`` are shown only to a submitting party
      (``act_as`` of the command) that is among the requesting parties.

Errors
    Calls raise :class:`~.errors.LedgerBackendError` subclasses; ``submit`` also lets the
    engine's :class:`participant.engine.EngineError` (interpretation failed) escape.
    Nothing else may escape: an unexpected exception is answered as INTERNAL.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import NewType, Protocol, runtime_checkable

from participant.engine import Command, ContractId, PackageId, PartyId, TemplateId, Value
from participant.engine.values import RecordValue
from participant.store.types import Completion, DedupPeriod, Offset, UpdateId
from protocol.identifiers import DomainId

EventId = NewType("EventId", str)
"""``<update id>:<node id>``: one event of one transaction."""


def event_id(update_id: str, node_id: str) -> EventId:
    """The event id of node ``node_id`` of transaction ``update_id``."""
    return EventId(f"{update_id}:{node_id}")


# --- commands and completions ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    """A validated, authorized command submission.

    The *change id* that deduplication is about is ``(application_id, command_id,
    act_as)``; ``submission_id`` names this attempt and is echoed in its completion.
    """

    act_as: tuple[PartyId, ...]
    """Submitting parties (≥ 1): they authorize the root nodes."""
    read_as: tuple[PartyId, ...]
    """Extra parties whose contracts the interpretation may read."""
    application_id: str
    command_id: str
    submission_id: str
    """Never empty: the API layer generates one when the client gave none."""
    workflow_id: str
    """May be empty."""
    commands: tuple[Command, ...]
    """At least one, as the engine runs them."""
    deduplication: DedupPeriod | None = None
    """``None``: the participant's maximum deduplication duration."""
    domain_id: DomainId | None = None
    """Prescribed domain, if any."""


# --- events and transactions ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedEvent:
    event_id: EventId
    offset: Offset
    node_id: str
    contract_id: ContractId
    template_id: TemplateId
    create_arguments: RecordValue
    signatories: tuple[PartyId, ...]
    observers: tuple[PartyId, ...]
    witness_parties: tuple[PartyId, ...]
    contract_key: Value | None = None
    created_at_micros: int = 0
    """Ledger effective time of the creating transaction."""


@dataclass(frozen=True, slots=True)
class ArchivedEvent:
    event_id: EventId
    offset: Offset
    node_id: str
    contract_id: ContractId
    template_id: TemplateId
    witness_parties: tuple[PartyId, ...]


@dataclass(frozen=True, slots=True)
class ExercisedEvent:
    event_id: EventId
    offset: Offset
    node_id: str
    contract_id: ContractId
    template_id: TemplateId
    choice: str
    choice_argument: Value
    acting_parties: tuple[PartyId, ...]
    consuming: bool
    witness_parties: tuple[PartyId, ...]
    child_event_ids: tuple[EventId, ...]
    exercise_result: Value


FlatEvent = CreatedEvent | ArchivedEvent
TreeEvent = CreatedEvent | ExercisedEvent


@dataclass(frozen=True, slots=True)
class Transaction:
    """A committed transaction in flat form, projected to the requesting parties."""

    update_id: UpdateId
    command_id: str
    """Empty unless a requesting party submitted it."""
    workflow_id: str
    effective_at_micros: int
    offset: Offset
    events: tuple[FlatEvent, ...]
    domain_id: DomainId
    record_time_micros: int


@dataclass(frozen=True, slots=True)
class TransactionTree:
    """A committed transaction as a tree, projected to the requesting parties."""

    update_id: UpdateId
    command_id: str
    workflow_id: str
    effective_at_micros: int
    offset: Offset
    events_by_id: tuple[tuple[EventId, TreeEvent], ...]
    """Every visible event, in pre-order of the transaction."""
    root_event_ids: tuple[EventId, ...]
    """Visible events with no visible ancestor."""
    domain_id: DomainId
    record_time_micros: int


Update = Transaction | TransactionTree


# --- filters --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartyFilter:
    """What one party wants to see: all templates, or only ``template_ids``."""

    party: PartyId
    template_ids: frozenset[TemplateId] = frozenset()
    """Empty: every template (Daml's wildcard filter)."""

    def admits(self, template_id: str) -> bool:
        return not self.template_ids or template_id in self.template_ids


@dataclass(frozen=True, slots=True)
class UpdateFilter:
    """Daml's ``TransactionFilter``: per party, the templates of interest (≥ 1 party)."""

    parties: tuple[PartyFilter, ...]

    @property
    def party_ids(self) -> frozenset[PartyId]:
        return frozenset(f.party for f in self.parties)

    def for_party(self, party: str) -> PartyFilter | None:
        for f in self.parties:
            if f.party == party:
                return f
        return None


@dataclass(frozen=True, slots=True)
class ActiveContract:
    created_event: CreatedEvent
    domain_id: DomainId


@dataclass(frozen=True, slots=True)
class ActiveContractSet:
    """The active contracts visible to a filter, valid at ``offset``."""

    offset: Offset
    contracts: tuple[ActiveContract, ...]


# --- state, parties, packages ---------------------------------------------------------


class DomainPermission(enum.Enum):
    SUBMISSION = "submission"
    CONFIRMATION = "confirmation"
    OBSERVATION = "observation"


@dataclass(frozen=True, slots=True)
class ConnectedDomain:
    domain_alias: str
    domain_id: DomainId
    permission: DomainPermission


@dataclass(frozen=True, slots=True)
class PartyDetails:
    party: PartyId
    display_name: str = ""
    is_local: bool = True
    """Hosted by this participant (as opposed to known from topology)."""


@dataclass(frozen=True, slots=True)
class PackageDetails:
    package_id: PackageId
    name: str
    version: str
    module: str
    templates: tuple[TemplateId, ...]
    size: int
    """Bytes of the canonical source."""
    known_since_micros: int = 0


@dataclass(frozen=True, slots=True)
class PackageSource:
    details: PackageDetails
    source: bytes
    """The canonical package source (what the package id is the hash of)."""


class PackageStatus(enum.Enum):
    UNKNOWN = "unknown"
    REGISTERED = "registered"
    """Stored on the participant."""
    VETTED = "vetted"
    """Stored, and vetted by this participant in its effective topology
    (``vetting = "topology"``)."""


# --- the interface ----------------------------------------------------------------------


@runtime_checkable
class LedgerBackend(Protocol):
    """What the Ledger API services need from the participant node.

    All methods are coroutines or async iterators; each may be cancelled at any await
    (a client hung up) and must leave no state half-applied when it is.
    """

    @property
    def participant_id(self) -> str:
        """This participant's id (as it appears in audience-based tokens)."""
        ...

    async def submit(self, request: SubmitRequest) -> None:
        """Interpret and send a submission; return once it is in flight.

        Synchronous refusals raise: the engine's ``EngineError`` when interpretation
        fails, :class:`~.errors.DuplicateCommandError` for a change id still in its
        deduplication period, :class:`~.errors.NotConnectedToDomainError`, or
        :class:`~.errors.BackendUnavailableError`. Every outcome after this returns —
        commit, mediator rejection, timeout — is a :class:`Completion`.
        """
        ...

    def completions(
        self, begin_exclusive: Offset, application_id: str, parties: frozenset[PartyId]
    ) -> AsyncIterator[Completion]:
        """Completions after ``begin_exclusive`` of ``application_id`` whose ``act_as``
        meets ``parties``, in offset order, then live without end. Raises
        :class:`~.errors.OffsetAfterLedgerEndError` / ``ParticipantPrunedError`` for an
        unusable ``begin_exclusive``."""
        ...

    def updates(
        self,
        begin_exclusive: Offset,
        end_inclusive: Offset | None,
        update_filter: UpdateFilter,
        *,
        tree: bool,
    ) -> AsyncIterator[Update]:
        """Transactions in ``(begin_exclusive, end_inclusive]`` visible to the filter, in
        offset order (flat ``Transaction`` or ``TransactionTree``); with ``end_inclusive``
        ``None``, live without end. Empty projections are skipped."""
        ...

    async def transaction_by_id(
        self, update_id: UpdateId, requesting_parties: frozenset[PartyId], *, tree: bool
    ) -> Update:
        """The transaction ``update_id`` projected to ``requesting_parties``;
        :class:`~.errors.UpdateNotFoundError` if none or nothing of it is visible."""
        ...

    async def transaction_by_offset(
        self, offset: Offset, requesting_parties: frozenset[PartyId], *, tree: bool
    ) -> Update:
        """As :meth:`transaction_by_id`, for the transaction at ``offset``."""
        ...

    async def active_contracts(
        self, update_filter: UpdateFilter, active_at: Offset | None
    ) -> ActiveContractSet:
        """Active contracts visible to the filter at ``active_at`` (``None``: ledger end)."""
        ...

    async def ledger_end(self) -> Offset:
        """The offset of the last published update (``LEDGER_BEGIN`` if none)."""
        ...

    async def connected_domains(self, party: PartyId | None) -> tuple[ConnectedDomain, ...]:
        """Domains this participant is connected to (where ``party`` is hosted, if given)."""
        ...

    async def allocate_party(self, party_id_hint: str | None, display_name: str) -> PartyDetails:
        """Allocate a party hosted here, through topology; return once it is effective.
        :class:`~.errors.PartyAlreadyExistsError` if the hint is taken."""
        ...

    async def list_parties(self) -> tuple[PartyDetails, ...]:
        """Every party known to the participant (hosted here or elsewhere)."""
        ...

    async def get_parties(self, parties: Sequence[PartyId]) -> tuple[PartyDetails, ...]:
        """Details of those of ``parties`` that are known; unknown ones are left out."""
        ...

    async def upload_package(self, source: bytes) -> PackageDetails:
        """Validate and store a package source (and vet it); idempotent.
        :class:`~.errors.PackageRejectedError` if the source is refused."""
        ...

    async def list_packages(self) -> tuple[PackageDetails, ...]:
        """Stored packages, in upload order."""
        ...

    async def get_package(self, package_id: PackageId) -> PackageSource:
        """One stored package; :class:`~.errors.PackageNotFoundError` if unknown."""
        ...

    async def package_status(self, package_id: PackageId) -> PackageStatus: ...


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """Static facts the VersionService reports."""

    version: str = "0.1.0"
    features: tuple[str, ...] = field(default=("user_management", "party_management"))
