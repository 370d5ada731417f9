"""``DomainManager``: the decisions of the domain's topology manager.

It owns the onboarding requests (through :class:`DomainManagerStore`) and the domain's
root key, and it is the only sender of topology broadcasts. Every change it makes runs the
same steps, one change at a time (``_changes`` lock):

1. build the transactions against the *head* topology state (serials, operations);
2. **dry run** them through a copy of the state machine (a fresh ``TopologyProcessor``
   restored from the member's topology store) — a refusal is a typed
   :class:`TopologyRefusedError` and nothing is sent;
3. **broadcast** them in one submission request, every envelope addressed to the domain
   manager itself (sequencers deliver every topology broadcast to every active member);
4. wait for the receipt in the domain manager's own stream. The member runtime processes
   the broadcasts into the topology store before the receipt reaches :meth:`handle`, so the
   store then says whether each transaction was accepted, is still a proposal, or was
   refused, and with which effective time.

Because changes are serialised and the dry run uses the same state machine every member
runs, a change refused at sequencing time means the state moved in between (another
writer of the same namespace); that is reported as :class:`SequencingRejectedError`.

A crash after an approval is committed and before its receipt leaves the request
APPROVED; :meth:`resume` finishes it at start (sending only what is not yet accepted).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from domain_manager.errors import (
    DomainManagerError,
    DuplicateOnboardingError,
    InvalidRequestError,
    InvalidStateError,
    NotSequencedError,
    SequencingRejectedError,
    TopologyRefusedError,
    UnknownMemberError,
    UnknownRequestError,
)
from domain_manager.link import Sender, TopologyView
from domain_manager.metrics import ChangeKind, ChangeOutcome, DomainManagerMetrics
from domain_manager.onboarding import check_onboarding, decode_all
from domain_manager.store import DomainManagerStore
from domain_manager.types import (
    ChangeResult,
    HostingOutcome,
    HostingState,
    MemberEntry,
    OnboardingKind,
    OnboardingRequest,
    OnboardingState,
    Policy,
    RequestId,
)
from protocol.crypto.signing import SigningPrivateKey
from protocol.errors import ProtocolError
from protocol.identifiers import DomainId, MemberId, MemberKind, member_kind, parse_member_id
from protocol.sequencer_messages import Deliver, DeliverError, Envelope, MessageId, SequencedEvent
from protocol.timestamp import Timestamp, add_micros, now
from protocol.topology import (
    Accepted,
    Admission,
    DomainParameters,
    MediatorDomainState,
    Operation,
    OwnerToKeyMapping,
    ParticipantDomainPermission,
    ParticipantPermission,
    PartyToParticipant,
    PendingProposal,
    Proposed,
    Rejected,
    SignedTopologyTransaction,
    StoredTransaction,
    TopologyMapping,
    TopologyProcessor,
    TopologySnapshot,
    TopologyTransaction,
    UniqueKey,
    VettedPackages,
    sign_transaction,
)
from protocol.topology.state import TopologyState

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_HOSTING_TRANSACTIONS = 16
PARAMETER_FIELDS = (
    "participant_response_timeout",
    "mediator_reaction_timeout",
    "ledger_time_record_time_tolerance",
    "topology_change_delay",
    "max_request_size",
    "confirmation_depth",
)


@dataclass(frozen=True, slots=True)
class ManagerSettings:
    policy: Policy = Policy.OPEN
    sequencing_window_s: float = 30.0
    """A broadcast's max sequencing time is this far after it is sent."""
    receipt_grace_s: float = 10.0
    """How long after the max sequencing time the receipt is still waited for."""


class DomainManager:
    """See the module docstring. :meth:`handle` must receive every event of the domain
    manager's stream (it is the member runtime's handler)."""

    def __init__(
        self,
        *,
        domain: DomainId,
        member: MemberId,
        domain_key: SigningPrivateKey,
        topology: TopologyView,
        store: DomainManagerStore,
        settings: ManagerSettings | None = None,
        sender: Sender | None = None,
        clock: Callable[[], Timestamp] = now,
        metrics: DomainManagerMetrics | None = None,
    ) -> None:
        self.domain = domain
        self.member = member
        self.domain_key = domain_key
        self.topology = topology
        self.store = store
        self.settings = settings or ManagerSettings()
        self.sender = sender
        self._clock = clock
        self.metrics = metrics
        self._intake = asyncio.Lock()
        self._changes = asyncio.Lock()
        self._receipts: dict[str, asyncio.Future[SequencedEvent]] = {}

    # -- the member runtime's handler -----------------------------------------------------------

    async def handle(self, event: SequencedEvent) -> None:
        """Resolve the wait of the broadcast this event is the receipt of, if any."""
        message_id = event.message_id
        if message_id is None:
            return
        waiter = self._receipts.get(str(message_id))
        if waiter is not None and not waiter.done():
            waiter.set_result(event)

    # -- onboarding -----------------------------------------------------------------------------

    async def request_onboarding(
        self,
        kind: OnboardingKind,
        raw: Sequence[bytes],
        permission: ParticipantPermission = ParticipantPermission.SUBMISSION,
    ) -> OnboardingRequest:
        """Validate and record a request; under policy ``open`` also approve and onboard it.

        Sending the same transactions again returns the existing request (and finishes it if
        it is approved but not yet onboarded), so a client may retry safely; any other
        request for a member with a live request is :class:`DuplicateOnboardingError`.
        """
        submission = check_onboarding(kind, raw)
        async with self._intake:
            for existing in await self.store.requests(member=submission.member):
                if not existing.state.is_live:
                    continue
                if existing.transactions == submission.transactions:
                    if existing.state is OnboardingState.APPROVED:
                        return await self._onboard(existing)
                    return existing
                raise DuplicateOnboardingError(
                    submission.member, existing.request_id, existing.state.value
                )
            t = self._clock()
            processor = self._processor()
            changes = [*submission.transactions]
            admission = self._admission(processor.head, submission.member, kind, permission)
            if admission is not None:
                changes.append(admission)
            self._dry_run(processor, changes)
            state = (
                OnboardingState.APPROVED
                if self.settings.policy is Policy.OPEN
                else OnboardingState.PENDING
            )
            request = OnboardingRequest(
                request_id=RequestId("onb-" + secrets.token_hex(12)),
                member=submission.member,
                kind=kind,
                state=state,
                permission=permission,
                transactions=submission.transactions,
                created_at=t,
                updated_at=t,
            )
            await self.store.insert_request(request)
            await self.store.audit(t, submission.member, "request-onboarding", request.request_id)
        await self._observe_requests()
        log.info("onboarding request %s for %s: %s", request.request_id, request.member, state)
        if state is OnboardingState.APPROVED:
            return await self._onboard(request)
        return request

    async def onboarding_status(self, request_id: str) -> OnboardingRequest:
        request = await self.store.request(request_id)
        if request is None:
            raise UnknownRequestError(request_id)
        return request

    async def pending_requests(self) -> list[OnboardingRequest]:
        return await self.store.requests(OnboardingState.PENDING)

    async def approve(self, request_id: str, actor: str, reason: str = "") -> OnboardingRequest:
        """Approve a PENDING request and onboard the member (replies once sequenced)."""
        async with self._intake:
            request = await self.onboarding_status(request_id)
            if request.state is not OnboardingState.PENDING:
                raise InvalidStateError(f"request {request_id}", request.state.value, "pending")
            t = self._clock()
            request = dataclasses.replace(
                request, state=OnboardingState.APPROVED, updated_at=t, reason=reason
            )
            await self.store.update_request(request)
            await self.store.audit(t, actor, "approve", request_id, reason)
        await self._observe_requests()
        return await self._onboard(request)

    async def reject(self, request_id: str, actor: str, reason: str = "") -> OnboardingRequest:
        async with self._intake:
            request = await self.onboarding_status(request_id)
            if request.state is not OnboardingState.PENDING:
                raise InvalidStateError(f"request {request_id}", request.state.value, "pending")
            t = self._clock()
            request = dataclasses.replace(
                request,
                state=OnboardingState.REJECTED,
                updated_at=t,
                reason=reason or "rejected by an admin",
            )
            await self.store.update_request(request)
            await self.store.audit(t, actor, "reject", request_id, reason)
        await self._observe_requests()
        return request

    async def resume(self) -> None:
        """Finish approved requests whose broadcast a restart interrupted."""
        for request in await self.store.requests(OnboardingState.APPROVED):
            try:
                await self._onboard(request)
            except DomainManagerError as exc:
                log.warning("could not finish onboarding %s: %s", request.request_id, exc)

    def _admission(
        self,
        head: TopologyState,
        member: MemberId,
        kind: OnboardingKind,
        permission: ParticipantPermission,
    ) -> SignedTopologyTransaction | None:
        """The domain's half of an onboarding, unless the head state already has it."""
        mapping: TopologyMapping
        if kind is OnboardingKind.PARTICIPANT:
            mapping = ParticipantDomainPermission(self.domain, member, permission)
            active = head.active(mapping.unique_key())
            if active is not None and active.mapping == mapping:
                return None
        else:
            key = UniqueKey(f"MediatorDomainState/{self.domain}")
            current = head.active(key)
            if current is None or not isinstance(current.mapping, MediatorDomainState):
                raise InvalidStateError("the domain", "without a mediator state", "one")
            if member in current.mapping.mediators:
                return None
            mapping = dataclasses.replace(
                current.mapping, mediators=(*current.mapping.mediators, member)
            )
        return self._sign(head, mapping)

    def _sign(self, head: TopologyState, mapping: TopologyMapping) -> SignedTopologyTransaction:
        key = mapping.unique_key()
        operation = Operation.REPLACE if head.active(key) is not None else Operation.ADD
        tx = TopologyTransaction(operation, head.expected_serial(key), mapping)
        return sign_transaction(tx, [self.domain_key])

    async def _onboard(self, request: OnboardingRequest) -> OnboardingRequest:
        """Broadcast what of an APPROVED request is not yet accepted; mark it ONBOARDED."""
        async with self._changes:
            processor = self._processor()
            head = processor.head
            changes = [t for t in request.transactions if not head.was_accepted(t.hash().digest)]
            admission = self._admission(head, request.member, request.kind, request.permission)
            if admission is not None:
                changes.append(admission)
            if changes:
                try:
                    self._dry_run(processor, changes)
                except TopologyRefusedError as exc:
                    await self._fail(request, f"{exc.code}: {exc.reason}")
                    raise
                at = await self._counted("onboarding", self._broadcast(changes))
                try:
                    self._require_accepted(changes)
                except SequencingRejectedError as exc:
                    await self._fail(request, await self._rejection_at(at, str(exc)))
                    raise
                self._count("onboarding", "effective")
            sequenced, effective = self._onboarded_times(request)
            request = dataclasses.replace(
                request,
                state=OnboardingState.ONBOARDED,
                updated_at=self._clock(),
                sequenced_at=sequenced,
                effective_at=effective,
            )
            await self.store.update_request(request)
        await self._observe_requests()
        log.info("onboarded %s, effective at %d", request.member, effective)
        return request

    async def _fail(self, request: OnboardingRequest, reason: str) -> None:
        failed = dataclasses.replace(
            request, state=OnboardingState.REJECTED, updated_at=self._clock(), reason=reason
        )
        await self.store.update_request(failed)
        self._count("onboarding", "refused")
        await self._observe_requests()

    # -- metrics ---------------------------------------------------------------------------------

    async def _observe_requests(self) -> None:
        if self.metrics is not None:
            await self.metrics.refresh_onboarding(self.store)

    def _count(self, kind: ChangeKind, outcome: ChangeOutcome) -> None:
        if self.metrics is not None:
            self.metrics.change(kind, outcome)

    async def _counted(self, kind: ChangeKind, work: Awaitable[T]) -> T:
        """``work``'s result; a refusal (any ``DomainManagerError``) counted as ``refused``."""
        try:
            return await work
        except DomainManagerError:
            self._count(kind, "refused")
            raise

    def _onboarded_times(self, request: OnboardingRequest) -> tuple[Timestamp, Timestamp]:
        """When the last of the member's transactions and its admission were sequenced and
        became effective."""
        wanted = {t.hash().digest for t in request.transactions}
        records = [r for r in self.topology.history() if r.signed.hash().digest in wanted]
        for r in reversed(self.topology.history()):
            m = r.mapping
            if (isinstance(m, ParticipantDomainPermission) and m.participant == request.member) or (
                isinstance(m, MediatorDomainState) and request.member in m.mediators
            ):
                records.append(r)
                break
        if not records:
            raise SequencingRejectedError("NOT_ACCEPTED", f"no accepted record of {request.member}")
        last = max(records, key=lambda r: r.position)
        return last.sequenced_at, last.effective_at

    # -- admin changes --------------------------------------------------------------------------

    async def revoke_participant(
        self, participant: str, actor: str, reason: str = ""
    ) -> ChangeResult:
        """REPLACE the participant's ParticipantDomainPermission with admission REVOKED."""
        try:
            member = parse_member_id(participant)
        except ProtocolError as exc:
            raise InvalidRequestError("participant", str(exc)) from None
        if member_kind(member) is not MemberKind.PARTICIPANT:
            raise InvalidRequestError("participant", f"{member} is not a participant")

        def build(head: TopologyState) -> TopologyMapping:
            key = UniqueKey(f"ParticipantDomainPermission/{self.domain}/{member}")
            active = head.active(key)
            if active is None or not isinstance(active.mapping, ParticipantDomainPermission):
                raise UnknownMemberError(member, "not a participant of the domain")
            if active.mapping.admission is Admission.REVOKED:
                raise InvalidStateError(member, "revoked", "admitted")
            return dataclasses.replace(active.mapping, admission=Admission.REVOKED)

        return await self._counted("revoke", self._change(build, actor, "revoke", member, reason))

    async def set_domain_parameters(self, changes: Mapping[str, int], actor: str) -> ChangeResult:
        """REPLACE the DomainParameters with ``changes`` applied (serial + 1)."""
        unknown = sorted(set(changes) - set(PARAMETER_FIELDS))
        if unknown:
            raise InvalidRequestError("parameters", f"unknown fields {unknown}")
        if not changes:
            raise InvalidRequestError("parameters", "no field to change")

        def build(head: TopologyState) -> TopologyMapping:
            active = head.active(UniqueKey(f"DomainParameters/{self.domain}"))
            if active is None or not isinstance(active.mapping, DomainParameters):
                raise InvalidStateError("the domain", "without parameters", "parameters")
            try:
                updated = dataclasses.replace(active.mapping, **changes)  # type: ignore[arg-type]
            except (ProtocolError, ValueError, TypeError) as exc:
                raise InvalidRequestError("parameters", str(exc)) from None
            if updated == active.mapping:
                raise InvalidRequestError("parameters", "equal to the parameters in force")
            return updated

        detail = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
        return await self._counted(
            "parameters", self._change(build, actor, "set-parameters", self.domain, detail)
        )

    async def _change(
        self,
        build: Callable[[TopologyState], TopologyMapping],
        actor: str,
        action: str,
        subject: str,
        detail: str,
    ) -> ChangeResult:
        async with self._changes:
            processor = self._processor()
            signed = self._sign(processor.head, build(processor.head))
            self._dry_run(processor, [signed])
            at = await self._broadcast([signed])
            try:
                (record,) = self._require_accepted([signed])
            except SequencingRejectedError as exc:
                raise SequencingRejectedError(
                    exc.code, await self._rejection_at(at, str(exc))
                ) from None
        await self.store.audit(self._clock(), actor, action, subject, detail)
        self._count("parameters" if action == "set-parameters" else "revoke", "effective")
        return ChangeResult(
            signed.hash().to_multihash(),
            signed.transaction.serial,
            record.sequenced_at,
            record.effective_at,
        )

    # -- party hosting ---------------------------------------------------------------------------

    async def request_party_hosting(self, raw: Sequence[bytes]) -> list[HostingOutcome]:
        """Forward signed PartyToParticipant transactions (proposals or complete); each is
        EFFECTIVE once fully authorized, else PROPOSED with the namespaces still missing."""
        outcomes = await self._counted("party_hosting", self._party_hosting(raw))
        for outcome in outcomes:
            effective = outcome.state is HostingState.EFFECTIVE
            self._count("party_hosting", "effective" if effective else "proposed")
        return outcomes

    async def _party_hosting(self, raw: Sequence[bytes]) -> list[HostingOutcome]:
        txs = decode_all(raw, "transactions", MAX_HOSTING_TRANSACTIONS)
        for index, signed in enumerate(txs):
            if not isinstance(signed.transaction.mapping, PartyToParticipant):
                raise InvalidRequestError(
                    f"transactions[{index}]",
                    f"{type(signed.transaction.mapping).__name__}, expected PartyToParticipant",
                    code="UNEXPECTED_MAPPING",
                )
        async with self._changes:
            processor = self._processor()
            dry = self._dry_run(processor, txs)
            at = await self._broadcast(txs)
            outcomes = []
            for signed, predicted in zip(txs, dry, strict=True):
                mapping = signed.transaction.mapping
                assert isinstance(mapping, PartyToParticipant)  # checked above
                digest = signed.hash().digest
                record = self._accepted_record(digest)
                if record is not None:
                    outcome = HostingOutcome(
                        mapping.party, signed.hash().to_multihash(), HostingState.EFFECTIVE,
                        (), record.sequenced_at, record.effective_at,
                    )  # fmt: skip
                elif self._pending(digest) is not None:
                    missing = predicted.missing if isinstance(predicted, Proposed) else ()
                    outcome = HostingOutcome(
                        mapping.party, signed.hash().to_multihash(), HostingState.PROPOSED,
                        missing, at, None,
                    )  # fmt: skip
                else:
                    raise SequencingRejectedError(
                        "REJECTED_AT_SEQUENCING", await self._rejection_at(at, "refused")
                    )
                outcomes.append(outcome)
        for outcome in outcomes:
            await self.store.record_hosting(outcome, self._clock())
        return outcomes

    # -- package vetting -------------------------------------------------------------------------

    async def request_vetting(self, raw: bytes) -> ChangeResult:
        """Forward a participant's ``VettedPackages`` transaction (``docs/domain-manager.md``
        §4a). It must be complete (not a proposal): the participant's namespace alone
        authorizes it. The participant must hold a ``ParticipantDomainPermission`` in the
        head state (a stranger's namespace cannot fill every member's store). The dry run
        gives the typed refusals (``UNAUTHORIZED``, ``INVALID_SIGNATURE``, ``WRONG_SERIAL``,
        ``MAPPING_NOT_FOUND``, ``DUPLICATE`` …); the reply comes once it is sequenced."""
        result = await self._counted("vetting", self._vetting(raw))
        self._count("vetting", "effective")
        return result

    async def _vetting(self, raw: bytes) -> ChangeResult:
        (signed,) = decode_all([raw], "transaction", 1)
        mapping = signed.transaction.mapping
        if not isinstance(mapping, VettedPackages):
            raise InvalidRequestError(
                "transaction",
                f"{type(mapping).__name__}, expected VettedPackages",
                code="UNEXPECTED_MAPPING",
            )
        if signed.is_proposal:
            raise InvalidRequestError("transaction", "must be fully signed, not a proposal")
        async with self._changes:
            processor = self._processor()
            key = UniqueKey(f"ParticipantDomainPermission/{self.domain}/{mapping.participant}")
            admitted = processor.head.active(key)
            if admitted is None:
                raise UnknownMemberError(mapping.participant, "not a participant of the domain")
            self._dry_run(processor, [signed])
            at = await self._broadcast([signed])
            try:
                (record,) = self._require_accepted([signed])
            except SequencingRejectedError as exc:
                raise SequencingRejectedError(
                    exc.code, await self._rejection_at(at, str(exc))
                ) from None
        who = mapping.participant
        detail = f"serial {signed.transaction.serial}, {len(mapping.packages)} packages"
        await self.store.audit(self._clock(), who, "vet", who, detail)
        return ChangeResult(
            signed.hash().to_multihash(),
            signed.transaction.serial,
            record.sequenced_at,
            record.effective_at,
        )

    # -- reading --------------------------------------------------------------------------------

    def snapshot(self, at: Timestamp | None = None) -> TopologySnapshot:
        return self.topology.snapshot_at(self._clock() if at is None else at)

    async def list_members(self, at: Timestamp | None = None) -> list[MemberEntry]:
        snapshot = self.snapshot(at)
        entries = []
        for member in snapshot.members():
            kind = member_kind(member)
            permission = None
            if kind is MemberKind.PARTICIPANT:
                permission = snapshot.participant_permission(member)
                record = snapshot.participant_state(member)
                if permission is not None:
                    state = "active"
                elif record is not None and record.admission is Admission.REVOKED:
                    state = "revoked"
                else:
                    state = "known"
            else:
                state = "active" if snapshot.is_active(member) else "known"
            signing, encryption = snapshot.signing_key(member), snapshot.encryption_key(member)
            entries.append(
                MemberEntry(
                    member,
                    kind.value,
                    state,
                    permission,
                    "" if signing is None else signing.fingerprint,
                    "" if encryption is None else encryption.fingerprint,
                    snapshot.parties_hosted_by(member) if kind is MemberKind.PARTICIPANT else (),
                )
            )
        known = set(snapshot.members())
        for request in await self.store.requests():
            live = request.state in (OnboardingState.PENDING, OnboardingState.APPROVED)
            if live and request.member not in known:
                otk = next(
                    t.transaction.mapping
                    for t in request.transactions
                    if isinstance(t.transaction.mapping, OwnerToKeyMapping)
                )
                entries.append(
                    MemberEntry(
                        request.member,
                        member_kind(request.member).value,
                        "pending",
                        request.permission if request.kind is OnboardingKind.PARTICIPANT else None,
                        otk.signing_key.fingerprint,
                        otk.encryption_key.fingerprint,
                    )
                )
        return sorted(entries, key=lambda e: e.member)

    # -- broadcasting ---------------------------------------------------------------------------

    def _processor(self) -> TopologyProcessor:
        """A copy of the member's topology state machine, for dry runs."""
        processor = TopologyProcessor(self.domain)
        processor.restore(
            self.topology.history(),
            self.topology.pending_proposals(),
            self.topology.last_sequenced_at,
        )
        return processor

    def _dry_run(
        self, processor: TopologyProcessor, txs: Sequence[SignedTopologyTransaction]
    ) -> list[Accepted | Proposed]:
        last = processor.last_sequenced_at
        at = self._clock() if last is None else max(last, self._clock())
        outcomes: list[Accepted | Proposed] = []
        for index, signed in enumerate(txs):
            outcome = processor.process(signed, at)
            if isinstance(outcome, Rejected):
                raise TopologyRefusedError(index, outcome.reason)
            outcomes.append(outcome)
        return outcomes

    async def broadcast_raw(self, payloads: Sequence[bytes]) -> Timestamp:
        """Send ``payloads`` as topology broadcasts *without* a dry run and return their
        sequencing time once the receipt is processed. For repair tools and for tests that
        show every node takes the same decision on bad input; the admin calls use the
        checked paths."""
        async with self._changes:
            return await self._send_payloads(payloads)

    async def _broadcast(self, txs: Sequence[SignedTopologyTransaction]) -> Timestamp:
        return await self._send_payloads([t.encode() for t in txs])

    async def _send_payloads(self, payloads: Sequence[bytes]) -> Timestamp:
        if self.sender is None:
            raise NotSequencedError("(not connected)", 0.0)
        message_id = MessageId("dm-" + secrets.token_hex(12))
        waiter: asyncio.Future[SequencedEvent] = asyncio.get_running_loop().create_future()
        self._receipts[message_id] = waiter
        window = self.settings.sequencing_window_s
        wait_s = window + self.settings.receipt_grace_s
        try:
            envelopes = [Envelope.of(p, [self.member]) for p in payloads]
            deadline = add_micros(self._clock(), int(window * 1_000_000))
            try:
                await self.sender.send(
                    envelopes, max_sequencing_time=deadline, message_id=message_id
                )
            except DomainManagerError:
                raise
            except Exception as exc:  # the runtime's refusal or transport error
                raise SequencingRejectedError("SEND_REFUSED", str(exc)) from exc
            try:
                async with asyncio.timeout(wait_s):
                    event = await waiter
            except TimeoutError:
                raise NotSequencedError(message_id, wait_s) from None
        finally:
            self._receipts.pop(message_id, None)
        if isinstance(event, DeliverError):
            raise SequencingRejectedError(event.reason.code.name, event.reason.message)
        assert isinstance(event, Deliver)
        return event.timestamp

    def _accepted_record(self, digest: bytes) -> StoredTransaction | None:
        for record in reversed(self.topology.history()):
            if record.signed.hash().digest == digest:
                return record
        return None

    def _pending(self, digest: bytes) -> PendingProposal | None:
        for proposal in self.topology.pending_proposals():
            if proposal.transaction_hash.digest == digest:
                return proposal
        return None

    def _require_accepted(
        self, txs: Sequence[SignedTopologyTransaction]
    ) -> list[StoredTransaction]:
        out = []
        for signed in txs:
            record = self._accepted_record(signed.hash().digest)
            if record is None:
                raise SequencingRejectedError(
                    "REJECTED_AT_SEQUENCING", f"{signed.hash().to_multihash()} not accepted"
                )
            out.append(record)
        return out

    async def _rejection_at(self, at: Timestamp, fallback: str) -> str:
        for sequenced_at, code, detail in await self.topology.rejections():
            if sequenced_at == at:
                return f"{code}: {detail}"
        return fallback
