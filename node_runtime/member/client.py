"""A member's client of the sequencer API: authenticate, send, subscribe, acknowledge.

Every unary call has a deadline (:class:`ClientTimeouts`); a subscription has none, since
it is meant to stay open, but each event arrives as it is derived. gRPC errors surface as
``grpc.aio.AioRpcError`` (the caller decides whether to retry or switch node); a refused
``SendAsync`` is a :class:`SendRefusedError` with the typed code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from node_runtime.member.errors import SendRefusedError
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import MemberId
from protocol.sequencer_messages import (
    SequencedEvent,
    SignedSubmissionRequest,
    decode_sequenced_event,
)
from protocol.timestamp import Timestamp, timestamp
from protocol.tls import ClientTls, open_channel
from protocol.topology import (
    HistoryEntry,
    ProposalRecord,
    StoredTransaction,
    decode_proposal_record,
    decode_stored_transaction,
    replay_order,
)
from protocol.v1 import sequencer_pb2 as pb
from protocol.v1 import sequencer_pb2_grpc as pb_grpc

KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
)
"""HTTP/2 pings on an idle subscription: a sequencer node that stops answering without
closing the connection (a hung process, a dropped route) is detected within about 30 s
and the member fails over, instead of waiting forever for the next event. The sequencer
server permits pings at this rate (``sequencer_chain.api.server``)."""


@dataclass(frozen=True, slots=True)
class ClientTimeouts:
    """Deadlines, in seconds, of the unary calls."""

    auth_s: float = 5.0
    send_s: float = 15.0
    ack_s: float = 5.0
    time_s: float = 5.0
    history_s: float = 10.0


class SequencerClient:
    """One member's connection to one sequencer node."""

    def __init__(
        self,
        target: str,
        member: MemberId,
        key: SigningPrivateKey,
        timeouts: ClientTimeouts | None = None,
        tls: ClientTls | None = None,
    ) -> None:
        """With ``tls`` the channel is TLS verified against its CA: the bearer token a
        member authenticates with is never sent in clear."""
        self.target = target
        self.tls = tls
        self.member = member
        self.key = key
        self.timeouts = timeouts or ClientTimeouts()
        self.channel = open_channel(target, tls, KEEPALIVE_OPTIONS)
        self.stub = pb_grpc.SequencerServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.token: str | None = None
        self.token_expires_at: Timestamp | None = None

    async def __aenter__(self) -> SequencerClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.channel.close()

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    async def authenticate(self) -> str:
        """Sign a fresh challenge and keep the token for later calls."""
        challenge = await self.stub.GetChallenge(
            pb.GetChallengeRequest(member=self.member), timeout=self.timeouts.auth_s
        )
        signature = self.key.sign(challenge.challenge).to_bytes()
        reply = await self.stub.Authenticate(
            pb.AuthenticateRequest(challenge=challenge.challenge, signature=signature),
            timeout=self.timeouts.auth_s,
        )
        self.token = str(reply.token)
        self.token_expires_at = timestamp(int(reply.expires_at))
        return self.token

    async def send_raw(self, data: bytes) -> pb.SendAsyncResponse:
        reply: pb.SendAsyncResponse = await self.stub.SendAsync(
            pb.SendAsyncRequest(signed_submission_request=data),
            timeout=self.timeouts.send_s,
            metadata=self._metadata(),
        )
        return reply

    async def send(self, request: SignedSubmissionRequest) -> None:
        """Send; raises :class:`SendRefusedError` if the node refused it."""
        reply = await self.send_raw(request.to_bytes())
        if reply.error != pb.SEND_ASYNC_ERROR_UNSPECIFIED:
            raise SendRefusedError(reply.error, reply.message)

    def open_subscription(self, from_counter: int) -> Any:
        """The raw ``Subscribe`` call (a ``grpc.aio.UnaryStreamCall``): iterate it for
        ``SubscribeResponse`` messages and ``cancel()`` it when done."""
        return self.stub.Subscribe(
            pb.SubscribeRequest(member=self.member, from_counter=from_counter),
            metadata=self._metadata(),
        )

    async def subscribe_raw(
        self, from_counter: int, member: str | None = None
    ) -> AsyncIterator[bytes]:
        call = self.stub.Subscribe(
            pb.SubscribeRequest(member=member or self.member, from_counter=from_counter),
            metadata=self._metadata(),
        )
        async for response in call:
            yield response.event

    async def subscribe(self, from_counter: int) -> AsyncIterator[SequencedEvent]:
        async for data in self.subscribe_raw(from_counter):
            yield decode_sequenced_event(data)

    async def acknowledge(self, counter: int) -> None:
        await self.stub.Acknowledge(
            pb.AcknowledgeRequest(member=self.member, counter=counter),
            timeout=self.timeouts.ack_s,
            metadata=self._metadata(),
        )

    async def get_time(self) -> int:
        reply = await self.stub.GetTime(pb.GetTimeRequest(), timeout=self.timeouts.time_s)
        return int(reply.timestamp)

    async def get_topology_history_page(
        self,
        up_to: Timestamp | None,
        from_position: int,
        max_entries: int = 0,
        from_proposal: int = 0,
    ) -> tuple[list[StoredTransaction], list[ProposalRecord], Timestamp, bool]:
        """One page of the node's topology history: ``(records, proposals, watermark,
        more)``. Both kinds are decoded (``MalformedTopologyError`` on bad bytes) but not
        validated: the caller replays them."""
        reply = await self.stub.GetTopologyHistory(
            pb.GetTopologyHistoryRequest(
                up_to=up_to or 0,
                from_position=from_position,
                max_entries=max_entries,
                from_proposal=from_proposal,
            ),
            timeout=self.timeouts.history_s,
            metadata=self._metadata(),
        )
        records = [decode_stored_transaction(bytes(data)) for data in reply.transactions]
        proposals = [decode_proposal_record(bytes(data)) for data in reply.proposals]
        return records, proposals, timestamp(int(reply.watermark)), bool(reply.more)

    async def get_topology_history(
        self, up_to: Timestamp | None = None, from_position: int = 0
    ) -> tuple[list[HistoryEntry], Timestamp]:
        """Every page from ``from_position`` to ``min(up_to, watermark)``, the accepted
        transactions and the proposals of those pending at the bound, in replay order
        (:func:`~protocol.topology.replay_order`): ``(entries, watermark)``; the watermark
        of the first page bounds the whole answer."""
        records, proposals, watermark, more = await self.get_topology_history_page(
            up_to, from_position
        )
        bound = up_to if up_to is not None else watermark
        while more:
            position = records[-1].position + 1 if records else from_position
            page, extra, _, more = await self.get_topology_history_page(
                bound, position, from_proposal=len(proposals)
            )
            if not page and not extra:
                break
            records += page
            proposals += extra
        return replay_order(records, proposals), watermark
