"""The gRPC interceptor end to end: a real grpc.aio server with a tiny raw-bytes service."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
import pytest

from auth import (
    AuthInterceptor,
    TokenVerifier,
    current_claims,
    current_rights,
    require_act_as,
    require_admin,
    require_read_as,
)
from auth.dev_idp import DevIdp
from tests.support.auth import ALICE, BOB, USERS, audience_payload, rogue_rsa_key, sign

SERVICE = "test.Ledger"


async def submit(request: bytes, context: Any) -> bytes:
    require_act_as(current_rights(), [request.decode()])
    return b"submitted as " + str(current_claims().user_id).encode()


async def allocate_party(request: bytes, context: Any) -> bytes:
    require_admin(current_rights())
    return b"allocated"


async def updates(request: bytes, context: Any) -> AsyncIterator[bytes]:
    require_read_as(current_rights(), [request.decode()])
    while True:
        yield b"update"
        await asyncio.sleep(0.1)


async def completions(request: bytes, context: Any) -> None:
    require_read_as(current_rights(), [request.decode()])
    while True:
        await context.write(b"completion")
        await asyncio.sleep(0.1)


async def health(request: bytes, context: Any) -> bytes:
    return b"SERVING"


@pytest.fixture
async def server(verifier: TokenVerifier) -> AsyncIterator[str]:
    handlers = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Submit": grpc.unary_unary_rpc_method_handler(submit),
            "AllocateParty": grpc.unary_unary_rpc_method_handler(allocate_party),
            "Updates": grpc.unary_stream_rpc_method_handler(updates),
            "Completions": grpc.unary_stream_rpc_method_handler(completions),
        },
    )
    health_handlers = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(health)}
    )
    srv = grpc.aio.server(interceptors=[AuthInterceptor(verifier, rights_lookup=USERS)])
    srv.add_generic_rpc_handlers((handlers, health_handlers))
    port = srv.add_insecure_port("127.0.0.1:0")
    await srv.start()
    yield f"127.0.0.1:{port}"
    await srv.stop(grace=None)


@pytest.fixture
async def channel(server: str) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(server) as ch:
        yield ch


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


async def call_error(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_public_method_needs_no_token(channel: grpc.aio.Channel) -> None:
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    assert await check(b"") == b"SERVING"


async def test_valid_token_and_right(channel: grpc.aio.Channel, idp: DevIdp) -> None:
    submit_call = channel.unary_unary(f"/{SERVICE}/Submit")
    reply = await submit_call(ALICE.encode(), metadata=bearer(idp.issue("alice-app")))
    assert reply == b"submitted as alice"
    # the legacy custom-claims token carries the same right inline
    reply = await submit_call(ALICE.encode(), metadata=bearer(idp.issue("legacy")))
    assert reply == b"submitted as None"


async def test_no_token(channel: grpc.aio.Channel) -> None:
    error = await call_error(channel.unary_unary(f"/{SERVICE}/Submit")(ALICE.encode()))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "missing access token" in (error.details() or "")


async def test_bad_tokens(channel: grpc.aio.Channel, idp: DevIdp) -> None:
    submit_call = channel.unary_unary(f"/{SERVICE}/Submit")
    forged = sign(audience_payload(), rogue_rsa_key(), "RS256", kid="rogue")
    expired = sign(
        audience_payload(ttl=-60),
        idp.keys.active("RS256").private_key,
        "RS256",
        idp.keys.active("RS256").kid,
    )
    for token, detail in (
        (forged, "unknown_key_id"),
        (expired, "expired"),
        ("garbage", "malformed"),
        (idp.issue("other-participant"), "wrong_audience"),
    ):
        error = await call_error(submit_call(ALICE.encode(), metadata=bearer(token)))
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED, detail
        assert detail in (error.details() or "")


async def test_missing_right(channel: grpc.aio.Channel, idp: DevIdp) -> None:
    alice = bearer(idp.issue("alice-app"))
    error = await call_error(
        channel.unary_unary(f"/{SERVICE}/Submit")(BOB.encode(), metadata=alice)
    )
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert f"CanActAs({BOB})" in (error.details() or "")
    error = await call_error(channel.unary_unary(f"/{SERVICE}/AllocateParty")(b"", metadata=alice))
    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    stream = channel.unary_stream(f"/{SERVICE}/Updates")(b"carol::1220", metadata=alice)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in stream:
            pass
    assert caught.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def _drain(channel: grpc.aio.Channel, method: str, token: str) -> tuple[int, Any, float]:
    start = time.monotonic()
    call = channel.unary_stream(f"/{SERVICE}/{method}")(ALICE.encode(), metadata=bearer(token))
    received = 0
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call:
            received += 1
    return received, caught.value, time.monotonic() - start


async def test_stream_closed_when_token_expires(channel: grpc.aio.Channel, idp: DevIdp) -> None:
    token = idp.issue("short-lived")  # exp in 2 s
    expires_at = time.time() + 2
    results = await asyncio.wait_for(  # a stream that outlives its token fails here
        asyncio.gather(_drain(channel, "Updates", token), _drain(channel, "Completions", token)),
        timeout=6,
    )
    for received, error, _elapsed in results:
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED
        assert error.details() == "access token expired"
        assert received >= 5  # the stream did run until then
    assert abs(time.time() - expires_at) < 1.2
