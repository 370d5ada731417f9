"""The mediator's values: a registered request with the confirmation policy it froze from
the topology at the request time, the votes it accepted, and the verdicts it owes.

Everything a decision needs is frozen into :class:`RequestRecord` when the request
arrives (who may confirm for which party, how many of them must, each view's threshold),
so deciding later (after a response, a timeout, a restart) never consults the topology
again and gives the same answer on every replay. Records are stored in their canonical
encoding (``protocol.canonical``), tagged and versioned like protocol messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NewType

from protocol.canonical import Reader, Writer, decode, encode
from protocol.identifiers import (
    MemberId,
    PartyId,
    read_member_id,
    read_party_id,
    write_member_id,
    write_party_id,
)
from protocol.timestamp import Timestamp, read_timestamp, write_timestamp
from protocol.transaction import (
    LocalApprove,
    LocalReject,
    LocalRejectCode,
    LocalVerdict,
    RequestId,
    RootHash,
    SignedConfirmationResult,
    ViewHash,
    ViewPosition,
)
from protocol.transaction.types import (
    read_request_id,
    read_root_hash,
    read_view_hash,
    read_view_position,
    write_request_id,
    write_view_position,
)

VerdictMessageId = NewType("VerdictMessageId", str)
"""The sequencer message id of a verdict send: ``verdict-<request id>-<attempt>``."""

VERDICT_MESSAGE_PREFIX = "verdict-"


def verdict_message_id(request_id: RequestId, attempt: int) -> VerdictMessageId:
    return VerdictMessageId(f"{VERDICT_MESSAGE_PREFIX}{request_id}-{attempt}")


def parse_verdict_message_id(text: str) -> tuple[RequestId, int] | None:
    """The request id and attempt of a verdict message id; None for any other id."""
    if not text.startswith(VERDICT_MESSAGE_PREFIX):
        return None
    request, sep, attempt = text[len(VERDICT_MESSAGE_PREFIX) :].partition("-")
    if not sep or not request.isdigit() or not attempt.isdigit():
        return None
    return RequestId(Timestamp(int(request))), int(attempt)


class RequestState(enum.Enum):
    PENDING = "pending"
    """Registered; collecting responses until decided or its response deadline passes."""
    DECIDED = "decided"
    """A verdict is stored (and owed to the informee participants until sequenced)."""


class VerdictKind(enum.Enum):
    """Metric label and store column for a verdict."""

    APPROVE = "approve"
    REJECT = "reject"
    MEDIATOR_REJECT = "mediator_reject"
    TIMEOUT = "timeout"


class ResponseStatus(enum.Enum):
    """What the mediator did with one received confirmation response (recorded for audit)."""

    ACCEPTED = "accepted"
    """Counted towards the decision."""
    DUPLICATE = "duplicate"
    """Every party it answers for was already answered for by the same participant."""
    LATE = "late"
    """Sequenced after the request's response deadline."""
    AFTER_DECISION = "after_decision"
    """The request was already decided."""
    UNKNOWN_REQUEST = "unknown_request"
    """No request with that id (or it is not this mediator's)."""
    INVALID = "invalid"
    """Wrong domain, sender, root hash, view, signature, or a party the sender may not
    confirm for; the reason is recorded with it."""
    MALFORMED = "malformed"
    """Not decodable."""


class OutboxState(enum.Enum):
    """Where a decided verdict is on its way to the informee participants."""

    PENDING = "pending"
    """Decided and committed; not yet handed to a sequencer (or must be sent again)."""
    SENT = "sent"
    """Accepted by a sequencer; its receipt has not been seen in the stream yet."""
    SEQUENCED = "sequenced"
    """Its receipt arrived: every recipient gets it."""
    EXPIRED = "expired"
    """Could not be sequenced before its max sequencing time (the decision deadline):
    the participants roll back by their own mediator reaction timeout."""


@dataclass(frozen=True, slots=True)
class PartyPolicy:
    """One confirming party of a view, as the topology at the request time has it."""

    party: PartyId
    weight: int
    """Its weight towards the view's threshold (from the informee tree, checked = 1)."""
    hosts: frozenset[MemberId]
    """The active participants hosting it with at least confirmation permission."""
    threshold: int
    """How many of ``hosts`` must approve for the party to approve (its
    ``PartyToParticipant.threshold``)."""

    def write(self, w: Writer) -> None:
        write_party_id(w, self.party)
        w.u16(self.weight)
        w.set(self.hosts, write_member_id)
        w.u16(self.threshold)

    @classmethod
    def read(cls, r: Reader) -> PartyPolicy:
        party, weight = read_party_id(r), r.u16()
        hosts = frozenset(r.set(read_member_id))
        return cls(party, weight, hosts, r.u16())


def is_policy_veto(verdict: LocalVerdict) -> bool:
    """A rejection saying a view's declared confirmation policy is not the one its nodes
    need (``MODEL_CONFORMANCE``): the only answer the mediator takes from a host of a
    non-confirming informee (:class:`InformeeHosts`)."""
    return isinstance(verdict, LocalReject) and verdict.code is LocalRejectCode.MODEL_CONFORMANCE


@dataclass(frozen=True, slots=True)
class InformeeHosts:
    """A view's informee that is *not* a confirming party, as the topology at the request
    time has it: the hosts that may veto the view's declared confirmation policy for it
    (a ``LocalReject`` with code ``MODEL_CONFORMANCE``, ``docs/mediator.md`` §4)."""

    party: PartyId
    hosts: frozenset[MemberId]
    """The active participants hosting it with at least confirmation permission."""

    def write(self, w: Writer) -> None:
        write_party_id(w, self.party)
        w.set(self.hosts, write_member_id)

    @classmethod
    def read(cls, r: Reader) -> InformeeHosts:
        return cls(read_party_id(r), frozenset(r.set(read_member_id)))


@dataclass(frozen=True, slots=True)
class ViewPolicy:
    """One view: what must approve it, and who may veto its declared policy."""

    position: ViewPosition
    view_hash: ViewHash
    threshold: int
    """The sum of approving parties' weights needed (from the informee tree)."""
    parties: tuple[PartyPolicy, ...]
    """The view's confirming parties, sorted by party."""
    other_informees: tuple[InformeeHosts, ...] = ()
    """The view's informees that are not confirming parties, sorted by party. The
    submitter declares the confirming parties; an informee it left out can still reject
    the view by saying the declaration is wrong (never approve it)."""

    def write(self, w: Writer) -> None:
        write_view_position(w, self.position)
        self.view_hash.write(w)
        w.u32(self.threshold)
        w.sequence(self.parties, lambda w_, p: p.write(w_))
        w.sequence(self.other_informees, lambda w_, i: i.write(w_))

    @classmethod
    def read(cls, r: Reader) -> ViewPolicy:
        position, view_hash, threshold = read_view_position(r), read_view_hash(r), r.u32()
        parties = tuple(r.sequence(PartyPolicy.read))
        return cls(position, view_hash, threshold, parties, tuple(r.sequence(InformeeHosts.read)))

    def vetoers(self, participant: MemberId) -> frozenset[PartyId]:
        """The non-confirming informees ``participant`` may veto this view for."""
        return frozenset(i.party for i in self.other_informees if participant in i.hosts)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """A well-formed request the mediator collects responses for."""

    request_id: RequestId
    """The sequencing time of the request's delivery."""
    root_hash: RootHash
    submitter: MemberId
    informee_participants: frozenset[MemberId]
    """Every active participant hosting an informee at the request time, and the
    submitter: the recipients of the verdict."""
    views: tuple[ViewPolicy, ...]
    """Parents first, as in the informee tree."""
    response_deadline: Timestamp
    """``request_id + participant_response_timeout``: a response sequenced later is
    ignored, and the first event after it times the request out."""
    decision_deadline: Timestamp
    """``response_deadline + mediator_reaction_timeout``: the verdict's max sequencing
    time; participants roll back by themselves after it."""

    TAG = ("MediatorRequestRecord", 2)
    """v2: each view also holds its non-confirming informees' hosts."""

    def view(self, position: ViewPosition) -> ViewPolicy | None:
        for view in self.views:
            if view.position == position:
                return view
        return None

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_request_id(w, self.request_id)
        self.root_hash.write(w)
        write_member_id(w, self.submitter)
        w.set(self.informee_participants, write_member_id)
        w.sequence(self.views, lambda w_, v: v.write(w_))
        write_timestamp(w, self.response_deadline)
        write_timestamp(w, self.decision_deadline)

    @classmethod
    def read(cls, r: Reader) -> RequestRecord:
        r.expect_tag(*cls.TAG)
        request_id, root_hash, submitter = read_request_id(r), read_root_hash(r), read_member_id(r)
        participants = frozenset(r.set(read_member_id))
        views = tuple(r.sequence(ViewPolicy.read))
        return cls(
            request_id,
            root_hash,
            submitter,
            participants,
            views,
            read_timestamp(r),
            read_timestamp(r),
        )

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> RequestRecord:
        return decode(data, cls.read, "mediator request record")


@dataclass(frozen=True, slots=True)
class Vote:
    """An accepted response, reduced to what the decision needs."""

    at: Timestamp
    """Sequencing time of the response."""
    participant: MemberId
    view: ViewPosition | None
    """None for a view-less MALFORMED / ROOT_HASH_MISMATCH rejection: it counts against
    every view where ``parties`` (or, if empty, any party the participant hosts) confirm."""
    parties: frozenset[PartyId]
    """The parties this vote counts for (already-answered parties removed)."""
    verdict: LocalVerdict

    TAG = ("MediatorVote", 1)

    @property
    def is_approve(self) -> bool:
        return isinstance(self.verdict, LocalApprove)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_timestamp(w, self.at)
        write_member_id(w, self.participant)
        w.optional(self.view, write_view_position)
        w.set(self.parties, write_party_id)
        reject = self.verdict if isinstance(self.verdict, LocalReject) else None
        w.optional(reject, lambda w_, v: v.write(w_))

    @classmethod
    def read(cls, r: Reader) -> Vote:
        r.expect_tag(*cls.TAG)
        at, participant = read_timestamp(r), read_member_id(r)
        view = r.optional(read_view_position)
        parties = frozenset(r.set(read_party_id))
        reject = r.optional(LocalReject.read)
        verdict: LocalVerdict = LocalApprove() if reject is None else reject
        return cls(at, participant, view, parties, verdict)

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> Vote:
        return decode(data, cls.read, "mediator vote")


@dataclass(frozen=True, slots=True)
class OutgoingVerdict:
    """A decided verdict the mediator owes: what to send, to whom, until when."""

    request_id: RequestId
    result: SignedConfirmationResult
    recipients: frozenset[MemberId]
    max_sequencing_time: Timestamp
    attempt: int
    """Send attempt (a new message id after a DeliverError other than a duplicate)."""
    state: OutboxState

    @property
    def message_id(self) -> VerdictMessageId:
        return verdict_message_id(self.request_id, self.attempt)
