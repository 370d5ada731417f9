"""The domain manager's connection to the sequencers, until it runs on the shared member
runtime (``node_runtime.member.MemberConnection``, ``docs/nodes.md`` §2).

It does what the domain manager needs of a member connection and nothing more: it
authenticates with the domain manager's signing key (challenge, signature, token), keeps
one subscription open from the last handled counter + 1, processes every topology
broadcast of an event into the topology store *before* it calls the handler, persists the
counter after the handler returns, and sends signed submission requests. On a broken
stream it moves to the next endpoint and resumes from the same counter.

Talks only the sequencer protocol (``protocol.v1.sequencer``); imports no node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence

import grpc

from protocol.canonical import encode
from protocol.crypto.signing import SigningPrivateKey
from protocol.errors import ProtocolError
from protocol.identifiers import DomainId, MemberId, MemberKind, member_kind
from protocol.sequencer_messages import (
    Batch,
    Deliver,
    Envelope,
    MessageId,
    SequencedEvent,
    SignedSubmissionRequest,
    SubmissionRequest,
    decode_sequenced_event,
)
from protocol.timestamp import Timestamp, add_micros, now
from protocol.topology import TopologyStore, is_topology_payload
from protocol.v1 import sequencer_pb2 as spb
from protocol.v1 import sequencer_pb2_grpc as spb_grpc

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 10.0
RECONNECT_DELAY_S = 0.5
DEFAULT_MAX_SEQUENCING_S = 60


class SendRefused(Exception):  # noqa: N818 (mirrors the sequencer's refusal)
    """SendAsync refused the request; ``code`` is a ``SendAsyncError`` name."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"{code}: {message}")


class SequencerLink:
    """One member's subscription and sender over a list of sequencer endpoints."""

    def __init__(
        self,
        *,
        domain: DomainId,
        member: MemberId,
        key: SigningPrivateKey,
        endpoints: Sequence[str],
        topology: TopologyStore,
        handler: Callable[[SequencedEvent], Awaitable[None]],
        load_counter: Callable[[], Awaitable[int]],
        save_counter: Callable[[int], Awaitable[None]],
    ) -> None:
        if not endpoints:
            raise ValueError("at least one sequencer endpoint")
        self.domain = domain
        self.member = member
        self.key = key
        self.endpoints = list(endpoints)
        self.topology = topology
        self._handler = handler
        self._load_counter = load_counter
        self._save_counter = save_counter
        self._index = 0
        self._channel: grpc.aio.Channel | None = None
        self._stub: spb_grpc.SequencerServiceStub | None = None
        self._token: str | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"link-{self.member}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_channel()

    async def wait_connected(self, timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            await self._connected.wait()

    async def _close_channel(self) -> None:
        self._connected.clear()
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
            self._stub = None

    async def _connect(self) -> spb_grpc.SequencerServiceStub:
        target = self.endpoints[self._index % len(self.endpoints)]
        self._channel = grpc.aio.insecure_channel(target)
        stub = spb_grpc.SequencerServiceStub(self._channel)  # type: ignore[no-untyped-call]
        challenge = await stub.GetChallenge(
            spb.GetChallengeRequest(member=self.member), timeout=CALL_TIMEOUT_S
        )
        signature = encode(self.key.sign(challenge.challenge).write)
        reply = await stub.Authenticate(
            spb.AuthenticateRequest(challenge=challenge.challenge, signature=signature),
            timeout=CALL_TIMEOUT_S,
        )
        self._token = str(reply.token)
        self._stub = stub
        return stub

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self._token}"),)

    async def _run(self) -> None:
        while True:
            try:
                stub = await self._connect()
                counter = await self._load_counter()
                call = stub.Subscribe(
                    spb.SubscribeRequest(member=self.member, from_counter=counter),
                    metadata=self._metadata(),
                )
                self._connected.set()
                async for response in call:
                    event = decode_sequenced_event(response.event)
                    await self._process(event)
                    await self._save_counter(event.counter + 1)
            except (grpc.aio.AioRpcError, ProtocolError, OSError) as exc:
                log.warning("sequencer link to %s broke: %s", self.endpoints[self._index], exc)
            await self._close_channel()
            self._index += 1
            await asyncio.sleep(RECONNECT_DELAY_S)

    async def _process(self, event: SequencedEvent) -> None:
        if isinstance(event, Deliver) and member_kind(event.sender) is (MemberKind.DOMAIN_MANAGER):
            snapshot = self.topology.snapshot_at(event.timestamp)
            if snapshot.is_active(event.sender):
                for envelope in event.batch.envelopes:
                    if is_topology_payload(envelope.payload):
                        await self.topology.process_bytes(envelope.payload, event.timestamp)
        await self._handler(event)

    async def send(
        self,
        envelopes: Sequence[Envelope],
        max_sequencing_time: Timestamp | None = None,
        message_id: MessageId | None = None,
    ) -> MessageId:
        """Sign and send a submission request; raises :class:`SendRefused`."""
        await self.wait_connected()
        stub = self._stub
        if stub is None:
            raise SendRefused("NOT_CONNECTED", "no sequencer connection")
        mid = message_id or MessageId("m-" + secrets.token_hex(12))
        request = SubmissionRequest(
            domain_id=self.domain,
            sender=self.member,
            message_id=mid,
            batch=Batch(tuple(envelopes)),
            max_sequencing_time=max_sequencing_time
            or add_micros(now(), DEFAULT_MAX_SEQUENCING_S * 1_000_000),
        )
        signed = SignedSubmissionRequest.sign(request, self.key)
        reply = await stub.SendAsync(
            spb.SendAsyncRequest(signed_submission_request=signed.to_bytes()),
            timeout=CALL_TIMEOUT_S,
            metadata=self._metadata(),
        )
        if reply.error != spb.SEND_ASYNC_ERROR_UNSPECIFIED:
            raise SendRefused(spb.SendAsyncError.Name(reply.error), reply.message)
        return mid
