"""``TransactionProcessor``: the participant's side of the confirmation protocol.

The node calls :meth:`~TransactionProcessor.handle` for every sequenced event (in
counter order, at least once) and :meth:`~TransactionProcessor.submit` for every
command; the processor sends through an injected :class:`~participant.protocol.Sender`.

Per event at sequencing time ``t``:

1. **Replay.** ``t`` at or before the store's cursor: the event's changes are committed
   already; nothing happens (the runtime delivers at least once).
2. **Commitment period** (``commitment_exchange``). If ``t`` is past the next period end,
   the commitments for it are computed from the ACS as it was (before this event) and
   queued for sending.
3. **Deadlines.** Every pending request whose decision deadline is before ``t`` is rolled
   back (no verdict can be sequenced any more), and every own submission not sequenced
   by its max sequencing time is completed ``NOT_SEQUENCED``.
4. **Own receipts and errors.** A receipt marks the submission sequenced (request id =
   ``t``) and outbox messages delivered; a ``DeliverError`` completes the submission.
5. **Requests** (``delivery`` sorts the batch, ``confirmer`` checks): views checked, locks
   taken, responses queued.
6. **Verdicts** (``verdicts``): signature checked against the mediator the request
   names; ``Approve`` commits (ACS, event log with the next offset, the submitter's
   completion); anything else rolls back with the typed reason.
7. **Commitments received** (``commitment_exchange``): compared; a mismatch is raised
   loudly.

Everything an event changes is written in one store transaction with the cursor; then the
in-memory mirror follows (``event_step`` holds what it needs) and queued messages are sent
(``sending``; their bytes are in the outbox, so a crash between commit and send resends
them at recovery under the same message ids). At start, ``recovery`` reloads that mirror;
a command is deduplicated (``dedup``) before it is built (``submitter``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from node_runtime import crash_points
from node_runtime.crash_points import CrashPoint
from participant.engine import Engine, PackageId, PackageStore, PartyId
from participant.errors import ActionDecodeError
from participant.protocol.acs import ActiveContracts
from participant.protocol.commitment_exchange import (
    close_period,
    commitment_problem,
    received_commitment,
)
from participant.protocol.commitments import EMPTY_COMMITMENT, CommitmentTracker
from participant.protocol.confirmer import RequestMessages, check_request
from participant.protocol.dedup import check_dedup_period, check_not_duplicate
from participant.protocol.delivery import confirmation_responses, sort_batch
from participant.protocol.event_step import EventStep, draft
from participant.protocol.recovery import recover
from participant.protocol.rejections import MAX_KEPT_REJECTIONS, LocalRejection, recent_rejections
from participant.protocol.request import PendingRequest, effects, update_id_of
from participant.protocol.sending import send_all
from participant.protocol.submitter import build_submission, message_id_for
from participant.protocol.types import (
    ProcessorConfig,
    Sender,
    SubmissionCommand,
    SubmissionHandle,
    TopologySource,
    VettingMode,
)
from participant.protocol.verdicts import completion_status, new_commit, verdict_problem
from participant.store import (
    CommitmentMismatch,
    CompletionCode,
    CompletionStatus,
    EventChanges,
    InFlightSubmission,
    OutboxEntry,
    ParticipantStore,
    PendingRequestRow,
    RequestState,
    SubmissionState,
    change_id,
)
from participant.store.types import COMPLETION_OK, Offset
from protocol.canonical import encode
from protocol.crypto.encryption import EncryptionPrivateKey
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId
from protocol.sequencer_messages import Batch, Deliver, DeliverError, Envelope, SequencedEvent
from protocol.timestamp import Timestamp, add_micros
from protocol.transaction import Approve, SignedAcsCommitment, SignedConfirmationResult

__all__ = ["MAX_KEPT_REJECTIONS", "TransactionProcessor", "completion_status"]

log = logging.getLogger(__name__)


def _wall_clock() -> Timestamp:
    return Timestamp(time.time_ns() // 1_000)


class TransactionProcessor:
    """See the module docstring. Call :meth:`recover` once before anything else."""

    def __init__(
        self,
        *,
        participant: MemberId,
        domain: DomainId,
        signing_key: SigningPrivateKey,
        encryption_key: EncryptionPrivateKey,
        store: ParticipantStore,
        engine: Engine,
        topology: TopologySource,
        send: Sender,
        config: ProcessorConfig | None = None,
        clock: Callable[[], Timestamp] | None = None,
        packages: PackageStore | None = None,
        on_mismatch: Callable[[CommitmentMismatch], None] | None = None,
    ) -> None:
        self.participant = participant
        self.domain = domain
        self.signing_key = signing_key
        self.encryption_key = encryption_key
        self.store = store
        self.engine = engine
        self.topology = topology
        self.send = send
        self.config = config or ProcessorConfig()
        self.clock = clock or _wall_clock
        self.packages = packages
        self.on_mismatch = on_mismatch
        self.acs = ActiveContracts()
        self.commitments = CommitmentTracker(participant)
        self._pending: dict[Timestamp, PendingRequest] = {}
        self._submissions: dict[str, InFlightSubmission] = {}
        self.rejections: deque[LocalRejection] = recent_rejections()
        """The latest rejections this participant made, with their local detail (what
        the responses, public on the chain, leave out: ``rejections.py``). Oldest first,
        in memory only; the WARNING log has every one."""
        self._lock = asyncio.Lock()
        """Serialises event handling with the state a submission reads."""

    # -- recovery -------------------------------------------------------------------------

    async def recover(self) -> None:
        """Load the ACS, pending requests and submissions from the store, and resend every
        message still in the outbox (``recovery``)."""
        state = await recover(self.store, self.participant)
        self.acs = state.acs
        self.commitments = state.commitments
        self._pending = state.pending
        self._submissions = state.submissions
        await self._send_all(state.to_resend)

    @property
    def pending(self) -> dict[Timestamp, PendingRequest]:
        return dict(self._pending)

    @property
    def in_flight(self) -> dict[str, InFlightSubmission]:
        return dict(self._submissions)

    def next_deadline(self) -> Timestamp | None:
        """The earliest time at which something here times out: a pending request's
        decision deadline or an unsequenced submission's max sequencing time. Time moves
        only with this participant's own events, so once sequencer time may have passed it
        without traffic, the node should ask for a time proof (``MemberConnection.
        time_proof``) and hand the resulting event to :meth:`handle`."""
        times = [r.deadline for r in self._pending.values()]
        times += [
            s.max_sequencing_time
            for s in self._submissions.values()
            if s.state is SubmissionState.IN_FLIGHT
        ]
        return min(times) if times else None

    async def mismatches(self) -> list[CommitmentMismatch]:
        """Every ACS commitment mismatch found so far (for the node / Ledger API)."""
        return await self.store.mismatches()

    # -- topology helpers -----------------------------------------------------------------

    def _vetted(self, snapshot_at: Timestamp) -> frozenset[PackageId]:
        if self.config.vetting is VettingMode.LOCAL:
            if self.packages is None:
                return frozenset()
            return frozenset(p.package_id for p in self.packages.list())
        return frozenset(
            PackageId(p)
            for p in self.topology.snapshot_at(snapshot_at).vetted_packages(self.participant)
        )

    # -- submission -----------------------------------------------------------------------

    async def submit(self, command: SubmissionCommand) -> SubmissionHandle:
        """Deduplicate (``dedup``), interpret, build and send a command's confirmation
        request.

        Returns once the request is recorded and handed to the sequencer. Raises
        :class:`DuplicateCommandError`, :class:`InvalidDeduplicationPeriodError`, the
        engine's ``EngineError``, or a :class:`~participant.errors.SubmissionError` (with
        ``vetting = topology``: ``PackageNotVettedByRecipientsError`` when an informee
        participant has not vetted a package the transaction uses, at the snapshot the
        submission uses). Every later outcome is a completion.
        """
        change = change_id(frozenset(command.act_as), command.application_id, command.command_id)
        longest = self.config.max_dedup_duration
        check_dedup_period(command.dedup, longest=longest, ledger_end=await self.store.ledger_end())
        async with self._lock:
            now = self.clock()
            check_not_duplicate(
                change,
                command,
                in_flight=self._submissions.values(),
                last=await self.store.dedup_entry(change),
                now=now,
                longest=longest,
            )
            snapshot = self.topology.snapshot_at(now)
            max_time = add_micros(now, self.config.max_sequencing_delay)
            built = build_submission(
                command,
                me=self.participant,
                domain=self.domain,
                signing_key=self.signing_key,
                engine=self.engine,
                acs=self.acs,
                snapshot=snapshot,
                vetted=self._vetted(now),
                ledger_time=now,
                max_sequencing_time=max_time,
                recipients_vetted=(
                    snapshot.vetted_packages
                    if self.config.vetting is VettingMode.TOPOLOGY
                    else None
                ),
            )
            message_id = message_id_for(built.root_hash)
            submission = InFlightSubmission(
                message_id,
                change,
                command.submission_id,
                command.application_id,
                command.command_id,
                tuple(command.act_as),
                built.root_hash.digest,
                max_time,
                built.submission_seed,
                built.transaction_seed,
            )
            entry = OutboxEntry(message_id, built.batch_bytes(), max_time)
            await self.store.add_submission(submission, entry)
            self._submissions[message_id] = submission
        log.info(
            "submission %s (command %s) sent as %s to mediator %s",
            command.submission_id,
            command.command_id,
            message_id,
            built.mediator,
        )
        await self._send_all([entry], refused=self._refused)
        crash_points.reached(CrashPoint.PARTICIPANT_REQUEST_SENT)
        return SubmissionHandle(
            message_id,
            built.root_hash.to_multihash(),
            update_id_of(built.root_hash),
            max_time,
            tuple(built.transaction.created_contracts),
        )

    async def _refused(self, entry: OutboxEntry, detail: str) -> None:
        """A send the sequencer refused outright: the request is never sequenced."""
        sub = self._submissions.get(entry.message_id)
        if sub is None:
            return
        completion = draft(
            sub, CompletionStatus(CompletionCode.SEQUENCER_REFUSED, detail), self.clock()
        )
        async with self._lock:
            if await self.store.complete_unsequenced(completion) is not None:
                self._submissions.pop(entry.message_id, None)

    async def _send_all(
        self,
        entries: list[OutboxEntry],
        refused: Callable[[OutboxEntry, str], object] | None = None,
    ) -> None:
        await send_all(self.send, entries, timeout_s=self.config.send_timeout_s, refused=refused)

    # -- events ---------------------------------------------------------------------------

    async def on_time(self, t: Timestamp) -> None:
        """Sequencer time is known to have reached ``t`` (a handled event's timestamp or a
        time proof's). Every effect of time is applied in :meth:`handle` from the event
        timestamps themselves, so this only checks that nothing is left behind."""
        last = self.store.last_event_at
        if last is not None and t > last:
            log.debug("time %d is ahead of the last handled event %d", t, last)

    async def handle(self, event: SequencedEvent) -> None:
        """Process one sequenced event (module docstring). Never raises for bad input
        from the network; raises only if the store fails (the runtime then stops)."""
        async with self._lock:
            last = self.store.last_event_at
            if last is not None and event.timestamp <= last:
                log.debug("event at %d already applied (cursor %d)", event.timestamp, last)
                return
            at = Timestamp(event.timestamp)
            step = EventStep(at, EventChanges(at))
            self._period(step)
            self._deadlines(step)
            if isinstance(event, DeliverError):
                self._deliver_error(step, event)
            else:
                await self._deliver(step, event)
            offsets = await self.store.apply(step.changes)
            self._after_commit(step, offsets)
        await self._send_all(step.to_send)
        if step.responded:
            crash_points.reached(CrashPoint.PARTICIPANT_RESPONSE_SENT)

    def _after_commit(self, step: EventStep, offsets: list[Offset]) -> None:
        for request in step.new:
            self._pending[request.request_id] = request
            self.acs.lock(request.locks, request.request_id)
            self.acs.lock_keys(request.key_locks, request.request_id)
        for request in step.finished:
            self._pending.pop(request.request_id, None)
            self.acs.release(request.request_id)
        for _request, commit in step.committed:
            for cid in commit.archived:
                found = self.acs.get(cid)
                if found is not None:
                    self.commitments.remove(*found)
                self.acs.archive(cid)
            for created in commit.created:
                self.acs.add(created.instance, created.instance_bytes)
                self.commitments.add(created.instance, created.instance_bytes)
            log.info(
                "request %d committed as %s (%d created, %d archived)",
                commit.request_id,
                commit.update_id,
                len(commit.created),
                len(commit.archived),
            )
        for message_id in step.done_submissions:
            self._submissions.pop(message_id, None)
        for message_id, request_id in step.changes.sequenced_submissions:
            sub = self._submissions.get(message_id)
            if sub is not None:
                self._submissions[message_id] = replace(
                    sub, state=SubmissionState.SEQUENCED, request_id=request_id
                )
        for mismatch in step.changes.mismatches:
            if self.on_mismatch is not None:
                self.on_mismatch(mismatch)
        del offsets

    # -- step parts -----------------------------------------------------------------------

    def _period(self, step: EventStep) -> None:
        closed = close_period(
            step.at,
            period=self.config.commitment_period,
            last_end=self.store.commitment_period_end,
            tracker=self.commitments,
            acs_size=len(self.acs),
            snapshot_at=self.topology.snapshot_at,
            domain=self.domain,
            me=self.participant,
            signing_key=self.signing_key,
        )
        if closed is None:
            return
        step.changes.commitment_period_end = closed.end
        for out in closed.outgoing:
            step.changes.commitments_sent.append(out.sent)
            envelope = Envelope.of(out.signed.to_bytes(), {out.sent.counterparty})
            self._queue(step, out.message_id, [envelope])
        if closed.counterparties is not None:
            step.changes.commitment_counterparties = closed.counterparties

    def _queue(self, step: EventStep, message_id: str, envelopes: list[Envelope]) -> None:
        params = self.topology.snapshot_at(step.at).domain_parameters()
        horizon = 60_000_000 if params is None else params.participant_response_timeout
        entry = OutboxEntry(
            message_id, encode(Batch(tuple(envelopes)).write), add_micros(step.at, horizon)
        )
        step.changes.outbox_add.append(entry)
        step.to_send.append(entry)

    def _deadlines(self, step: EventStep) -> None:
        for request_id in sorted(self._pending):
            request = self._pending[request_id]
            if request.deadline < step.at:
                log.warning("request %d timed out without a verdict: rolled back", request_id)
                self._rollback(step, request, CompletionStatus(
                    CompletionCode.TIMED_OUT, "no verdict by the decision deadline"
                ))  # fmt: skip
        for sub in list(self._submissions.values()):
            if sub.state is SubmissionState.IN_FLIGHT and sub.max_sequencing_time < step.at:
                status = CompletionStatus(
                    CompletionCode.NOT_SEQUENCED, "not sequenced by its max sequencing time"
                )
                step.changes.published.append(draft(sub, status, step.at))
                step.changes.outbox_done.append(sub.message_id)
                step.done_submissions.append(sub.message_id)

    def _deliver_error(self, step: EventStep, event: DeliverError) -> None:
        message_id = str(event.message_id)
        step.changes.outbox_done.append(message_id)
        sub = self._submissions.get(message_id)
        if sub is None:
            return
        status = CompletionStatus(
            CompletionCode.SEQUENCER_REFUSED,
            f"{event.reason.code.name}: {event.reason.message}",
        )
        completion = step.complete(sub, status)
        if completion is not None:
            step.changes.published.append(completion)

    async def _deliver(self, step: EventStep, event: Deliver) -> None:
        if event.sender == self.participant and event.message_id is not None:
            step.changes.outbox_done.append(str(event.message_id))
            sub = self._submissions.get(str(event.message_id))
            if sub is not None and sub.message_id not in step.done_submissions:
                step.changes.sequenced_submissions.append((sub.message_id, step.at))
        batch = sort_batch(event)
        if batch.request is not None:
            self._request(step, event, batch.request)
        for result in batch.results:
            self._verdict(step, event, result)
        for signed in batch.commitments:
            await self._commitment(step, event, signed)

    def _request(self, step: EventStep, event: Deliver, messages: RequestMessages) -> None:
        snapshot = self.topology.snapshot_at(step.at)
        try:
            checked = check_request(
                event,
                messages,
                me=self.participant,
                domain=self.domain,
                encryption_key=self.encryption_key,
                snapshot=snapshot,
                acs=self.acs,
                engine=self.engine,
                vetted=self._vetted(step.at),
            )
        except Exception:
            log.exception("request at %d from %s could not be checked", step.at, event.sender)
            return
        if checked is None:
            return
        self.rejections.extend(v.rejection for v in checked.verdicts if v.rejection is not None)
        request = checked.request
        if any(r.root_hash == request.root_hash for r in self._pending.values()):
            log.warning("request at %d repeats a pending root hash; ignored", step.at)
            return
        # locks taken by requests earlier in this same event's step are already in self.acs
        step.new.append(request)
        step.changes.new_requests.append(
            PendingRequestRow(
                request.request_id,
                request.root_hash.digest,
                request.submitter,
                request.deadline,
                request.encode_record(),
                request.locks,
                request.key_locks,
            )
        )
        self.acs.lock(request.locks, request.request_id)
        self.acs.lock_keys(request.key_locks, request.request_id)
        if not checked.verdicts:
            return
        envelopes = confirmation_responses(
            checked,
            snapshot=snapshot,
            domain=self.domain,
            me=self.participant,
            signing_key=self.signing_key,
        )
        if envelopes is None:
            log.warning("request %d: no mediator to answer", step.at)
            return
        self._queue(step, f"resp-{step.at}", envelopes)
        step.responded = True

    def _verdict(self, step: EventStep, event: Deliver, signed: SignedConfirmationResult) -> None:
        result = signed.result
        request = self._pending.get(Timestamp(result.request_id))
        if request is None:
            log.info("verdict for request %d, which is not pending here", result.request_id)
            return
        problem = verdict_problem(
            signed,
            request,
            sender=event.sender,
            domain=self.domain,
            mediator_key=self.topology.snapshot_at(request.request_id).signing_key(result.mediator),
        )
        if problem is not None:
            log.warning("verdict for request %d ignored: %s", result.request_id, problem)
            return
        if isinstance(result.verdict, Approve):
            self._commit(step, request)
        else:
            self._rollback(step, request, completion_status(result.verdict))

    def _own_submission(self, request: PendingRequest) -> InFlightSubmission | None:
        for sub in self._submissions.values():
            if sub.root_hash == request.root_hash.digest and (
                sub.request_id in (None, request.request_id)
            ):
                return sub
        return None

    def _rollback(self, step: EventStep, request: PendingRequest, status: CompletionStatus) -> None:
        if request in step.finished:
            return
        step.finished.append(request)
        step.changes.finished_requests.append((request.request_id, RequestState.ROLLED_BACK))
        sub = self._own_submission(request)
        completion = None if sub is None else step.complete(sub, status)
        if completion is not None:
            step.changes.published.append(completion)
        log.info("request %d rolled back: %s", request.request_id, status.message)

    def _commit(self, step: EventStep, request: PendingRequest) -> None:
        step.finished.append(request)
        step.changes.finished_requests.append((request.request_id, RequestState.COMMITTED))
        tree = request.any_view
        if tree is None:
            log.warning("request %d approved but no view is held here", request.request_id)
            return
        try:
            projection = request.projection()
        except ActionDecodeError as exc:
            log.error("request %d approved but not projectable here: %s", request.request_id, exc)
            return
        hosted = frozenset(self.topology.snapshot_at(request.request_id).parties_hosted_by(
            self.participant
        ))  # fmt: skip
        fx = effects(projection, frozenset(PartyId(p) for p in hosted), lambda cid: cid in self.acs)
        sub = self._own_submission(request)
        completion = None if sub is None else step.complete(sub, COMPLETION_OK)
        commit = new_commit(
            request, tree, projection, fx, at=step.at, own=sub is not None, completion=completion
        )
        step.changes.published.append(commit)
        step.committed.append((request, commit))

    async def _commitment(
        self, step: EventStep, event: Deliver, signed: SignedAcsCommitment
    ) -> None:
        c = signed.commitment
        problem = commitment_problem(
            signed,
            sender=event.sender,
            domain=self.domain,
            me=self.participant,
            sender_key=self.topology.snapshot_at(step.at).signing_key(c.sender),
        )
        if problem is not None:
            log.warning("ACS commitment ignored: %s", problem)
            return
        # Ours for the period of ours that contains their period end: we may not have
        # closed that end ourselves (no event of ours fell between it and the next one),
        # and then our ACS at it was the one we committed to at the end of that period.
        ours_row = next(
            (s for s in step.changes.commitments_sent
             if s.counterparty == c.sender and s.from_time < c.to_time <= s.to_time),
            None,
        )  # fmt: skip
        if ours_row is not None:
            ours, ids = ours_row.commitment, ours_row.contract_ids
        else:
            stored = await self.store.commitment_covering(c.sender, c.to_time)
            if stored is not None:
                ours, ids = stored[2], stored[3]
            else:  # nothing shared with the sender in the period containing their end
                ours, ids = EMPTY_COMMITMENT.digest, ()
        received, mismatch = received_commitment(signed, ours=ours, ids=ids, at=step.at)
        step.changes.commitments_received.append(received)
        if mismatch is not None:
            step.changes.mismatches.append(mismatch)
