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

import grpc

from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import MemberId
from protocol.sequencer_messages import (
    SequencedEvent,
    SignedSubmissionRequest,
    decode_sequenced_event,
)
from protocol.v1 import sequencer_pb2 as pb
from protocol.v1 import sequencer_pb2_grpc as pb_grpc
from sequencer_chain.api.auth import encode_signature


@dataclass(frozen=True, slots=True)
class ClientTimeouts:
    """Deadlines, in seconds, of the unary calls."""

    auth_s: float = 5.0
    send_s: float = 15.0
    ack_s: float = 5.0
    time_s: float = 5.0


class SendRefusedError(Exception):
    """SendAsync refused the request; ``code`` is a ``SendAsyncError`` value."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{pb.SendAsyncError.Name(code)}: {message}")


class SequencerClient:
    """One member's connection to one sequencer node."""

    def __init__(
        self,
        target: str,
        member: MemberId,
        key: SigningPrivateKey,
        timeouts: ClientTimeouts | None = None,
    ) -> None:
        self.target = target
        self.member = member
        self.key = key
        self.timeouts = timeouts or ClientTimeouts()
        self.channel = grpc.aio.insecure_channel(target)
        self.stub = pb_grpc.SequencerServiceStub(self.channel)  # type: ignore[no-untyped-call]
        self.token: str | None = None

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
        signature = encode_signature(self.key.sign(challenge.challenge))
        reply = await self.stub.Authenticate(
            pb.AuthenticateRequest(challenge=challenge.challenge, signature=signature),
            timeout=self.timeouts.auth_s,
        )
        self.token = str(reply.token)
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
