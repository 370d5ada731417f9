"""The sequencer gRPC service (``protocol/v1/sequencer.proto``) over the store and the writer.

It owns nothing mutable but the authenticator's challenges: events come from the
:class:`~sequencer_chain.store.EventStore` (written by the reader alone), requests go to a
:class:`RequestSink` (the batch writer), acknowledgements go to the store.

``SendAsync`` checks everything derivation will check, against the node's own clock, so
that a request that would only yield a DeliverError is refused at once with a typed
error. Passing these checks is not a promise of delivery: derivation decides, from the
chain, for every node alike.

``GetTopologyHistory`` pages through the accepted topology history of a node started
from a genesis topology, then through the proposals of the transactions still pending at
the bound, bounded by what the node has derived (its watermark), so that a member never
receives a history that a later event of its stream could contradict.

``Subscribe`` streams a member's events from a counter: it reads the store in counter
order and, once it has everything, waits for the store's change notification. If a reorg
deeper than the confirmation depth removes events this stream already sent, the stream
ends with ``ABORTED`` rather than ever sending a second, different event at a counter.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

import grpc

from protocol.crypto.signing import SignatureCache
from protocol.errors import MalformedError, ProtocolError
from protocol.identifiers import DomainId, MemberId
from protocol.sequencer_messages import MAX_SIGNED_REQUEST_SIZE, SignedSubmissionRequest
from protocol.timestamp import Timestamp, now
from protocol.topology import (
    ProposalRecord,
    StoredTransaction,
    encode_proposal_record,
    encode_stored_transaction,
)
from protocol.v1 import sequencer_pb2 as pb
from protocol.v1 import sequencer_pb2_grpc as pb_grpc
from sequencer_chain.api.auth import Authenticator
from sequencer_chain.errors import (
    AuthenticationError,
    DuplicateRequestError,
    RequestTooLargeError,
    WriterOverloadedError,
    WriterStoppedError,
)
from sequencer_chain.members import MemberLookup
from sequencer_chain.sequencer_topology import SequencerTopology
from sequencer_chain.store.event_store import EventStore

log = logging.getLogger(__name__)

E = pb.SendAsyncError
SUBSCRIBE_PAGE = 256
ENQUEUE_TIMEOUT_S = 10.0
MAX_SENDS_IN_FLIGHT = 1_000
HISTORY_PAGE_ENTRIES = 256
HISTORY_PAGE_BYTES = 2 * 1024 * 1024
"""Bounds of one GetTopologyHistory reply (below the server's 4 MiB message limit)."""


class TopologyHistorySource(Protocol):
    """The accepted topology history of the node (``SequencerTopology`` is one)."""

    @property
    def genesis_timestamp(self) -> Timestamp:
        """The genesis transactions' sequencing time: final before any event exists."""
        ...

    def history(
        self, sequenced_up_to: Timestamp | None = None
    ) -> tuple[StoredTransaction, ...]: ...

    def proposals(self, sequenced_up_to: Timestamp | None = None) -> tuple[ProposalRecord, ...]:
        """The proposal records of the transactions pending at ``sequenced_up_to``."""
        ...


class RequestSink(Protocol):
    """Where accepted requests go: durably stored on return, written to the chain later.

    The batch writer (:class:`sequencer_chain.writer.BatchWriter`) is one; it raises
    WriterOverloadedError, WriterStoppedError, RequestTooLargeError or DuplicateRequestError.
    """

    async def enqueue(self, request: bytes, message_key: bytes) -> object: ...


def message_key(sender: MemberId, message_id: str) -> bytes:
    """The writer's dedup key of a request: sha256 of ``sender`` NUL ``message_id``."""
    return hashlib.sha256(f"{sender}\x00{message_id}".encode()).digest()


class _Refused(Exception):  # noqa: N818 (internal control flow, never escapes)
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


class SequencerService(pb_grpc.SequencerServiceServicer):
    """See the module docstring."""

    def __init__(
        self,
        *,
        domain_id: DomainId,
        store: EventStore,
        sink: RequestSink,
        members: MemberLookup,
        auth: Authenticator,
        max_sends_in_flight: int = MAX_SENDS_IN_FLIGHT,
        enqueue_timeout_s: float = ENQUEUE_TIMEOUT_S,
        topology: TopologyHistorySource | None = None,
        signatures: SignatureCache | None = None,
    ) -> None:
        self.domain_id = domain_id
        self.signatures = signatures
        """Where successful signature checks are remembered for the node's reader (which
        then need not repeat them when the request comes back from the chain)."""
        self.store = store
        self.sink = sink
        self.members = members
        self.auth = auth
        if topology is None and isinstance(members, SequencerTopology):
            topology = members
        self.topology = topology
        """Where GetTopologyHistory reads; ``None`` for a node with a static members file."""
        self.enqueue_timeout_s = enqueue_timeout_s
        self._max_in_flight = max_sends_in_flight
        self._in_flight = 0

    # ------------------------------------------------------------------ auth

    async def _caller(self, context: grpc.aio.ServicerContext[Any, Any]) -> MemberId:
        token = None
        for key, value in context.invocation_metadata() or ():
            if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
                token = value.removeprefix("Bearer ")
        if token is None:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "no bearer token")
        try:
            return self.auth.verify_token(token)  # type: ignore[arg-type]
        except AuthenticationError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, exc.reason)
            raise  # abort raises; this keeps the type checker informed

    async def _as_member(self, text: str, context: grpc.aio.ServicerContext[Any, Any]) -> MemberId:
        caller = await self._caller(context)
        if text != caller:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"authenticated as {caller}, not {text}"
            )
        return caller

    async def GetChallenge(  # noqa: N802 (gRPC method name)
        self, request: pb.GetChallengeRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetChallengeResponse:
        try:
            return pb.GetChallengeResponse(challenge=self.auth.challenge(request.member))
        except AuthenticationError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, exc.reason)
            raise

    async def Authenticate(  # noqa: N802 (gRPC method name)
        self, request: pb.AuthenticateRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.AuthenticateResponse:
        try:
            token = self.auth.authenticate(request.challenge, request.signature)
        except AuthenticationError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, exc.reason)
            raise
        return pb.AuthenticateResponse(token=token.text, expires_at=token.expires_at)

    # ------------------------------------------------------------------ send

    async def SendAsync(  # noqa: N802 (gRPC method name)
        self, request: pb.SendAsyncRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SendAsyncResponse:
        caller = await self._caller(context)
        try:
            signed = self._decode(request.signed_submission_request)
            # Validation first, so that a request naming an unknown sender gets its typed
            # UNKNOWN_SENDER (the caller, being authenticated, is always known); a valid
            # request of another member is a permission error, not a typed refusal.
            self._validate(signed)
            if signed.request.sender != caller:
                await context.abort(
                    grpc.StatusCode.PERMISSION_DENIED,
                    f"authenticated as {caller}, cannot send as {signed.request.sender}",
                )
            await self._check_duplicate(signed)
            await self._enqueue(request.signed_submission_request, signed)
        except _Refused as refused:
            return pb.SendAsyncResponse(error=refused.code, message=refused.message)  # type: ignore[arg-type]
        return pb.SendAsyncResponse()

    def _decode(self, data: bytes) -> SignedSubmissionRequest:
        if len(data) > MAX_SIGNED_REQUEST_SIZE:
            raise _Refused(
                E.SEND_ASYNC_ERROR_TOO_LARGE,
                f"{len(data)} bytes, at most {MAX_SIGNED_REQUEST_SIZE}",
            )
        try:
            return SignedSubmissionRequest.from_bytes(data)
        except MalformedError as exc:
            raise _Refused(E.SEND_ASYNC_ERROR_MALFORMED, str(exc)[:512]) from None

    def _validate(self, signed: SignedSubmissionRequest) -> None:
        request = signed.request
        t = now()
        if request.domain_id != self.domain_id:
            raise _Refused(E.SEND_ASYNC_ERROR_WRONG_DOMAIN, f"this is domain {self.domain_id}")
        sender = self.members.member(request.sender, t)
        if sender is None or not sender.active:
            raise _Refused(E.SEND_ASYNC_ERROR_UNKNOWN_SENDER, f"{request.sender} is not active")
        key = sender.key(signed.signature.signer)
        if key is None:
            raise _Refused(E.SEND_ASYNC_ERROR_BAD_SIGNATURE, "not a key of the sender")
        try:
            signed.verify(key, self.signatures)
        except ProtocolError:
            raise _Refused(E.SEND_ASYNC_ERROR_BAD_SIGNATURE, "signature does not verify") from None
        unknown = sorted(
            m
            for m in request.batch.all_recipients
            if (info := self.members.member(m, t)) is None or not info.active
        )
        if unknown:
            raise _Refused(
                E.SEND_ASYNC_ERROR_UNKNOWN_RECIPIENT, ("unknown: " + ", ".join(unknown))[:512]
            )
        if request.max_sequencing_time < t:
            raise _Refused(
                E.SEND_ASYNC_ERROR_MAX_SEQUENCING_TIME_PAST,
                f"max sequencing time {request.max_sequencing_time} is before now ({t})",
            )

    async def _check_duplicate(self, signed: SignedSubmissionRequest) -> None:
        request = signed.request
        if await self.store.is_delivered(request.sender, request.message_id, now()):
            raise _Refused(
                E.SEND_ASYNC_ERROR_DUPLICATE_MESSAGE_ID,
                f"message id {request.message_id} was already sequenced",
            )

    async def _enqueue(self, data: bytes, signed: SignedSubmissionRequest) -> None:
        if self._in_flight >= self._max_in_flight:
            raise _Refused(E.SEND_ASYNC_ERROR_OVERLOADED, "too many sends in flight")
        self._in_flight += 1
        try:
            key = message_key(signed.request.sender, signed.request.message_id)
            async with asyncio.timeout(self.enqueue_timeout_s):
                await self.sink.enqueue(data, key)
        except DuplicateRequestError:
            raise _Refused(
                E.SEND_ASYNC_ERROR_DUPLICATE_MESSAGE_ID, "a request with this id is pending"
            ) from None
        except RequestTooLargeError as exc:
            raise _Refused(E.SEND_ASYNC_ERROR_TOO_LARGE, str(exc)) from None
        except (WriterOverloadedError, WriterStoppedError, TimeoutError) as exc:
            raise _Refused(E.SEND_ASYNC_ERROR_OVERLOADED, str(exc) or "writer timed out") from None
        finally:
            self._in_flight -= 1

    # ------------------------------------------------------------------ subscribe

    async def Subscribe(  # noqa: N802 (gRPC method name)
        self, request: pb.SubscribeRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.SubscribeResponse]:
        member = await self._as_member(request.member, context)
        next_counter = request.from_counter
        first = await self.store.first_counter(member)
        if first is not None and next_counter < first:
            await context.abort(
                grpc.StatusCode.OUT_OF_RANGE,
                f"events before counter {first} are pruned (asked from {next_counter})",
            )
        epoch = self.store.rollback_epoch
        while True:
            changed = self.store.changed()
            for rollback in self.store.rollbacks_since(epoch):
                removed = rollback.first_removed.get(member)
                if removed is not None and removed < next_counter:
                    log.error(
                        "reorg removed counter %d of %s, already streamed; ending the stream",
                        removed,
                        member,
                    )
                    await context.abort(
                        grpc.StatusCode.ABORTED,
                        f"a chain reorg deeper than the confirmation depth removed events "
                        f"from counter {removed}; resubscribe from your last processed counter",
                    )
            epoch = self.store.rollback_epoch
            events = await self.store.read_events(member, next_counter, SUBSCRIBE_PAGE)
            if self.store.rollback_epoch != epoch:
                continue  # a rollback raced the read; look again
            if events and events[0].counter != next_counter:
                await context.abort(
                    grpc.StatusCode.OUT_OF_RANGE, f"counter {next_counter} is pruned"
                )
            for event in events:
                yield pb.SubscribeResponse(event=event.event)
                next_counter = event.counter + 1
            if not events:
                await changed.wait()

    # ------------------------------------------------------------------ ack, time

    async def Acknowledge(  # noqa: N802 (gRPC method name)
        self, request: pb.AcknowledgeRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.AcknowledgeResponse:
        member = await self._as_member(request.member, context)
        known = await self.store.next_counter(member)
        if request.counter >= known:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"counter {request.counter} not yet delivered (next is {known})",
            )
        await self.store.acknowledge(member, request.counter)
        return pb.AcknowledgeResponse()

    async def GetTime(  # noqa: N802 (gRPC method name)
        self, request: pb.GetTimeRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetTimeResponse:
        cursor = await self.store.cursor()
        last = cursor.last_timestamp if cursor is not None else None
        return pb.GetTimeResponse(timestamp=last or 0)

    # ------------------------------------------------------------------ topology history

    async def GetTopologyHistory(  # noqa: N802 (gRPC method name)
        self, request: pb.GetTopologyHistoryRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetTopologyHistoryResponse:
        await self._caller(context)
        if self.topology is None:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                "this node takes its members from a static file and has no topology history",
            )
            raise AssertionError("unreachable")  # abort raises
        cursor = await self.store.cursor()
        derived = cursor.last_timestamp if cursor is not None else None
        floor = self.topology.genesis_timestamp
        watermark = floor if derived is None else max(derived, floor)
        bound = watermark if request.up_to == 0 else min(Timestamp(request.up_to), watermark)
        history = self.topology.history(bound)
        limit = request.max_entries or HISTORY_PAGE_ENTRIES
        limit = min(limit, HISTORY_PAGE_ENTRIES)
        out: list[bytes] = []
        size = 0
        position = request.from_position
        while position < len(history) and len(out) < limit:
            data = encode_stored_transaction(history[position])
            if out and size + len(data) > HISTORY_PAGE_BYTES:
                break
            out.append(data)
            size += len(data)
            position += 1
        # The pending proposals follow the last transaction (docs/topology.md §8).
        proposals = self.topology.proposals(bound) if position >= len(history) else ()
        index = request.from_proposal
        extra: list[bytes] = []
        while index < len(proposals) and len(out) + len(extra) < limit:
            data = encode_proposal_record(proposals[index])
            if (out or extra) and size + len(data) > HISTORY_PAGE_BYTES:
                break
            extra.append(data)
            size += len(data)
            index += 1
        more = position < len(history) or index < len(proposals)
        return pb.GetTopologyHistoryResponse(
            transactions=out, watermark=watermark, more=more, proposals=extra
        )
