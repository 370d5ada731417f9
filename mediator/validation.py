"""Checking what reaches the mediator: a confirmation request (an informee message and root
hash messages in one delivery) and confirmation responses.

A request is checked against the topology at its request time ``t`` (the delivery's
sequencing time), in this order; the first failure is the verdict
(``docs/mediator.md`` §2 lists the rules with their codes):

=====  =======================================================  ============================
step   rule                                                     MediatorReject code
=====  =======================================================  ============================
1      every envelope to the mediator decodes                   MALFORMED_REQUEST
2      exactly one informee message                             MALFORMED_REQUEST
3      it names this mediator (else: not ours, ignored)         —
4      it names this domain                                     MALFORMED_REQUEST
5      the sender is the submitting participant it names        INVALID_SUBMITTER
6      the submitter's key at ``t`` signed it                   INVALID_SIGNATURE
7      root hash messages: present, signed, same root hash,     INVALID_SIGNATURE /
       domain, submitter and type                               ROOT_HASH_MISMATCH
8      ``t <= max_sequencing_time``                             MAX_SEQUENCING_TIME_EXCEEDED
9      the submitter may submit for every act-as party          INVALID_SUBMITTER
10     every informee has an active host                        WRONG_CONFIRMATION_POLICY
11     the root hash messages reach every informee participant  ROOT_HASH_MISMATCH
12     weights 1, threshold = number of confirming parties,     WRONG_CONFIRMATION_POLICY
       each party has enough hosts with confirmation rights
=====  =======================================================  ============================

Each rule is one function whose docstring names its number, called in this order by
``_check`` (rule 3 by :func:`check_request`, which needs no topology); rule 13, the
duplicate root hash, needs the store and is the processor's.

A response is checked against the request's frozen policy (:class:`RequestRecord`) and
the responder's signing key at the request time. The mediator never sees an encrypted
view: the request's other envelopes are not addressed to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from mediator.rejections import public_reason
from mediator.types import (
    InformeeHosts,
    PartyPolicy,
    RequestRecord,
    ResponseStatus,
    ViewPolicy,
    Vote,
    is_policy_veto,
)
from protocol.crypto.encryption import EncryptionPublicKey
from protocol.crypto.signing import SigningPublicKey
from protocol.identifiers import DomainId, MemberId, MemberKind, PartyId, member_kind
from protocol.sequencer_messages import Deliver
from protocol.timestamp import Timestamp, add_micros
from protocol.topology import is_topology_payload
from protocol.topology.mappings import (
    DomainParameters,
    HostingParticipant,
    ParticipantPermission,
    PartyToParticipant,
)
from protocol.transaction import (
    InformeeMessage,
    InformeeTree,
    InformeeView,
    MalformedTransactionMessageError,
    MediatorReject,
    MediatorRejectCode,
    MessageSignatureError,
    RequestId,
    RequestType,
    RootHash,
    RootHashMessage,
    SignedConfirmationResponse,
    UnhostedInformeeError,
    ViewPosition,
    decode_protocol_message,
    informee_participants,
)
from protocol.transaction.types import position_text

MAX_REASON = 1_000


class TopologyView(Protocol):
    """The topology questions the mediator asks (``TopologySnapshot`` answers them)."""

    def is_active(self, member: MemberId) -> bool: ...

    def signing_key(self, member: MemberId) -> SigningPublicKey | None: ...

    def encryption_key(self, member: MemberId) -> EncryptionPublicKey | None: ...

    def participant_permission(self, participant: MemberId) -> ParticipantPermission | None: ...

    def active_hosts(self, party: PartyId) -> tuple[HostingParticipant, ...]: ...

    def party_hosting(self, party: PartyId) -> PartyToParticipant | None: ...

    def domain_parameters(self) -> DomainParameters | None: ...


# -- what a delivery holds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivered:
    """The envelopes of one delivery addressed to the mediator, decoded and sorted."""

    informee_messages: tuple[InformeeMessage, ...]
    root_hash_messages: tuple[tuple[RootHashMessage, frozenset[MemberId]], ...]
    """Each with its envelope's recipients."""
    responses: tuple[SignedConfirmationResponse, ...]
    malformed: tuple[str, ...]
    """Why each undecodable envelope was dropped (no payload bytes)."""
    other: tuple[str, ...]
    """Names of decodable messages the mediator has no use for (ignored)."""

    @property
    def is_request(self) -> bool:
        return bool(self.informee_messages or self.root_hash_messages)


def classify(deliver: Deliver, mediator: MemberId) -> Delivered:
    """Decode the envelopes of ``deliver`` addressed to ``mediator``."""
    informee: list[InformeeMessage] = []
    roots: list[tuple[RootHashMessage, frozenset[MemberId]]] = []
    responses: list[SignedConfirmationResponse] = []
    malformed: list[str] = []
    other: list[str] = []
    for index, envelope in enumerate(deliver.batch.envelopes):
        if mediator not in envelope.recipients or is_topology_payload(envelope.payload):
            continue  # topology broadcasts are the member runtime's
        try:
            message = decode_protocol_message(envelope.payload)
        except MalformedTransactionMessageError as exc:
            malformed.append(f"envelope {index}: {exc}"[:MAX_REASON])
            continue
        if isinstance(message, InformeeMessage):
            informee.append(message)
        elif isinstance(message, RootHashMessage):
            roots.append((message, envelope.recipients))
        elif isinstance(message, SignedConfirmationResponse):
            responses.append(message)
        else:
            other.append(type(message).__name__)
    return Delivered(
        tuple(informee), tuple(roots), tuple(responses), tuple(malformed), tuple(other)
    )


# -- requests -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestRejection:
    """A request the mediator answers with ``MediatorReject`` (``root_hash`` identifies it
    to the participants; ``recipients`` are every participant that can be identified)."""

    root_hash: RootHash
    recipients: frozenset[MemberId]
    verdict: MediatorReject
    """What is sent: the code and :func:`~mediator.rejections.public_reason` only."""
    detail: str
    """What the check found (parties, members, hashes, decode errors): logged, never sent."""


@dataclass(frozen=True, slots=True)
class NotOurs:
    """A request naming another mediator (or none that can be identified): no verdict."""

    reason: str


RequestOutcome = RequestRecord | RequestRejection | NotOurs


class _Reject(Exception):  # noqa: N818 (internal control flow: the first failing rule)
    """The first failing rule; ``detail`` stays local, ``position`` is the view a
    per-view rule failed at (public)."""

    def __init__(
        self, code: MediatorRejectCode, detail: str, position: ViewPosition | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail[:MAX_REASON]
        self.position = position

    def verdict(self) -> MediatorReject:
        """The verdict sent: nothing of :attr:`detail` (``mediator/rejections.py``)."""
        return MediatorReject(self.code, public_reason(self.code, self.position))


def _participants(members: Iterable[MemberId]) -> frozenset[MemberId]:
    return frozenset(m for m in members if member_kind(m) is MemberKind.PARTICIPANT)


def check_request(
    deliver: Deliver,
    delivered: Delivered,
    *,
    domain: DomainId,
    mediator: MemberId,
    topology: TopologyView,
) -> RequestOutcome:
    """Check a request delivery (module docstring); ``topology`` is the snapshot at the
    request time ``deliver.timestamp``."""
    identified = _participants({deliver.sender})
    for _message, recipients in delivered.root_hash_messages:
        identified |= _participants(recipients)
    informee = delivered.informee_messages
    root: RootHash | None = None
    if len(informee) == 1:
        root = informee[0].root_hash
    elif delivered.root_hash_messages:
        root = delivered.root_hash_messages[0][0].root_hash
    if len(informee) == 1 and informee[0].informee_tree.mediator != mediator:
        return NotOurs(f"the request names mediator {informee[0].informee_tree.mediator}")
    if root is None:
        return NotOurs("no informee or root hash message decodes: nothing identifies it")
    try:
        record = _check(deliver, delivered, domain, mediator, topology)
    except _Reject as reject:
        if len(informee) == 1:
            identified |= _informee_hosts(informee[0].informee_tree, topology)
        return RequestRejection(root, identified, reject.verdict(), reject.detail)
    return record


def _informee_hosts(tree: InformeeTree, topology: TopologyView) -> frozenset[MemberId]:
    hosts: set[MemberId] = {tree.submitting_participant}
    for party in tree.informees():
        hosts.update(h.participant for h in topology.active_hosts(party))
    return frozenset(hosts)


def _check(
    deliver: Deliver,
    delivered: Delivered,
    domain: DomainId,
    mediator: MemberId,
    topology: TopologyView,
) -> RequestRecord:
    """Rules 1, 2 and 4 to 12 in order (module docstring; rule 3 is
    :func:`check_request`'s): the request's record, or :class:`_Reject` at the first
    failure."""
    t = RequestId(deliver.timestamp)
    message = _one_informee_message(delivered)  # rules 1, 2
    tree = message.informee_tree
    _check_domain(tree, domain)  # rule 4
    submitter = _check_sender(deliver, tree)  # rule 5
    key = _check_signature(message, submitter, topology)  # rule 6
    _check_root_hash_messages(delivered, domain, submitter, message.root_hash, key)  # rule 7
    _check_max_sequencing_time(t, tree)  # rule 8
    _check_submitter(submitter, tree.submitter_metadata.act_as, topology)  # rule 9
    participants = _check_informees(tree, topology)  # rule 10
    _check_announced(delivered, participants | {mediator})  # rule 11
    views = tuple(_view_policy(view, topology) for view in tree.views())  # rule 12
    return _record(
        t,
        root=message.root_hash,
        submitter=submitter,
        participants=participants,
        views=views,
        topology=topology,
    )


def _one_informee_message(delivered: Delivered) -> InformeeMessage:
    """Rules 1 and 2: every envelope decodes, and there is exactly one informee message."""
    malformed = MediatorRejectCode.MALFORMED_REQUEST
    if delivered.malformed:
        raise _Reject(malformed, "; ".join(delivered.malformed))
    if len(delivered.informee_messages) != 1:
        raise _Reject(
            malformed, f"expected one informee message, got {len(delivered.informee_messages)}"
        )
    return delivered.informee_messages[0]


def _check_domain(tree: InformeeTree, domain: DomainId) -> None:
    """Rule 4: the request names this domain."""
    if tree.domain != domain:
        raise _Reject(
            MediatorRejectCode.MALFORMED_REQUEST,
            f"the request is for domain {tree.domain}, not {domain}",
        )


def _check_sender(deliver: Deliver, tree: InformeeTree) -> MemberId:
    """Rule 5: the sender (authenticated by the sequencer) is the submitting participant
    the informee tree names; that participant."""
    submitter = tree.submitting_participant
    if deliver.sender != submitter:
        raise _Reject(
            MediatorRejectCode.INVALID_SUBMITTER,
            f"sent by {deliver.sender}, but the informee tree names {submitter}",
        )
    return submitter


def _check_signature(
    message: InformeeMessage, submitter: MemberId, topology: TopologyView
) -> SigningPublicKey:
    """Rule 6: the submitter's signing key at the request time signed the informee
    message; that key."""
    key = topology.signing_key(submitter)
    if key is None:
        raise _Reject(MediatorRejectCode.INVALID_SIGNATURE, f"{submitter} has no signing key")
    try:
        message.verify(key)
    except MessageSignatureError:
        raise _Reject(
            MediatorRejectCode.INVALID_SIGNATURE, f"informee message not signed by {submitter}"
        ) from None
    return key


def _check_max_sequencing_time(t: RequestId, tree: InformeeTree) -> None:
    """Rule 8: the request was sequenced by its max sequencing time."""
    deadline = tree.submitter_metadata.max_sequencing_time
    if t > deadline:
        raise _Reject(
            MediatorRejectCode.MAX_SEQUENCING_TIME_EXCEEDED,
            f"sequenced at {t}, after its max sequencing time {deadline}",
        )


def _check_announced(delivered: Delivered, needed: frozenset[MemberId]) -> None:
    """Rule 11: the root hash messages reached every informee participant and the
    mediator (``needed``)."""
    announced: set[MemberId] = set()
    for _rhm, recipients in delivered.root_hash_messages:
        announced |= recipients
    missing = sorted(needed - announced)
    if missing:
        raise _Reject(
            MediatorRejectCode.ROOT_HASH_MISMATCH,
            f"no root hash message reached {', '.join(missing)}",
        )


def _record(
    t: RequestId,
    *,
    root: RootHash,
    submitter: MemberId,
    participants: frozenset[MemberId],
    views: tuple[ViewPolicy, ...],
    topology: TopologyView,
) -> RequestRecord:
    """The registered request, its policy frozen, with the deadlines of the domain
    parameters at the request time (none in force: ``MALFORMED_REQUEST``)."""
    params = topology.domain_parameters()
    if params is None:
        raise _Reject(
            MediatorRejectCode.MALFORMED_REQUEST,
            "no domain parameters are in force at the request time",
        )
    response_deadline = add_micros(t, params.participant_response_timeout)
    return RequestRecord(
        request_id=t,
        root_hash=root,
        submitter=submitter,
        informee_participants=participants | {submitter},
        views=views,
        response_deadline=response_deadline,
        decision_deadline=add_micros(response_deadline, params.mediator_reaction_timeout),
    )


def _check_root_hash_messages(
    delivered: Delivered,
    domain: DomainId,
    submitter: MemberId,
    root: RootHash,
    key: SigningPublicKey,
) -> None:
    """Rule 7: root hash messages are present, each signed by the submitter, naming it,
    of this domain, of type TRANSACTION and of the informee tree's root hash."""
    mismatch = MediatorRejectCode.ROOT_HASH_MISMATCH
    if not delivered.root_hash_messages:
        raise _Reject(mismatch, "no root hash message was sent with the request")
    for rhm, _recipients in delivered.root_hash_messages:
        try:
            rhm.verify(key)
        except MessageSignatureError:
            raise _Reject(
                MediatorRejectCode.INVALID_SIGNATURE,
                f"root hash message not signed by {submitter}",
            ) from None
        if rhm.submitting_participant != submitter:
            raise _Reject(mismatch, f"a root hash message names {rhm.submitting_participant}")
        if rhm.domain != domain:
            raise _Reject(mismatch, f"a root hash message is for domain {rhm.domain}")
        if rhm.request_type is not RequestType.TRANSACTION:
            raise _Reject(mismatch, f"a root hash message has type {rhm.request_type.name}")
        if rhm.root_hash != root:
            raise _Reject(
                mismatch,
                f"root hash message {rhm.root_hash.to_multihash()} differs from the informee "
                f"tree's {root.to_multihash()}",
            )


def _check_submitter(
    submitter: MemberId, act_as: frozenset[PartyId], topology: TopologyView
) -> None:
    """Rule 9: the submitter is admitted with SUBMISSION and hosts every act-as party
    with SUBMISSION."""
    invalid = MediatorRejectCode.INVALID_SUBMITTER
    permission = topology.participant_permission(submitter)
    if permission is None or permission < ParticipantPermission.SUBMISSION:
        raise _Reject(invalid, f"{submitter} is not an active participant with submission rights")
    for party in sorted(act_as):
        if not any(
            h.participant == submitter and h.permission >= ParticipantPermission.SUBMISSION
            for h in topology.active_hosts(party)
        ):
            raise _Reject(invalid, f"{submitter} may not submit for {party}")


def _check_informees(tree: InformeeTree, topology: TopologyView) -> frozenset[MemberId]:
    """Rule 10: every informee has an active host; the informee participants."""
    participants: set[MemberId] = set()
    for view in tree.views():
        try:
            participants |= informee_participants(view.common, topology, view.position)
        except UnhostedInformeeError as exc:
            raise _Reject(MediatorRejectCode.WRONG_CONFIRMATION_POLICY, str(exc)) from None
    return frozenset(participants)


def _view_policy(view: InformeeView, topology: TopologyView) -> ViewPolicy:
    """Rule 12 for one view: weights 1, threshold = number of confirming parties, each
    with enough hosts with confirmation rights; the view's frozen policy."""
    common = view.common
    where = position_text(view.position)
    wrong = MediatorRejectCode.WRONG_CONFIRMATION_POLICY
    confirming = common.confirming_parties
    for party, weight in sorted(confirming.items()):
        if weight != 1:
            raise _Reject(
                wrong, f"view {where}: {party} has weight {weight}, expected 1", view.position
            )
    if common.threshold != len(confirming):
        raise _Reject(
            wrong,
            f"view {where}: threshold {common.threshold}, expected {len(confirming)} "
            "(every confirming party)",
            view.position,
        )
    parties = []
    for party, weight in sorted(confirming.items()):
        hosts = _confirmation_hosts(party, topology)
        ptp = topology.party_hosting(party)
        needed = ptp.threshold if ptp is not None else 1
        if len(hosts) < needed:
            raise _Reject(
                wrong,
                f"view {where}: {party} needs {needed} confirming participants, "
                f"{len(hosts)} are active",
                view.position,
            )
        parties.append(PartyPolicy(party, weight, hosts, needed))
    others = tuple(
        InformeeHosts(party, _confirmation_hosts(party, topology))
        for party in sorted({i.party for i in common.informees} - set(confirming))
    )
    return ViewPolicy(view.position, view.view_hash, common.threshold, tuple(parties), others)


def _confirmation_hosts(party: PartyId, topology: TopologyView) -> frozenset[MemberId]:
    return frozenset(
        h.participant
        for h in topology.active_hosts(party)
        if h.permission >= ParticipantPermission.CONFIRMATION
    )


# -- responses ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IgnoredResponse:
    """A response that does not count; recorded with its status and reason."""

    status: ResponseStatus
    reason: str


def _answered(
    earlier: Iterable[Vote], participant: MemberId, record: RequestRecord
) -> set[tuple[ViewPosition, PartyId]]:
    """The ``(view position, party)`` pairs ``participant`` already answered."""
    done: set[tuple[ViewPosition, PartyId]] = set()
    for vote in earlier:
        if vote.participant != participant:
            continue
        for view in record.views:
            if vote.view is not None and vote.view != view.position:
                continue
            done.update((view.position, p) for p in vote.parties)
    return done


def check_response(
    signed: SignedConfirmationResponse,
    *,
    sender: MemberId,
    at: Timestamp,
    domain: DomainId,
    record: RequestRecord,
    decided: bool,
    topology: TopologyView,
    earlier: tuple[Vote, ...],
) -> Vote | IgnoredResponse:
    """Check a response to ``record`` sequenced at ``at`` from ``sender``; ``topology`` is
    the snapshot at the request time, ``earlier`` the votes accepted so far."""
    response = signed.response
    invalid = ResponseStatus.INVALID
    if response.domain != domain:
        return IgnoredResponse(invalid, f"for domain {response.domain}")
    if response.sender != sender:
        return IgnoredResponse(invalid, f"sent by {sender} but names {response.sender}")
    if response.root_hash != record.root_hash:
        return IgnoredResponse(invalid, "root hash differs from the request's")
    key = topology.signing_key(sender)
    if key is None:
        return IgnoredResponse(invalid, f"{sender} has no signing key at the request time")
    try:
        signed.verify(key)
    except MessageSignatureError:
        return IgnoredResponse(invalid, f"signature is not {sender}'s")
    if decided:
        return IgnoredResponse(ResponseStatus.AFTER_DECISION, "the request is already decided")
    if at > record.response_deadline:
        return IgnoredResponse(
            ResponseStatus.LATE, f"sequenced at {at}, after the deadline {record.response_deadline}"
        )
    views: tuple[ViewPolicy, ...] = record.views
    if response.view_position is not None:
        view = record.view(response.view_position)
        if view is None:
            return IgnoredResponse(invalid, f"no view {position_text(response.view_position)}")
        if view.view_hash != response.view_hash:
            return IgnoredResponse(invalid, "view hash differs from the request's")
        views = (view,)
    veto = response.view_position is not None and is_policy_veto(response.verdict)
    allowed = {p for v in views for p in _answerable(v, sender, veto=veto)}
    not_allowed = sorted(response.confirming_parties - allowed)
    if not_allowed:
        return IgnoredResponse(
            invalid, f"{sender} may not confirm for {', '.join(not_allowed)} in this view"
        )
    claimed = response.confirming_parties or frozenset(allowed)
    if not claimed:
        return IgnoredResponse(invalid, f"{sender} confirms for no party of the request")
    done = _answered(earlier, sender, record)
    fresh = frozenset(
        p
        for p in claimed
        if any((v.position, p) not in done for v in views if p in _answerable(v, sender, veto=veto))
    )
    if not fresh:
        return IgnoredResponse(ResponseStatus.DUPLICATE, "every party was already answered for")
    return Vote(at, sender, response.view_position, fresh, response.verdict)


def _answerable(view: ViewPolicy, participant: MemberId, *, veto: bool) -> frozenset[PartyId]:
    """The parties ``participant`` may answer for in ``view``: the confirming parties it
    hosts, and for a policy veto also the non-confirming informees it hosts."""
    hosted = frozenset(p.party for p in view.parties if participant in p.hosts)
    return hosted | view.vetoers(participant) if veto else hosted
