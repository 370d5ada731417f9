"""The sequencer gRPC API on a running node: send → chain → subscribe, typed refusals,
authentication, acknowledgement, time and health."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from node_runtime.member import SendRefusedError, SequencerClient
from protocol.sequencer_messages import Deliver, SequencedEvent, SignedSubmissionRequest
from protocol.timestamp import Timestamp, now
from protocol.v1 import sequencer_pb2 as pb
from sequencer_chain.api import SERVICE_NAME, encode_signature
from sequencer_chain.node import SequencerNode
from tests.sequencer_chain.node.conftest import NodeFactory
from tests.sequencer_chain.sequencer_support import (
    ALICE,
    BOB,
    DOMAIN,
    DORMANT,
    MALLORY,
    Party,
    signed_request,
)

pytestmark = pytest.mark.anvil

E = pb.SendAsyncError


async def client_for(node: SequencerNode, party: Party, auth: bool = True) -> SequencerClient:
    client = SequencerClient(node.target, party.member, party.key)
    if auth:
        await client.authenticate()
    return client


async def take(stream: AsyncIterator[SequencedEvent], n: int, timeout_s: float = 20) -> list[Any]:
    out: list[Any] = []

    async def collect() -> None:
        async for event in stream:
            out.append(event)
            if len(out) == n:
                return

    await asyncio.wait_for(collect(), timeout_s)
    return out


async def test_send_subscribe_resume_and_live_tail(make_node: NodeFactory) -> None:
    node = await make_node()
    alice = await client_for(node, ALICE)
    bob = await client_for(node, BOB)
    live = bob.subscribe(0)
    first = asyncio.create_task(take(live, 3))
    for i in range(3):
        await alice.send(signed_request(ALICE, f"m{i}", [(b"payload-%d" % i, [BOB.member])]))
    events = await first
    assert [e.counter for e in events] == [0, 1, 2]
    assert [e.batch.envelopes[0].payload for e in events] == [
        b"payload-0",
        b"payload-1",
        b"payload-2",
    ]
    assert all(isinstance(e, Deliver) and e.message_id is None for e in events)
    assert events[0].timestamp < events[1].timestamp < events[2].timestamp
    # Resume exactly: from counter 1 gives 1 and 2, then the live tail gives 3.
    resumed = bob.subscribe(1)
    again = await take(resumed, 2)
    assert [e.counter for e in again] == [1, 2]
    assert [e.timestamp for e in again] == [e.timestamp for e in events[1:]]
    tail = asyncio.create_task(take(resumed, 1))
    await alice.send(signed_request(ALICE, "m3", [(b"later", [BOB.member])]))
    (later,) = await tail
    assert later.counter == 3 and later.batch.envelopes[0].payload == b"later"
    receipts = await take(alice.subscribe(0), 4)
    assert [r.message_id for r in receipts] == ["m0", "m1", "m2", "m3"]
    # SendAsync verified each signature once; the reader took all four from the cache.
    assert node.reader is not None and node.reader.signatures is not None
    assert (node.reader.signatures.hits, len(node.reader.signatures)) == (4, 0)
    # Acknowledge and time.
    await bob.acknowledge(2)
    assert node.store is not None and await node.store.acknowledged(BOB.member) == 2
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await bob.acknowledge(99)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert await bob.get_time() >= later.timestamp
    await alice.close()
    await bob.close()


async def test_every_bad_send_gets_its_typed_error_and_node_keeps_serving(
    make_node: NodeFactory,
) -> None:
    node = await make_node()
    alice = await client_for(node, ALICE)

    async def refused(data: bytes) -> int:
        reply = await alice.send_raw(data)
        # The node keeps serving after each refusal: the next call still answers.
        assert await alice.get_time() >= 0
        return int(reply.error)

    ok = signed_request(ALICE, "fine", [(b"x", [BOB.member])])
    assert await refused(b"\x00garbage") == E.SEND_ASYNC_ERROR_MALFORMED
    assert await refused(b"\x01" * 119_001) == E.SEND_ASYNC_ERROR_TOO_LARGE
    forged = SignedSubmissionRequest(ok.request, BOB.key.sign(ok.request.to_bytes()))
    assert await refused(forged.to_bytes()) == E.SEND_ASYNC_ERROR_BAD_SIGNATURE
    # A request naming a sender that is not a member, or not an active one.
    from_unknown = signed_request(MALLORY, "s", [(b"x", [BOB.member])])
    assert await refused(from_unknown.to_bytes()) == E.SEND_ASYNC_ERROR_UNKNOWN_SENDER
    from_dormant = signed_request(DORMANT, "d", [(b"x", [BOB.member])])
    assert await refused(from_dormant.to_bytes()) == E.SEND_ASYNC_ERROR_UNKNOWN_SENDER
    to_unknown = signed_request(ALICE, "u", [(b"x", [MALLORY.member])])
    assert await refused(to_unknown.to_bytes()) == E.SEND_ASYNC_ERROR_UNKNOWN_RECIPIENT
    past = signed_request(ALICE, "p", [(b"x", [BOB.member])], max_sequencing_time=now() - 1)
    assert await refused(past.to_bytes()) == E.SEND_ASYNC_ERROR_MAX_SEQUENCING_TIME_PAST
    other = DOMAIN.replace("test-domain", "other-domain")
    wrong = signed_request(ALICE, "w", [(b"x", [BOB.member])], domain=other)  # type: ignore[arg-type]
    assert await refused(wrong.to_bytes()) == E.SEND_ASYNC_ERROR_WRONG_DOMAIN
    assert await refused(ok.to_bytes()) == E.SEND_ASYNC_ERROR_UNSPECIFIED
    assert await refused(ok.to_bytes()) == E.SEND_ASYNC_ERROR_DUPLICATE_MESSAGE_ID
    assert node.api is not None
    node.api.service._max_in_flight = 0
    busy = signed_request(ALICE, "busy", [(b"x", [BOB.member])])
    assert await refused(busy.to_bytes()) == E.SEND_ASYNC_ERROR_OVERLOADED
    node.api.service._max_in_flight = 1_000
    # Sending as another member is not a typed refusal but a permission error.
    as_bob = signed_request(BOB, "b", [(b"x", [ALICE.member])])
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await alice.send_raw(as_bob.to_bytes())
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Still serving: the accepted request is delivered, and once sequenced the same
    # message id is refused from the store's dedup (not only the writer's pending set).
    with contextlib.suppress(SendRefusedError):
        await alice.send(busy)
    bob = await client_for(node, BOB)
    events = await take(bob.subscribe(0), 2)
    assert [e.batch.envelopes[0].payload for e in events] == [b"x", b"x"]
    assert await refused(ok.to_bytes()) == E.SEND_ASYNC_ERROR_DUPLICATE_MESSAGE_ID
    await alice.close()
    await bob.close()


async def test_authentication_and_own_stream_only(make_node: NodeFactory) -> None:
    node = await make_node()
    anonymous = await client_for(node, ALICE, auth=False)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await take(anonymous.subscribe(0), 1, timeout_s=5)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await anonymous.send_raw(b"x")
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # A forged token, and a token for a key the member does not have.
    anonymous.token = f"{ALICE.member}.{now() + 10**9}.{'00' * 32}"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await anonymous.acknowledge(0)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    impostor = SequencerClient(node.target, ALICE.member, BOB.key)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await impostor.authenticate()
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    stranger = SequencerClient(node.target, MALLORY.member, MALLORY.key)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stranger.authenticate()
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # A challenge is single use.
    alice = await client_for(node, ALICE, auth=False)
    challenge = await alice.stub.GetChallenge(
        pb.GetChallengeRequest(member=ALICE.member), timeout=5
    )

    signed = pb.AuthenticateRequest(
        challenge=challenge.challenge,
        signature=encode_signature(ALICE.key.sign(challenge.challenge)),
    )
    await alice.stub.Authenticate(signed, timeout=5)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await alice.stub.Authenticate(signed, timeout=5)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # Alice, authenticated, may not read Bob's stream.
    await alice.authenticate()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for _ in alice.subscribe_raw(0, member=BOB.member):
            pass
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    for c in (anonymous, impostor, stranger, alice):
        await c.close()


async def test_an_expired_token_is_refused(make_node: NodeFactory) -> None:
    node = await make_node()
    assert node.api is not None
    auth = node.api.service.auth
    alice = await client_for(node, ALICE)
    assert alice.token_expires_at is not None
    assert alice.token_expires_at - now() <= auth.token_ttl_us
    assert alice.token_expires_at - now() > auth.token_ttl_us - 60_000_000
    reply = await alice.send_raw(b"\x00garbage")  # accepted as Alice: judged, not refused
    assert reply.error == E.SEND_ASYNC_ERROR_MALFORMED
    # A token this node issued (its MAC is right) whose expiry has passed.
    alice.token = auth._token_text(ALICE.member, Timestamp(now() - 1))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await alice.send_raw(b"\x00garbage")
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in (err.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await take(alice.subscribe(0), 1, timeout_s=5)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # Authenticating again gives a fresh token that works.
    await alice.authenticate()
    assert (await alice.send_raw(b"\x00garbage")).error == E.SEND_ASYNC_ERROR_MALFORMED
    await alice.close()


async def test_health_turns_serving_once_caught_up(make_node: NodeFactory) -> None:
    node = await make_node()
    channel = grpc.aio.insecure_channel(node.target)
    stub = health_pb2_grpc.HealthStub(channel)
    for _ in range(100):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME), timeout=5)
        if reply.status == health_pb2.HealthCheckResponse.SERVING:
            break
        await asyncio.sleep(0.1)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    await channel.close()
