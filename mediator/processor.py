"""``MediatorProcessor``: the mediator's decisions, one sequenced event at a time.

The processor is the mediator without its I/O: it takes the events of the mediator's
stream (from the member runtime, or from a test) and a way to read the topology at a
time, writes every change an event causes to the :class:`MediatorStore` in one
transaction, and returns the verdicts to send. The node hands those to the
:class:`~mediator.outbox.VerdictOutbox`; the processor never talks to a sequencer.

Per event at sequencing time ``t`` (``docs/mediator.md`` §3):

1. **Replay.** ``t`` at or before the store's cursor: the event's changes are already
   committed (delivery is at least once); nothing happens.
2. **Timeouts.** Every pending request whose response deadline is before ``t`` is decided
   ``Timeout``: time is the sequencer's, read from the events themselves, so every replay
   decides alike.
3. **Own receipts.** The receipt of a verdict send marks it sequenced; a ``DeliverError``
   for it schedules another attempt, or gives up once its max sequencing time passed.
4. **Requests** (an informee message and root hash messages): checked
   (:mod:`mediator.validation`), deduplicated by root hash, then registered with the
   policy frozen from the topology at ``t``, or answered with ``MediatorReject``.
5. **Responses**: checked against the request's policy and the responder's key at the
   request time; accepted votes are tallied (:mod:`mediator.tally`) and may decide.

A verdict is signed when decided and stored with its recipients before anything is sent,
so after a crash the same bytes go out again (:meth:`outbox`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from mediator.metrics import MediatorMetrics
from mediator.rejections import public_reason
from mediator.store import (
    Decision,
    EventChanges,
    MediatorStore,
    NewRequest,
    ReceivedResponse,
)
from mediator.tally import decide
from mediator.types import (
    OutboxState,
    OutgoingVerdict,
    RequestRecord,
    ResponseStatus,
    VerdictKind,
    Vote,
    parse_verdict_message_id,
)
from mediator.validation import (
    Delivered,
    IgnoredResponse,
    NotOurs,
    RequestRejection,
    TopologyView,
    check_request,
    check_response,
    classify,
)
from node_runtime import crash_points
from node_runtime.crash_points import CrashPoint
from node_runtime.logs import log_context
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId
from protocol.sequencer_messages import Deliver, DeliverError, DeliverErrorCode, SequencedEvent
from protocol.timestamp import MICROS_PER_SECOND, Timestamp
from protocol.transaction import (
    Approve,
    ConfirmationResult,
    MediatorReject,
    MediatorRejectCode,
    Reject,
    RequestId,
    RootHash,
    SignedConfirmationResult,
    Timeout,
    Verdict,
)

log = logging.getLogger(__name__)

SnapshotSource = Callable[[Timestamp], TopologyView]
"""The topology at a time: ``MemberTopology.snapshot_at`` in the node."""


def verdict_kind(verdict: Verdict) -> VerdictKind:
    if isinstance(verdict, Approve):
        return VerdictKind.APPROVE
    if isinstance(verdict, Reject):
        return VerdictKind.REJECT
    if isinstance(verdict, MediatorReject):
        return VerdictKind.MEDIATOR_REJECT
    return VerdictKind.TIMEOUT


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """A registered, undecided request and the votes accepted for it so far."""

    record: RequestRecord
    votes: tuple[Vote, ...] = ()


class MediatorProcessor:
    """See the module docstring. Call :meth:`recover` once before the first event."""

    def __init__(
        self,
        *,
        domain: DomainId,
        mediator: MemberId,
        signing_key: SigningPrivateKey,
        store: MediatorStore,
        topology: SnapshotSource,
        metrics: MediatorMetrics | None = None,
    ) -> None:
        self.domain = domain
        self.mediator = mediator
        self.signing_key = signing_key
        self.store = store
        self.topology = topology
        self.metrics = metrics or MediatorMetrics()
        self._pending: dict[RequestId, PendingRequest] = {}

    # -- state ------------------------------------------------------------------------------

    async def recover(self) -> list[OutgoingVerdict]:
        """Load the pending requests from the store; returns the verdicts still owed
        (decided but not known to be sequenced), to be sent again as they are."""
        self._pending = {
            record.request_id: PendingRequest(record, votes)
            for record, votes in await self.store.pending()
        }
        self.metrics.pending.set(len(self._pending))
        owed = await self.store.outbox()
        if self._pending or owed:
            log.info(
                "recovered %d pending requests and %d unsent verdicts",
                len(self._pending),
                len(owed),
            )
        return owed

    @property
    def pending(self) -> dict[RequestId, PendingRequest]:
        """The undecided requests (read only)."""
        return dict(self._pending)

    @property
    def last_event_at(self) -> Timestamp | None:
        return self.store.last_event_at

    def next_deadline(self) -> Timestamp | None:
        """The earliest response deadline of a pending request: once an event later than
        it arrives, that request times out."""
        if not self._pending:
            return None
        return min(p.record.response_deadline for p in self._pending.values())

    # -- events -----------------------------------------------------------------------------

    async def handle(self, event: SequencedEvent) -> list[OutgoingVerdict]:
        """Process one event (module docstring); returns the verdicts to send now."""
        last = self.store.last_event_at
        if last is not None and event.timestamp <= last:
            log.debug("event at %d already applied (cursor %d)", event.timestamp, last)
            return []
        step = _Step(event.timestamp, dict(self._pending))
        self._timeouts(step)
        if isinstance(event, DeliverError):
            await self._own_error(step, event)
        else:
            if event.sender == self.mediator and event.message_id is not None:
                self._own_receipt(step, event)
            delivered = classify(event, self.mediator)
            if delivered.is_request:
                await self._request(step, event, delivered)
            else:
                self._malformed_responses(step, event, delivered)
            await self._responses(step, event, delivered)
        await self.store.apply(step.changes)
        self._pending = step.pending
        self._after_commit(step)
        if any(
            r.status is ResponseStatus.ACCEPTED and r.request_id in self._pending
            for r in step.changes.responses
        ):
            crash_points.reached(CrashPoint.MEDIATOR_RESPONSE_COUNTED)
        return step.to_send

    def _after_commit(self, step: _Step) -> None:
        m = self.metrics
        m.pending.set(len(self._pending))
        for request in step.changes.requests:
            m.requests.inc()
            if request.record is not None:
                log.info(
                    "request %d registered: root %s, %d views, deadline %d",
                    request.request_id,
                    request.root_hash.to_multihash(),
                    len(request.record.views),
                    request.record.response_deadline,
                )
        for response in step.changes.responses:
            m.response(response.status)
            if response.status is not ResponseStatus.ACCEPTED:
                log.info(
                    "response from %s for request %s %s: %s",
                    response.sender,
                    response.request_id,
                    response.status.value,
                    response.reason,
                )
        for decision in step.changes.decisions:
            v = decision.verdict
            latency = (decision.decided_at - v.request_id) / MICROS_PER_SECOND
            m.decided(decision.kind, latency)
            with log_context(request_id=int(v.request_id)):
                log.info(
                    "request %d decided %s after %.3fs (%s)",
                    v.request_id,
                    decision.kind.value,
                    latency,
                    _describe(v.result.result.verdict),
                )
            if v.state is OutboxState.EXPIRED:
                m.send("expired")

    # -- steps ------------------------------------------------------------------------------

    def _timeouts(self, step: _Step) -> None:
        for request_id in sorted(step.pending):
            record = step.pending[request_id].record
            if record.response_deadline < step.at:
                self._decide(step, record.request_id, record.root_hash, record, Timeout())

    async def _own_error(self, step: _Step, event: DeliverError) -> None:
        parsed = parse_verdict_message_id(event.message_id)
        if parsed is None:
            if not event.message_id.startswith("time-proof-"):
                log.warning("send %s refused: %s", event.message_id, event.reason.message)
            return
        request_id, attempt = parsed
        if event.reason.code is DeliverErrorCode.DUPLICATE_MESSAGE_ID:
            return  # the first copy is sequenced or on its way
        current = await self.store.verdict(request_id)
        if current is None or current.attempt != attempt:
            return
        if current.state not in (OutboxState.PENDING, OutboxState.SENT):
            return
        if step.at >= current.max_sequencing_time:
            step.changes.outbox.append((request_id, OutboxState.EXPIRED, attempt))
            self.metrics.send("expired")
            log.warning("verdict %d expired: %s", request_id, event.reason.message)
            return
        retry = replace(current, attempt=attempt + 1, state=OutboxState.PENDING)
        step.changes.outbox.append((request_id, OutboxState.PENDING, retry.attempt))
        step.to_send.append(retry)
        self.metrics.send("retried")
        log.warning(
            "verdict %d not delivered (%s); attempt %d",
            request_id,
            event.reason.message,
            retry.attempt,
        )

    def _own_receipt(self, step: _Step, event: Deliver) -> None:
        parsed = parse_verdict_message_id(event.message_id or "")
        if parsed is None:
            return
        request_id, attempt = parsed
        step.changes.outbox.append((request_id, OutboxState.SEQUENCED, attempt))
        self.metrics.send("sequenced")

    async def _request(self, step: _Step, event: Deliver, delivered: Delivered) -> None:
        request_id = RequestId(event.timestamp)
        outcome = check_request(
            event,
            delivered,
            domain=self.domain,
            mediator=self.mediator,
            topology=self.topology(event.timestamp),
        )
        if isinstance(outcome, NotOurs):
            log.warning(
                "request at %d from %s ignored: %s", request_id, event.sender, outcome.reason
            )
            return
        informee = (
            delivered.informee_messages[0].to_bytes()
            if len(delivered.informee_messages) == 1
            else None
        )
        if isinstance(outcome, RequestRecord):
            earlier = await self.store.request_for_root(outcome.root_hash)
            if earlier is not None:
                malformed = MediatorRejectCode.MALFORMED_REQUEST
                outcome = RequestRejection(
                    outcome.root_hash,
                    outcome.informee_participants,
                    MediatorReject(malformed, public_reason(malformed)),
                    f"duplicate of request {earlier} (same root hash)",
                )
        if isinstance(outcome, RequestRejection):
            log.warning(
                "request %d from %s rejected: %s %s",
                request_id,
                event.sender,
                outcome.verdict.code.name,
                outcome.detail,
            )
            step.changes.requests.append(
                NewRequest(request_id, outcome.root_hash, event.sender, None, informee)
            )
            self._decide(
                step, request_id, outcome.root_hash, None, outcome.verdict, outcome.recipients
            )
            return
        step.changes.requests.append(
            NewRequest(request_id, outcome.root_hash, outcome.submitter, outcome, informee)
        )
        step.pending[request_id] = PendingRequest(outcome)

    def _malformed_responses(self, step: _Step, event: Deliver, delivered: Delivered) -> None:
        for reason in delivered.malformed:
            step.add_response(None, event.sender, ResponseStatus.MALFORMED, reason, None, None)

    async def _responses(self, step: _Step, event: Deliver, delivered: Delivered) -> None:
        for signed in delivered.responses:
            response = signed.response
            request_id = response.request_id
            message = signed.to_bytes()
            pending = step.pending.get(request_id)
            if pending is None:
                known = await self.store.request(request_id)
                decided = known is not None or step.decided(request_id)
                status = (
                    ResponseStatus.AFTER_DECISION if decided else ResponseStatus.UNKNOWN_REQUEST
                )
                reason = "the request is already decided" if decided else "no such request"
                step.add_response(request_id, event.sender, status, reason, None, message)
                continue
            outcome = check_response(
                signed,
                sender=event.sender,
                at=event.timestamp,
                domain=self.domain,
                record=pending.record,
                decided=False,
                topology=self.topology(pending.record.request_id),
                earlier=pending.votes,
            )
            if isinstance(outcome, IgnoredResponse):
                step.add_response(
                    request_id, event.sender, outcome.status, outcome.reason, None, message
                )
                continue
            step.add_response(
                request_id, event.sender, ResponseStatus.ACCEPTED, "", outcome, message
            )
            votes = (*pending.votes, outcome)
            step.pending[request_id] = PendingRequest(pending.record, votes)
            verdict = decide(pending.record, votes)
            if verdict is not None:
                record = pending.record
                self._decide(step, request_id, record.root_hash, record, verdict)

    # -- deciding ---------------------------------------------------------------------------

    def _decide(  # noqa: PLR0917 (the decision's parts)
        self,
        step: _Step,
        request_id: RequestId,
        root_hash: RootHash,
        record: RequestRecord | None,
        verdict: Verdict,
        recipients: frozenset[MemberId] | None = None,
    ) -> None:
        """Sign ``verdict`` and stage it with its recipients (informee participants active
        now); a verdict past its decision deadline is stored as expired, never sent."""
        step.pending.pop(request_id, None)
        if recipients is None:
            recipients = record.informee_participants if record is not None else frozenset()
        now = self.topology(step.at)
        active = frozenset(m for m in recipients if now.is_active(m))
        result = SignedConfirmationResult.sign(
            ConfirmationResult(self.domain, request_id, root_hash, self.mediator, verdict),
            self.signing_key,
        )
        if record is not None:
            max_time = record.decision_deadline
        else:
            params = now.domain_parameters()
            reaction = 0 if params is None else params.mediator_reaction_timeout
            max_time = Timestamp(step.at + reaction)
        state = OutboxState.PENDING
        if step.at >= max_time or not active:
            state = OutboxState.EXPIRED
        outgoing = OutgoingVerdict(request_id, result, active, max_time, 0, state)
        step.changes.decisions.append(Decision(outgoing, verdict_kind(verdict), step.at))
        if state is OutboxState.PENDING:
            step.to_send.append(outgoing)


class _Step:
    """The working state of one event: changes to commit, pending requests after it."""

    def __init__(self, at: Timestamp, pending: dict[RequestId, PendingRequest]) -> None:
        self.at = at
        self.pending = pending
        self.changes = EventChanges(at)
        self.to_send: list[OutgoingVerdict] = []

    def decided(self, request_id: RequestId) -> bool:
        return any(d.verdict.request_id == request_id for d in self.changes.decisions)

    def add_response(  # noqa: PLR0917 (one row's columns)
        self,
        request_id: RequestId | None,
        sender: MemberId,
        status: ResponseStatus,
        reason: str,
        vote: Vote | None,
        message: bytes | None,
    ) -> None:
        index = len(self.changes.responses)
        self.changes.responses.append(
            ReceivedResponse(index, request_id, sender, status, reason, vote, message)
        )


def _describe(verdict: Verdict) -> str:
    if isinstance(verdict, Reject):
        return "; ".join(
            f"{r.participant} {r.reject.code.name}: {r.reject.reason}" for r in verdict.reasons
        )
    if isinstance(verdict, MediatorReject):
        return f"{verdict.code.name}: {verdict.reason}"
    return type(verdict).__name__
