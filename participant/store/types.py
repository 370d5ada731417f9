"""Values the participant's store holds and answers with.

They are also the vocabulary the layers above the store share: the protocol core, the
node and the Ledger API use these offsets, update ids, completions, completion statuses
and deduplication periods, not copies of their own.

Offsets are the participant's ledger offsets: dense integers from 1, one per published
item. A committed transaction takes one offset (its completion, if it was submitted
here, shares it); a rejected submission's completion takes one of its own. ``0`` is the
ledger begin.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NewType

from participant.engine import ContractId, PartyId, TemplateId, Transaction
from participant.engine.transaction import ContractInstance
from protocol.identifiers import DomainId, MemberId
from protocol.timestamp import Timestamp

Offset = NewType("Offset", int)
"""A ledger offset (see the module docstring); ``LEDGER_BEGIN`` is 0."""
LEDGER_BEGIN = Offset(0)

UpdateId = NewType("UpdateId", str)
"""A committed transaction's id (Daml v2's update id): ``"u-" + hex(root hash)``, equal on
every participant."""

KeyHash = NewType("KeyHash", str)
"""A contract key's hash (multihash text of the purpose-tagged SHA-256 of the template id
and key value): what key locks are held by."""

ChangeId = NewType("ChangeId", str)
"""Deduplication key: sorted act-as parties, application id and command id."""


def change_id(
    act_as: frozenset[str] | tuple[str, ...], application_id: str, command_id: str
) -> ChangeId:
    """The change id of a command (Daml's ``(submitters, application id, command id)``)."""
    parties = ",".join(sorted(set(act_as)))
    return ChangeId(f"{parties}|{application_id}|{command_id}")


@dataclass(frozen=True, slots=True)
class DedupDuration:
    """Deduplicate against accepted submissions of the same change id whose record time
    is within the last ``micros``."""

    micros: int


@dataclass(frozen=True, slots=True)
class DedupOffset:
    """Deduplicate against accepted submissions completed after ``offset``."""

    offset: Offset


DedupPeriod = DedupDuration | DedupOffset
"""A command's deduplication period (Daml's ``deduplication_period``)."""


class CompletionCode(enum.StrEnum):
    """Why a submission did not commit, as the Daml error code the Ledger API reports.

    A member is its code id (a ``str``), so it is a :class:`CompletionStatus` code as is.
    """

    INCONSISTENT_CONTRACTS = "INCONSISTENT_CONTRACTS"
    """An input contract was not active at a confirmer (archived meanwhile, unknown)."""
    LOCKED_CONTRACTS = "LOCAL_VERDICT_LOCKED_CONTRACTS"
    """An input contract was locked by an earlier pending request (a conflict)."""
    INCONSISTENT_CONTRACT_KEY = "INCONSISTENT_CONTRACT_KEY"
    DAML_AUTHORIZATION_ERROR = "DAML_AUTHORIZATION_ERROR"
    PACKAGE_NOT_VETTED = "PACKAGE_NOT_VETTED_BY_RECIPIENTS"
    REJECTED = "LOCAL_VERDICT_REJECTED"
    """A confirmer rejected for another reason (conformance, malformed, time, topology)."""
    MEDIATOR_REJECTED = "MEDIATOR_REJECTED"
    """The mediator rejected the request itself (its code is in the context)."""
    TIMED_OUT = "REQUEST_TIMED_OUT"
    """The mediator decided Timeout, or no verdict came by the decision deadline."""
    NOT_SEQUENCED = "SUBMISSION_NOT_SEQUENCED_TIMEOUT"
    """The request was not sequenced before its max sequencing time."""
    SEQUENCER_REFUSED = "SEQUENCER_DELIVER_ERROR"
    """The sequencer refused the request (a DeliverError or a refused send)."""


@dataclass(frozen=True, slots=True)
class CompletionStatus:
    """Outcome of one submission: ok, or a Daml error code with message and context.

    The participant records its own rejections with a :class:`CompletionCode`; the Ledger
    API reports a code id of its ``ErrorCode`` (``participant.ledger_api.errors``), and
    maps a participant code it does not know to the nearest one of its own.
    """

    code: str | None = None
    """``None`` on success; else a Daml error code id."""
    message: str = ""
    context: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is None


COMPLETION_OK = CompletionStatus()


@dataclass(frozen=True, slots=True)
class Completion:
    """The completion of one submission: as stored, and as the Ledger API publishes it on
    the completion stream (with its status in Ledger API codes and its domain set)."""

    offset: Offset
    application_id: str
    command_id: str
    submission_id: str
    act_as: tuple[PartyId, ...]
    status: CompletionStatus
    update_id: UpdateId | None
    """The committed transaction; ``None`` for a rejection."""
    record_time: Timestamp
    """Sequencing time of the verdict (or of the rejection)."""
    domain_id: DomainId | None = None
    """The store, of one domain, records none; the Ledger API backend sets it."""


@dataclass(frozen=True, slots=True)
class StoredContract:
    """A contract created by a committed transaction that a hosted party is a stakeholder
    of; ``archived_offset`` is None while it is active."""

    instance: ContractInstance
    instance_bytes: bytes
    """The canonical ``write_instance`` encoding (what views carry and commitments hash)."""
    created_offset: Offset
    created_update: UpdateId
    created_node: str
    ledger_time: int
    archived_offset: Offset | None = None

    @property
    def contract_id(self) -> ContractId:
        return self.instance.contract_id

    @property
    def template_id(self) -> TemplateId:
        return self.instance.template_id

    @property
    def stakeholders(self) -> frozenset[PartyId]:
        return self.instance.stakeholders


@dataclass(frozen=True, slots=True)
class StoredUpdate:
    """A committed transaction in the event log, as this participant knows it.

    ``transaction`` is the participant's projection: the action nodes of the views it
    received (every node a hosted party witnesses, nothing else), as an engine
    ``Transaction`` whose roots are the top-most nodes it holds. The Ledger API cuts flat
    and tree forms per requesting party from it (``participant.ledger_api.projection``).
    """

    offset: Offset
    update_id: UpdateId
    record_time: Timestamp
    request_id: Timestamp
    transaction: Transaction
    command_id: str
    """Known only on the submitting participant ("" elsewhere)."""
    workflow_id: str
    act_as: tuple[PartyId, ...]
    witnesses: frozenset[PartyId]
    """Hosted parties that witness at least one node."""


class RequestState(enum.Enum):
    PENDING = "pending"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled_back"


class SubmissionState(enum.Enum):
    IN_FLIGHT = "in_flight"
    """Sent (or about to be); not yet seen sequenced."""
    SEQUENCED = "sequenced"
    """Its request was sequenced; waiting for the verdict."""


@dataclass(frozen=True, slots=True)
class InFlightSubmission:
    """A submission between ``submit`` and its completion.

    ``transaction_seed`` and ``submission_seed`` are recorded before anything is sent, so
    a rebuilt request after a crash has the same root hash and contract ids.
    """

    message_id: str
    change_id: ChangeId
    submission_id: str
    application_id: str
    command_id: str
    act_as: tuple[PartyId, ...]
    root_hash: bytes
    max_sequencing_time: Timestamp
    submission_seed: bytes
    transaction_seed: bytes
    state: SubmissionState = SubmissionState.IN_FLIGHT
    request_id: Timestamp | None = None


@dataclass(frozen=True, slots=True)
class DedupEntry:
    """The last accepted submission of a change id."""

    change_id: ChangeId
    submission_id: str
    offset: Offset
    record_time: Timestamp


@dataclass(frozen=True, slots=True)
class PendingRequestRow:
    """An in-flight confirmation request as persisted (the processor's own record is
    rebuilt from it on recovery)."""

    request_id: Timestamp
    root_hash: bytes
    submitter: MemberId
    deadline: Timestamp
    """Decision deadline: request time + participant response timeout + mediator
    reaction timeout. With no verdict sequenced by then, the request is rolled back."""
    record: bytes
    """The processor's encoded request record (views, locks, act-as, …)."""
    locks: tuple[ContractId, ...]
    """Contracts the request consumes that this participant holds (locked)."""
    key_locks: tuple[KeyHash, ...] = ()
    """Keys maintained here that the request creates or frees (locked)."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A message to send (a response, a commitment), stored with the event that caused it
    and resent under the same message id until its receipt is seen or it expires."""

    message_id: str
    envelopes: bytes
    """The encoded ``Batch`` of envelopes."""
    max_sequencing_time: Timestamp


@dataclass(frozen=True, slots=True)
class CommitmentMismatch:
    """An ACS commitment from ``counterparty`` that differs from ours for a period.

    ``contract_ids`` are the contracts this participant holds as shared with the
    counterparty at ``to_time``: the set in question, for an operator to compare.
    """

    counterparty: MemberId
    from_time: Timestamp
    to_time: Timestamp
    ours: bytes
    theirs: bytes
    contract_ids: tuple[ContractId, ...]
    detected_at: Timestamp
