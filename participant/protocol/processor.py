"""``TransactionProcessor``: the participant's side of the confirmation protocol.

The node calls :meth:`~TransactionProcessor.handle` for every sequenced event (in
counter order, at least once) and :meth:`~TransactionProcessor.submit` for every
command; the processor sends through an injected :class:`~participant.protocol.Sender`.

Per event at sequencing time ``t``:

1. **Replay.** ``t`` at or before the store's cursor: the event's changes are committed
   already; nothing happens (the runtime delivers at least once).
2. **Commitment period.** If ``t`` is past the next period end, the commitments for it
   are computed from the ACS as it was (before this event) and queued for sending.
3. **Deadlines.** Every pending request whose decision deadline is before ``t`` is rolled
   back (no verdict can be sequenced any more), and every own submission not sequenced
   by its max sequencing time is completed ``NOT_SEQUENCED``.
4. **Own receipts and errors.** A receipt marks the submission sequenced (request id =
   ``t``) and outbox messages delivered; a ``DeliverError`` completes the submission.
5. **Requests** (``confirmer``): views checked, locks taken, responses queued.
6. **Verdicts**: signature checked against the mediator the request names; ``Approve``
   commits (ACS, event log with the next offset, the submitter's completion); anything
   else rolls back with the typed reason.
7. **Commitments received**: compared; a mismatch is raised loudly.

Everything an event changes is written in one store transaction with the cursor; then the
in-memory mirror follows and queued messages are sent (their bytes are in the outbox, so
a crash between commit and send resends them at recovery under the same message ids).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from node_runtime import crash_points
from node_runtime.crash_points import CrashPoint
from node_runtime.member.errors import SendRefusedError
from participant.engine import Engine, PackageId, PackageStore, PartyId, TemplateId
from participant.errors import (
    ActionDecodeError,
    DuplicateCommandError,
    InvalidDeduplicationPeriodError,
)
from participant.protocol.acs import ActiveContracts
from participant.protocol.actions import instance_from_bytes
from participant.protocol.commitments import (
    EMPTY_COMMITMENT,
    CommitmentTracker,
    period_end_before,
)
from participant.protocol.confirmer import RequestMessages, check_request, signature_problem
from participant.protocol.rejections import LocalRejection
from participant.protocol.request import PendingRequest, effects, update_id_of
from participant.protocol.submitter import build_submission, message_id_for
from participant.protocol.types import (
    ProcessorConfig,
    Sender,
    SubmissionCommand,
    SubmissionHandle,
    TopologySource,
    VettingMode,
)
from participant.store import (
    CommitmentMismatch,
    CompletionCode,
    CompletionDraft,
    CompletionStatus,
    EventChanges,
    InFlightSubmission,
    NewCommit,
    OutboxEntry,
    ParticipantStore,
    PendingRequestRow,
    ReceivedCommitment,
    RequestState,
    SentCommitment,
    SubmissionState,
    change_id,
)
from participant.store.types import COMPLETION_OK, DedupDuration, DedupOffset, Offset, UpdateId
from protocol.canonical import decode, encode
from protocol.crypto.encryption import EncryptionPrivateKey
from protocol.crypto.hashing import Hash
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId
from protocol.sequencer_messages import Batch, Deliver, DeliverError, Envelope, SequencedEvent
from protocol.timestamp import Timestamp, add_micros
from protocol.topology import is_topology_payload
from protocol.transaction import (
    AcsCommitment,
    Approve,
    ConfirmationResponse,
    EncryptedViewMessage,
    LocalReject,
    LocalRejectCode,
    MalformedTransactionMessageError,
    MediatorReject,
    Reject,
    RequestId,
    RootHashMessage,
    SignedAcsCommitment,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    Timeout,
    Verdict,
    decode_protocol_message,
)

log = logging.getLogger(__name__)

MAX_KEPT_REJECTIONS = 1_024
"""How many local rejections :attr:`TransactionProcessor.rejections` keeps."""

_LOCAL_CODES: dict[LocalRejectCode, CompletionCode] = {
    LocalRejectCode.CONTRACT_NOT_ACTIVE: CompletionCode.INCONSISTENT_CONTRACTS,
    LocalRejectCode.CONTRACT_LOCKED: CompletionCode.LOCKED_CONTRACTS,
    LocalRejectCode.KEY_CONFLICT: CompletionCode.INCONSISTENT_CONTRACT_KEY,
    LocalRejectCode.AUTHORIZATION: CompletionCode.DAML_AUTHORIZATION_ERROR,
    LocalRejectCode.PACKAGE_NOT_VETTED: CompletionCode.PACKAGE_NOT_VETTED,
}


def completion_status(verdict: Verdict) -> CompletionStatus:
    """The completion status of a non-approving verdict: the Ledger API code of the first
    rejection and the codes and public reasons the verdict carries (never the rejecting
    participant's local detail, which only it has)."""
    if isinstance(verdict, Reject):
        first = (
            verdict.reasons[0].reject
            if verdict.reasons
            else LocalReject(LocalRejectCode.MALFORMED, "no reason given")
        )
        code = _LOCAL_CODES.get(first.code, CompletionCode.REJECTED)
        context = tuple(
            (f"reject.{i}", f"{r.participant} {r.reject.code.name}: {r.reject.reason}")
            for i, r in enumerate(verdict.reasons)
        )
        return CompletionStatus(code, f"{first.code.name}: {first.reason}", context)
    if isinstance(verdict, MediatorReject):
        return CompletionStatus(
            CompletionCode.MEDIATOR_REJECTED,
            f"{verdict.code.name}: {verdict.reason}",
            (("mediator_code", verdict.code.name),),
        )
    if isinstance(verdict, Timeout):
        return CompletionStatus(CompletionCode.TIMED_OUT, "the mediator decided Timeout")
    return COMPLETION_OK


def _wall_clock() -> Timestamp:
    return Timestamp(time.time_ns() // 1_000)


@dataclass
class _Step:
    """The working state of one event."""

    at: Timestamp
    changes: EventChanges
    to_send: list[OutboxEntry] = field(default_factory=list)
    finished: list[PendingRequest] = field(default_factory=list)
    committed: list[tuple[PendingRequest, NewCommit]] = field(default_factory=list)
    new: list[PendingRequest] = field(default_factory=list)
    done_submissions: list[str] = field(default_factory=list)
    responded: bool = False
    """Confirmation responses are among ``to_send``."""


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
        self.rejections: deque[LocalRejection] = deque(maxlen=MAX_KEPT_REJECTIONS)
        """The latest rejections this participant made, with their local detail (what
        the responses, public on the chain, leave out: ``rejections.py``). Oldest first,
        in memory only; the WARNING log has every one."""
        self._lock = asyncio.Lock()
        """Serialises event handling with the state a submission reads."""

    # -- recovery -------------------------------------------------------------------------

    async def recover(self) -> None:
        """Load the ACS, pending requests and submissions from the store, and resend every
        message still in the outbox."""
        self.acs = ActiveContracts()
        self.commitments = CommitmentTracker(self.participant)
        for data, _node in await self.store.active_instances():
            instance = instance_from_bytes(data)
            self.acs.add(instance, data)
            self.commitments.add(instance, data)
        self.commitments.last_counterparties = await self.store.commitment_counterparties()
        self._pending = {}
        for row in await self.store.pending_requests():
            request = PendingRequest.decode_record(
                row.request_id, row.deadline, row.locks, row.record, row.key_locks
            )
            self._pending[row.request_id] = request
            self.acs.lock(row.locks, row.request_id)
            self.acs.lock_keys(row.key_locks, row.request_id)
        self._submissions = {s.message_id: s for s in await self.store.submissions()}
        outbox = await self.store.outbox()
        if self._pending or self._submissions or outbox:
            log.info(
                "recovered %d active contracts, %d pending requests, %d submissions, "
                "%d messages to resend",
                len(self.acs),
                len(self._pending),
                len(self._submissions),
                len(outbox),
            )
        last = self.store.last_event_at
        await self._send_all([e for e in outbox if last is None or e.max_sequencing_time > last])

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
        """Deduplicate, interpret, build and send a command's confirmation request.

        Returns once the request is recorded and handed to the sequencer. Raises
        :class:`DuplicateCommandError`, :class:`InvalidDeduplicationPeriodError`, the
        engine's ``EngineError``, or a :class:`~participant.errors.SubmissionError` (with
        ``vetting = topology``: ``PackageNotVettedByRecipientsError`` when an informee
        participant has not vetted a package the transaction uses, at the snapshot the
        submission uses). Every later outcome is a completion.
        """
        change = change_id(frozenset(command.act_as), command.application_id, command.command_id)
        await self._check_dedup_period(command.dedup)
        async with self._lock:
            for sub in self._submissions.values():
                if sub.change_id == change:
                    raise DuplicateCommandError(
                        change,
                        command.command_id,
                        existing_submission_id=sub.submission_id,
                        completion_offset=None,
                    )
            now = self.clock()
            last = await self.store.dedup_entry(change)
            if last is not None:
                period = command.dedup or DedupDuration(self.config.max_dedup_duration)
                duplicate = (
                    last.offset > period.offset
                    if isinstance(period, DedupOffset)
                    else last.record_time > now - period.micros
                )
                if duplicate:
                    raise DuplicateCommandError(
                        change,
                        command.command_id,
                        existing_submission_id=last.submission_id,
                        completion_offset=last.offset,
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

    async def _check_dedup_period(self, period: DedupDuration | DedupOffset | None) -> None:
        """Daml's rule: a period the participant cannot check is refused, not shortened.
        An offset after the ledger end names no point of this ledger; a duration above
        ``max_dedup_duration`` reaches back further than the participant promises to
        remember. (Nothing is pruned, so every offset up to the end can be checked.)"""
        longest = self.config.max_dedup_duration
        if isinstance(period, DedupDuration) and period.micros > longest:
            raise InvalidDeduplicationPeriodError(
                f"the duration {period.micros} µs exceeds the maximum {longest} µs",
                longest_duration_us=longest,
            )
        if isinstance(period, DedupOffset):
            end = await self.store.ledger_end()
            if period.offset > end:
                raise InvalidDeduplicationPeriodError(
                    f"the offset {period.offset} is after the ledger end {end}", ledger_end=end
                )

    async def _refused(self, entry: OutboxEntry, detail: str) -> None:
        """A send the sequencer refused outright: the request is never sequenced."""
        sub = self._submissions.get(entry.message_id)
        if sub is None:
            return
        draft = self._draft(
            sub, CompletionStatus(CompletionCode.SEQUENCER_REFUSED, detail), self.clock()
        )
        async with self._lock:
            if await self.store.complete_unsequenced(draft) is not None:
                self._submissions.pop(entry.message_id, None)

    @staticmethod
    def _draft(
        sub: InFlightSubmission, status: CompletionStatus, record_time: Timestamp
    ) -> CompletionDraft:
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

    # -- sending --------------------------------------------------------------------------

    async def _send_all(
        self,
        entries: list[OutboxEntry],
        refused: Callable[[OutboxEntry, str], object] | None = None,
    ) -> None:
        for entry in entries:
            batch = decode(entry.envelopes, Batch.read, "outbox batch")
            try:
                async with asyncio.timeout(self.config.send_timeout_s):
                    await self.send(
                        batch.envelopes,
                        max_sequencing_time=entry.max_sequencing_time,
                        message_id=entry.message_id,
                    )
            except SendRefusedError as exc:
                log.warning("send %s refused: %s", entry.message_id, exc)
                if refused is not None:
                    result = refused(entry, str(exc))
                    if asyncio.iscoroutine(result):
                        await result
            except Exception as exc:  # the outbox keeps it: resent at recovery
                log.warning("send %s failed (will resend at recovery): %s", entry.message_id, exc)

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
            step = _Step(at, EventChanges(at))
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

    def _after_commit(self, step: _Step, offsets: list[Offset]) -> None:
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
                self._submissions[message_id] = InFlightSubmission(
                    **{
                        **{f: getattr(sub, f) for f in sub.__dataclass_fields__},
                        "state": SubmissionState.SEQUENCED,
                        "request_id": request_id,
                    }
                )
        for mismatch in step.changes.mismatches:
            if self.on_mismatch is not None:
                self.on_mismatch(mismatch)
        del offsets

    # -- step parts -----------------------------------------------------------------------

    def _period(self, step: _Step) -> None:
        period = self.config.commitment_period
        end = period_end_before(step.at, period)
        last = self.store.commitment_period_end
        if last is not None and end <= last:
            return
        step.changes.commitment_period_end = end
        if last is None and not len(self.acs):
            return
        start = last if last is not None and last < end else Timestamp(end - period)
        snapshot = self.topology.snapshot_at(end)
        for other, (commitment, ids) in self.commitments.compute(snapshot).items():
            message = AcsCommitment(self.domain, self.participant, other, start, end, commitment)
            signed = SignedAcsCommitment.sign(message, self.signing_key)
            step.changes.commitments_sent.append(
                SentCommitment(other, start, end, commitment.digest, ids)
            )
            message_id = f"acs-{end}-{other.split('::')[-1][:40]}-{abs(hash(other)) % 10**8}"
            self._queue(step, message_id, [Envelope.of(signed.to_bytes(), {other})])
        step.changes.commitment_counterparties = self.commitments.last_counterparties

    def _queue(self, step: _Step, message_id: str, envelopes: list[Envelope]) -> None:
        params = self.topology.snapshot_at(step.at).domain_parameters()
        horizon = 60_000_000 if params is None else params.participant_response_timeout
        entry = OutboxEntry(
            message_id, encode(Batch(tuple(envelopes)).write), add_micros(step.at, horizon)
        )
        step.changes.outbox_add.append(entry)
        step.to_send.append(entry)

    def _deadlines(self, step: _Step) -> None:
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
                step.changes.published.append(self._draft(sub, status, step.at))
                step.changes.outbox_done.append(sub.message_id)
                step.done_submissions.append(sub.message_id)

    def _deliver_error(self, step: _Step, event: DeliverError) -> None:
        message_id = str(event.message_id)
        step.changes.outbox_done.append(message_id)
        sub = self._submissions.get(message_id)
        if sub is None or message_id in step.done_submissions:
            return
        status = CompletionStatus(
            CompletionCode.SEQUENCER_REFUSED,
            f"{event.reason.code.name}: {event.reason.message}",
        )
        step.changes.published.append(self._draft(sub, status, step.at))
        step.done_submissions.append(message_id)

    async def _deliver(self, step: _Step, event: Deliver) -> None:
        if event.sender == self.participant and event.message_id is not None:
            step.changes.outbox_done.append(str(event.message_id))
            sub = self._submissions.get(str(event.message_id))
            if sub is not None and sub.message_id not in step.done_submissions:
                step.changes.sequenced_submissions.append((sub.message_id, step.at))
        root_hash_messages: list[tuple[RootHashMessage, frozenset[MemberId]]] = []
        views: list[EncryptedViewMessage] = []
        results: list[SignedConfirmationResult] = []
        commitments: list[SignedAcsCommitment] = []
        for envelope in event.batch.envelopes:
            if is_topology_payload(envelope.payload):
                continue  # the member runtime processed it before this event reached us
            try:
                message = decode_protocol_message(envelope.payload)
            except MalformedTransactionMessageError as exc:
                log.warning("malformed envelope from %s at %d: %s", event.sender, step.at, exc)
                continue
            if isinstance(message, RootHashMessage):
                root_hash_messages.append((message, frozenset(envelope.recipients)))
            elif isinstance(message, EncryptedViewMessage):
                views.append(message)
            elif isinstance(message, SignedConfirmationResult):
                results.append(message)
            elif isinstance(message, SignedAcsCommitment):
                commitments.append(message)
        if root_hash_messages or views:
            self._request(step, event, RequestMessages(tuple(root_hash_messages), tuple(views)))
        for result in results:
            self._verdict(step, event, result)
        for signed in commitments:
            await self._commitment(step, event, signed)

    def _request(self, step: _Step, event: Deliver, messages: RequestMessages) -> None:
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
        if checked.verdicts:
            mediator = checked.mediator
            if mediator is None:
                state = snapshot.mediator_state()
                mediator = state.mediators[0] if state is not None and state.mediators else None
            if mediator is None:
                log.warning("request %d: no mediator to answer", step.at)
                return
            envelopes = []
            for v in checked.verdicts:
                view_hash = None
                if v.position is not None:
                    view_hash = request.views[v.position].view_hash
                response = ConfirmationResponse(
                    self.domain,
                    RequestId(step.at),
                    self.participant,
                    v.position,
                    view_hash,
                    v.verdict,
                    frozenset(v.parties),
                    request.root_hash,
                )
                signed = SignedConfirmationResponse.sign(response, self.signing_key)
                envelopes.append(Envelope.of(signed.to_bytes(), {mediator}))
            self._queue(step, f"resp-{step.at}", envelopes)
            step.responded = True

    def _verdict(self, step: _Step, event: Deliver, signed: SignedConfirmationResult) -> None:
        result = signed.result
        request = self._pending.get(Timestamp(result.request_id))
        if request is None:
            log.info("verdict for request %d, which is not pending here", result.request_id)
            return
        tree = request.any_view
        named = tree.common_metadata.mediator if tree is not None else None
        problem = None
        if result.domain != self.domain:
            problem = f"for domain {result.domain}"
        elif event.sender != result.mediator:
            problem = f"sent by {event.sender}, signed as {result.mediator}"
        elif named is not None and result.mediator != named:
            problem = f"from {result.mediator}, the request names {named}"
        elif result.root_hash != request.root_hash:
            problem = "root hash differs from the request's"
        else:
            key = self.topology.snapshot_at(request.request_id).signing_key(result.mediator)
            problem = signature_problem(signed, key, result.mediator)
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

    def _rollback(self, step: _Step, request: PendingRequest, status: CompletionStatus) -> None:
        if request in step.finished:
            return
        step.finished.append(request)
        step.changes.finished_requests.append((request.request_id, RequestState.ROLLED_BACK))
        sub = self._own_submission(request)
        if sub is not None and sub.message_id not in step.done_submissions:
            step.changes.published.append(self._draft(sub, status, step.at))
            step.done_submissions.append(sub.message_id)
        log.info("request %d rolled back: %s", request.request_id, status.message)

    def _commit(self, step: _Step, request: PendingRequest) -> None:
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
        completion = None
        if sub is not None and sub.message_id not in step.done_submissions:
            completion = self._draft(sub, COMPLETION_OK, step.at)
            step.done_submissions.append(sub.message_id)
        submitter = tree.submitter_metadata
        commit = NewCommit(
            request_id=request.request_id,
            update_id=_update_id(request),
            record_time=step.at,
            ledger_time=tree.participant_metadata.ledger_time,
            transaction=projection.to_bytes(),
            command_id=submitter.command_id if sub is not None else "",
            workflow_id=tree.participant_metadata.workflow_id or "",
            act_as=tuple(sorted(PartyId(p) for p in submitter.act_as)),
            witnesses=fx.witnesses,
            templates=frozenset(TemplateId(t) for t in fx.templates),
            created=fx.created,
            archived=fx.archived,
            completion=completion,
        )
        step.changes.published.append(commit)
        step.committed.append((request, commit))

    async def _commitment(self, step: _Step, event: Deliver, signed: SignedAcsCommitment) -> None:
        c = signed.commitment
        problem = None
        if c.domain != self.domain:
            problem = f"for domain {c.domain}"
        elif c.counterparty != self.participant:
            problem = f"for {c.counterparty}"
        elif c.sender != event.sender:
            problem = f"sent by {event.sender}, names {c.sender}"
        else:
            key = self.topology.snapshot_at(step.at).signing_key(c.sender)
            problem = signature_problem(signed, key, c.sender)
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
        theirs = c.commitment.digest
        matched = ours == theirs
        step.changes.commitments_received.append(
            ReceivedCommitment(c.sender, c.from_time, c.to_time, theirs, matched)
        )
        if matched:
            log.debug("ACS commitment with %s for %d matches", c.sender, c.to_time)
            return
        mismatch = CommitmentMismatch(c.sender, c.from_time, c.to_time, ours, theirs, ids, step.at)
        step.changes.mismatches.append(mismatch)
        log.error(
            "ACS COMMITMENT MISMATCH with %s for period (%d, %d]: ours %s, theirs %s; "
            "%d shared contracts here: %s",
            c.sender,
            c.from_time,
            c.to_time,
            Hash(ours).to_multihash(),
            c.commitment.to_multihash(),
            len(ids),
            ", ".join(ids),
        )


def _update_id(request: PendingRequest) -> UpdateId:
    return UpdateId(update_id_of(request.root_hash))
