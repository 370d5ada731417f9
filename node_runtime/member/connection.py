"""``MemberConnection``: a member's durable, failing-over subscription to its domain.

The runtime owns the member's counter (``member.sqlite``), its topology store
(``topology.sqlite``) and the connections to the sequencer nodes; the node owns what it
does with each event (its :class:`EventHandler`). The contract (``docs/nodes.md`` §2):

* **Order, once, at least once.** Events reach ``handler.handle`` one at a time in
  counter order, starting at the last persisted counter + 1. The counter is persisted
  after ``handle`` returns, so an event whose handling was interrupted (crash, handler
  error) is delivered again after a restart: delivery is *at least once*, and the node
  must recognise an event it already applied (by counter or timestamp).
* **Topology first.** Before ``handle(event)``, the topology broadcasts in the event are
  processed into the member's topology store at the event's timestamp, so
  ``topology.snapshot_at(event.timestamp)`` already includes them.
* **History sync.** At start (up to the sequencer's watermark) and on the first new event
  after every (re)connection (up to just before that event's time), the runtime fetches
  the accepted topology history (``GetTopologyHistory``) and replays what its store lacks;
  a disagreement is fatal (:class:`TopologyHistoryError`).
* **Failover.** On an unavailable node, a closed stream, a rejected token or a malformed
  reply, the runtime reconnects to the next endpoint with exponential backoff and resumes
  from the last processed counter. An event at an already processed counter is checked
  (same digest for the last one, an earlier time for older ones) and skipped, so a stream
  that no longer holds the last processed event (a reorg deeper than the confirmation
  depth, a forked node) is fatal (:class:`EventMismatchError`); a gap is fatal
  (:class:`CounterGapError`). Acknowledgements stay one counter behind, so the last
  processed event is never pruned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import grpc

from node_runtime.http import ReadinessCheck
from node_runtime.logs import current_trace_id, log_context
from node_runtime.member.client import ClientTimeouts, SequencerClient
from node_runtime.member.config import MemberConfig, MemberNodeConfig, MemberTuning
from node_runtime.member.errors import (
    CounterGapError,
    EventMismatchError,
    EventsPrunedError,
    FatalMemberError,
    HandlerError,
    MemberStoppedError,
    NoSequencerAvailableError,
    TimeProofError,
    TopologyHistoryError,
)
from node_runtime.member.state import CounterStore, event_digest
from node_runtime.member.topology import MemberTopology
from node_runtime.tls import client_tls
from protocol.crypto.signing import SigningPrivateKey
from protocol.errors import MalformedError
from protocol.identifiers import DomainId, MemberId
from protocol.sequencer_messages import (
    Batch,
    Deliver,
    DeliverError,
    Envelope,
    MessageId,
    SequencedEvent,
    SignedSubmissionRequest,
    SubmissionRequest,
    decode_sequenced_event,
    parse_message_id,
)
from protocol.timestamp import MICROS_PER_SECOND, Timestamp, now, timestamp
from protocol.tls import ClientTls, diagnose_server
from protocol.topology import Genesis, TopologyStoreError, read_genesis

log = logging.getLogger(__name__)

MEMBER_DB = "member.sqlite"
TOPOLOGY_DB = "topology.sqlite"
START_TIMEOUT_S = 30.0
TIME_PROOF_PREFIX = "time-proof-"
MAX_TRACED_MESSAGES = 10_000
"""Trace ids kept for receipts not yet handled (the oldest are forgotten first)."""


class EventHandler(Protocol):
    """What a node does with each of its sequenced events (see the module docstring)."""

    async def handle(self, event: SequencedEvent) -> None: ...


class _Transient(Exception):  # noqa: N818 (internal: switch endpoint, never escapes)
    pass


class MemberConnection:
    """See the module docstring. ``start`` → (``send``, ``time_proof``, ``topology``) →
    ``stop``; ``wait`` returns when stopped and raises the fatal error if it failed."""

    def __init__(  # noqa: PLR0917 (identity, domain, endpoints, state, handler)
        self,
        member_id: MemberId,
        signing_key: SigningPrivateKey,
        domain_id: DomainId,
        genesis: Genesis,
        endpoints: Sequence[str],
        data_dir: Path,
        handler: EventHandler,
        *,
        tuning: MemberTuning | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
        tls: ClientTls | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError("at least one sequencer endpoint is needed")
        if genesis.domain != domain_id:
            raise ValueError(f"genesis is for {genesis.domain}, not {domain_id}")
        self.member_id = member_id
        self.signing_key = signing_key
        self.domain_id = domain_id
        self.genesis = genesis
        self.endpoints = tuple(endpoints)
        self.data_dir = Path(data_dir)
        self.handler = handler
        self.tuning = tuning or MemberTuning()
        self.start_timeout_s = start_timeout_s
        self.tls = tls
        """How the sequencers are dialled (``None``: plaintext)."""
        self._timeouts = ClientTimeouts(
            auth_s=self.tuning.call_timeout_s,
            send_s=self.tuning.send_timeout_s,
            ack_s=self.tuning.call_timeout_s,
            time_s=self.tuning.call_timeout_s,
            history_s=self.tuning.call_timeout_s,
        )
        self._clients: dict[str, SequencerClient] = {}
        self._auth_locks: dict[str, asyncio.Lock] = {}
        self._counters: CounterStore | None = None
        self._topology: MemberTopology | None = None
        self._main: asyncio.Task[None] | None = None
        self._endpoint_index = 0
        self._current: str | None = None
        self._connected = False
        self._connected_event = asyncio.Event()
        self._time_proofs: dict[str, asyncio.Future[Timestamp]] = {}
        self._traced: dict[str, str] = {}
        """Message id → trace id of sends made on behalf of a traced call."""
        self._since_ack = 0
        self._recheck_last = True  # resubscribe from the last processed counter
        self._from_last = False  # the current subscription did
        self._failure: BaseException | None = None

    @classmethod
    def from_config(
        cls,
        config: MemberConfig,
        *,
        member_id: MemberId,
        signing_key: SigningPrivateKey,
        data_dir: Path,
        handler: EventHandler,
        base_dir: Path | None = None,
        tls: ClientTls | None = None,
    ) -> MemberConnection:
        """Build from a node's ``[domain]`` section; reads the genesis file
        (``TopologyStoreError`` if it is unusable)."""
        genesis = read_genesis(config.genesis_path(base_dir))
        return cls(
            member_id,
            signing_key,
            DomainId(config.domain_id),
            genesis,
            config.sequencers,
            data_dir,
            handler,
            tuning=config.tuning,
            tls=tls,
        )

    @classmethod
    def for_node(
        cls,
        config: MemberNodeConfig,
        member_id: MemberId,
        signing_key: SigningPrivateKey,
        data_dir: Path,
        handler: EventHandler,
    ) -> MemberConnection:
        """:meth:`from_config` for a member node: its ``[domain]`` section, dialling the
        sequencers with the client TLS of its ``[tls]`` section."""
        return cls.from_config(
            config.domain,
            member_id=member_id,
            signing_key=signing_key,
            data_dir=data_dir,
            handler=handler,
            base_dir=config.base_dir,
            tls=client_tls(config.tls, config.base_dir),
        )

    # -- state ------------------------------------------------------------------------------

    @property
    def topology(self) -> MemberTopology:
        if self._topology is None:
            raise MemberStoppedError("the member connection is not started")
        return self._topology

    @property
    def counter_store(self) -> CounterStore:
        if self._counters is None:
            raise MemberStoppedError("the member connection is not started")
        return self._counters

    @property
    def connected(self) -> bool:
        """Whether a subscription is open to some sequencer now."""
        return self._connected

    @property
    def endpoint(self) -> str | None:
        """The endpoint of the open subscription, if any."""
        return self._current if self._connected else None

    async def wait_connected(self, timeout_s: float = 30.0) -> str:
        """Wait until a subscription is open; returns its endpoint. Raises
        ``TimeoutError``, or the fatal error if the connection failed meanwhile."""
        async with asyncio.timeout(timeout_s):
            while not self._connected:
                if self._main is not None and self._main.done():
                    await self.wait()
                    raise MemberStoppedError("the member connection is stopped")
                self._connected_event.clear()
                waiter = asyncio.ensure_future(self._connected_event.wait())
                try:
                    pending = {waiter} if self._main is None else {waiter, self._main}
                    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
        assert self._current is not None
        return self._current

    def readiness_check(self, name: str = "sequencer-connection") -> ReadinessCheck:
        """For ``node_runtime.OpsServer``: ready while subscribed to a sequencer."""

        async def check() -> str | None:
            if self._failure is not None:
                return f"member connection failed: {self._failure}"
            return None if self._connected else "not connected to any sequencer"

        return ReadinessCheck(name, check)

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the stores, load the genesis, sync the topology history from the first
        sequencer that answers (retrying with backoff for up to ``start_timeout_s``: a
        member onboarded moments ago may not be active yet) and start the subscription.
        Raises :class:`NoSequencerAvailableError` if no sequencer answered in time."""
        if self._main is not None:
            raise MemberStoppedError("already started")
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self._counters = await CounterStore.open(
                self.data_dir / MEMBER_DB, self.domain_id, self.member_id
            )
            self._topology = await MemberTopology.open(
                str(self.data_dir / TOPOLOGY_DB), self.genesis
            )
            last = self._counters.position.last_timestamp
            if last is not None:
                self._topology.advance(last)
            await self._initial_sync()
        except BaseException:
            await self._close_resources()
            raise
        self._main = asyncio.create_task(self._run(), name=f"member-{self.member_id}")

    async def _initial_sync(self) -> None:
        failures: dict[str, str] = {}
        delay = self.tuning.reconnect_initial_s
        try:
            async with asyncio.timeout(self.start_timeout_s):
                while True:
                    for index, endpoint in enumerate(self.endpoints):
                        try:
                            client = await self._client_for(endpoint)
                            await self._sync_history(endpoint, client, None)
                        except (grpc.aio.AioRpcError, _Transient, MalformedError) as exc:
                            failures[endpoint] = _describe(exc)
                            continue
                        self._endpoint_index = index
                        return
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.tuning.reconnect_max_s)
        except TimeoutError:
            if self.tls is not None:
                # A refused server certificate, said as the verifier says it.
                for endpoint in failures:
                    untrusted = await diagnose_server(endpoint, self.tls)
                    if untrusted is not None:
                        failures[endpoint] = str(untrusted)
            raise NoSequencerAvailableError("initial topology sync", failures) from None

    async def stop(self) -> None:
        """Stop the subscription and close everything (idempotent)."""
        if self._main is not None and not self._main.done():
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._main
        await self._close_resources()

    async def wait(self) -> None:
        """Return when stopped; raise the fatal error if the subscription failed."""
        if self._main is None:
            raise MemberStoppedError("not started")
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(self._main)

    async def _close_resources(self) -> None:
        self._connected = False
        self._fail_time_proofs(MemberStoppedError("member connection stopped"))
        for client in self._clients.values():
            with contextlib.suppress(Exception):
                await client.close()
        self._clients.clear()
        if self._counters is not None:
            await self._counters.close()
            self._counters = None
        if self._topology is not None:
            await self._topology.close()
            self._topology = None

    # -- clients ----------------------------------------------------------------------------

    async def _client_for(self, endpoint: str, *, reauthenticate: bool = False) -> SequencerClient:
        """The authenticated client of ``endpoint``; a token expiring within the refresh
        margin (or ``reauthenticate``) is renewed first."""
        lock = self._auth_locks.setdefault(endpoint, asyncio.Lock())
        async with lock:
            client = self._clients.get(endpoint)
            if client is None:
                client = SequencerClient(
                    endpoint, self.member_id, self.signing_key, self._timeouts, self.tls
                )
                self._clients[endpoint] = client
            margin = int(self.tuning.token_refresh_margin_s * MICROS_PER_SECOND)
            expires = client.token_expires_at
            if (
                reauthenticate
                or client.token is None
                or expires is None
                or now() + margin >= expires
            ):
                await client.authenticate()
            return client

    def _endpoint_order(self) -> list[str]:
        """The subscribed endpoint first, then the others in configured order."""
        first = self._current if self._current in self.endpoints else self.endpoints[0]
        return [first, *(e for e in self.endpoints if e != first)]

    # -- subscription -----------------------------------------------------------------------

    async def _run(self) -> None:
        delay = self.tuning.reconnect_initial_s
        # Endpoints that answered OUT_OF_RANGE (pruned) since the last progress: when all
        # have, the events this member needs exist nowhere and retrying cannot help.
        out_of_range: dict[str, str] = {}
        try:
            while True:
                endpoint = self.endpoints[self._endpoint_index]
                progressed = False
                try:
                    progressed = await self._session(endpoint)
                    reason = "stream ended"
                except FatalMemberError:
                    raise
                except (grpc.aio.AioRpcError, _Transient, MalformedError) as exc:
                    reason = _describe(exc)
                    pruned = (
                        isinstance(exc, grpc.aio.AioRpcError)
                        and exc.code() == grpc.StatusCode.OUT_OF_RANGE
                    )
                    if pruned:
                        out_of_range[endpoint] = reason
                        if set(out_of_range) >= set(self.endpoints):
                            if not self._from_last:
                                raise EventsPrunedError(
                                    self.counter_store.position.next_counter, out_of_range
                                ) from None
                            # Only the last processed event is gone (acknowledged by a
                            # runtime that acknowledged its last event): resume after it,
                            # without the check that the stream still holds it.
                            log.warning(
                                "the last processed event (counter %d) is pruned on every "
                                "node; resuming after it without checking it",
                                self.counter_store.position.next_counter - 1,
                            )
                            self._recheck_last = False
                            out_of_range.clear()
                finally:
                    self._connected = False
                if progressed:
                    out_of_range.clear()
                    self._recheck_last = True
                    delay = self.tuning.reconnect_initial_s
                self._endpoint_index = (self._endpoint_index + 1) % len(self.endpoints)
                log.warning(
                    "subscription to %s lost (%s); reconnecting to %s in %.1fs",
                    endpoint,
                    reason,
                    self.endpoints[self._endpoint_index],
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.tuning.reconnect_max_s)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            self._failure = exc
            log.error("member connection failed: %s", exc)
            self._fail_time_proofs(MemberStoppedError(f"member connection failed: {exc}"))
            raise

    async def _session(self, endpoint: str) -> bool:
        """One subscription to ``endpoint`` until it ends; returns whether any event was
        processed. Transient failures raise; fatal ones raise FatalMemberError."""
        client = await self._client_for(endpoint, reauthenticate=True)
        position = self.counter_store.position
        # Resume from the last processed counter, not after it: _already_processed compares
        # the event served there with the digest stored when it was processed, so a stream
        # that no longer holds it (a reorg deeper than the confirmation depth, a sequencer
        # node that forked) stops this member (EventMismatchError) instead of continuing on
        # another history. Canton's sequencer client checks its resubscription the same way.
        self._from_last = (
            self._recheck_last and position.last_digest is not None and position.next_counter > 0
        )
        start = position.next_counter - 1 if self._from_last else position.next_counter
        call = client.open_subscription(start)
        self._current = endpoint
        self._connected = True
        self._connected_event.set()
        synced = False
        progressed = False
        try:
            async for response in call:
                data = bytes(response.event)
                event = decode_sequenced_event(data)
                if self._already_processed(endpoint, event, data):
                    continue
                if not synced:
                    up_to = timestamp(event.timestamp - 1)
                    await self._sync_history(endpoint, client, up_to)
                    synced = True
                await self._process(endpoint, event, data)
                progressed = True
                await self._maybe_acknowledge(client, event.counter)
        finally:
            call.cancel()
        return progressed

    def _already_processed(self, endpoint: str, event: SequencedEvent, data: bytes) -> bool:
        position = self.counter_store.position
        if event.counter >= position.next_counter:
            return False
        last = position.next_counter - 1
        if event.counter == last and position.last_digest is not None:
            if event_digest(data) != position.last_digest:
                raise EventMismatchError(endpoint, event.counter, "digest differs")
        elif position.last_timestamp is not None and event.timestamp >= position.last_timestamp:
            raise EventMismatchError(
                endpoint,
                event.counter,
                f"time {event.timestamp} not before the last processed {position.last_timestamp}",
            )
        log.debug("skipping already processed counter %d from %s", event.counter, endpoint)
        return True

    async def _process(self, endpoint: str, event: SequencedEvent, data: bytes) -> None:
        counters = self.counter_store
        position = counters.position
        if event.counter != position.next_counter:
            raise CounterGapError(endpoint, position.next_counter, event.counter)
        if position.last_timestamp is not None and event.timestamp <= position.last_timestamp:
            raise EventMismatchError(
                endpoint,
                event.counter,
                f"time {event.timestamp} not after the previous event's {position.last_timestamp}",
            )
        # Every line logged while handling the event names it; ``sequenced_at`` is the same
        # for every recipient, so it joins nodes' lines (``node_runtime.logs``).
        fields: dict[str, object] = {"sequenced_at": int(event.timestamp), "counter": event.counter}
        if event.message_id is not None:
            fields["message_id"] = str(event.message_id)
            trace = self._traced.pop(str(event.message_id), None)
            if trace is not None:
                fields["trace_id"] = trace
        with log_context(**fields):
            if "trace_id" in fields:
                log.info("own message %s sequenced at %d", event.message_id, event.timestamp)
            await self.topology.observe(event)
            try:
                await self.handler.handle(event)
            except Exception as exc:
                raise HandlerError(event.counter, exc) from exc
        await counters.processed(event.counter, event.timestamp, event_digest(data))
        self.topology.advance(event.timestamp)
        self._resolve_time_proof(event)

    async def _sync_history(
        self, endpoint: str, client: SequencerClient, up_to: Timestamp | None
    ) -> None:
        topology = self.topology
        # At start the whole served history is checked against the store; after that only
        # from the last known position (the earlier ones were checked already).
        first = 0 if up_to is None else max(0, len(topology.history()) - 1)
        records, watermark = await client.get_topology_history(up_to, first)
        if up_to is not None and watermark < up_to:
            raise _Transient(f"{endpoint} has derived only up to {watermark}, not {up_to}")
        try:
            added = await topology.catch_up(records)
        except TopologyStoreError as exc:
            raise TopologyHistoryError(endpoint, up_to, str(exc)) from exc
        if added:
            log.info("replayed %d topology transactions from %s", added, endpoint)

    async def _maybe_acknowledge(self, client: SequencerClient, counter: int) -> None:
        self._since_ack += 1
        if self._since_ack < self.tuning.acknowledge_every:
            return
        self._since_ack = 0
        if counter == 0:
            return
        try:
            # One before the processed counter: the last processed event must stay on the
            # sequencer, since the next subscription starts with it (see _session).
            await client.acknowledge(counter - 1)
        except grpc.aio.AioRpcError as exc:  # best effort: pruning only
            log.warning("acknowledge %d failed: %s", counter, _describe(exc))

    # -- sending ----------------------------------------------------------------------------

    async def send(
        self,
        envelopes: Sequence[Envelope],
        *,
        max_sequencing_time: Timestamp | None = None,
        message_id: str | None = None,
    ) -> MessageId:
        """Sign a submission request with ``envelopes`` and hand it to a sequencer; returns
        its message id (a fresh one unless given). The outcome arrives in the stream: a
        receipt ``Deliver`` or a ``DeliverError`` carrying the message id.

        Raises :class:`SendRefusedError` if a sequencer refused it (never sequenced), and
        :class:`NoSequencerAvailableError` if no endpoint answered. After a timeout the
        request may still be sequenced; sending it again with the same message id is safe
        (the duplicate is refused or yields a ``DeliverError``)."""
        if self._counters is None:
            raise MemberStoppedError("the member connection is not started")
        mid = parse_message_id(message_id) if message_id is not None else _fresh_id("m-")
        if max_sequencing_time is None:
            delay = int(self.tuning.max_sequencing_delay_s * MICROS_PER_SECOND)
            max_sequencing_time = timestamp(now() + delay)
        request = SubmissionRequest(
            domain_id=self.domain_id,
            sender=self.member_id,
            message_id=mid,
            batch=Batch(tuple(envelopes)),
            max_sequencing_time=max_sequencing_time,
        )
        signed = SignedSubmissionRequest.sign(request, self.signing_key)
        failures: dict[str, str] = {}
        for endpoint in self._endpoint_order():
            try:
                client = await self._client_for(endpoint)
                try:
                    await client.send(signed)
                except grpc.aio.AioRpcError as exc:
                    if exc.code() != grpc.StatusCode.UNAUTHENTICATED:
                        raise
                    client = await self._client_for(endpoint, reauthenticate=True)
                    await client.send(signed)
                self._remember_trace(mid, endpoint)
                return mid
            except grpc.aio.AioRpcError as exc:
                failures[endpoint] = _describe(exc)
        raise NoSequencerAvailableError(f"send {mid}", failures)

    def _remember_trace(self, mid: MessageId, endpoint: str) -> None:
        """A send on behalf of a traced call (a Ledger API command): log it with the trace
        id, and bind the trace id again when its receipt is handled (``_process``)."""
        trace = current_trace_id()
        if trace is None:
            log.debug("sent %s to %s", mid, endpoint)
            return
        log.info("sent %s to %s", mid, endpoint, extra={"message_id": str(mid)})
        self._traced[str(mid)] = trace
        while len(self._traced) > MAX_TRACED_MESSAGES:
            self._traced.pop(next(iter(self._traced)))

    async def time_proof(self, timeout_s: float = 30.0) -> Timestamp:
        """Sequence an empty request (a batch with no envelopes, whose only recipient is
        this member) and return the sequencing time of its receipt, once the receipt has
        been through the stream (it is handed to the handler like any event). How a node
        learns the domain's time when there is no traffic. Raises
        :class:`TimeProofError` on a timeout or a DeliverError."""
        mid = _fresh_id(TIME_PROOF_PREFIX)
        future: asyncio.Future[Timestamp] = asyncio.get_running_loop().create_future()
        self._time_proofs[mid] = future
        try:
            async with asyncio.timeout(timeout_s):
                deadline = timestamp(now() + int(timeout_s * MICROS_PER_SECOND))
                await self.send([], max_sequencing_time=deadline, message_id=mid)
                return await future
        except TimeoutError:
            raise TimeProofError(mid, f"no receipt within {timeout_s}s") from None
        finally:
            self._time_proofs.pop(mid, None)

    def _resolve_time_proof(self, event: SequencedEvent) -> None:
        mid = event.message_id if isinstance(event, Deliver | DeliverError) else None
        future = self._time_proofs.get(mid) if mid is not None else None
        if future is None or future.done():
            return
        if isinstance(event, DeliverError):
            future.set_exception(TimeProofError(str(mid), f"refused: {event.reason}"))
        else:
            future.set_result(event.timestamp)

    def _fail_time_proofs(self, error: Exception) -> None:
        for future in self._time_proofs.values():
            if not future.done():
                future.set_exception(error)


def _fresh_id(prefix: str) -> MessageId:
    return MessageId(prefix + uuid.uuid4().hex)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    return f"{type(exc).__name__}: {exc}"
