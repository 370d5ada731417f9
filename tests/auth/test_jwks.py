"""JWKS caching, refetch on unknown key ids, rate limiting, rotation and outages."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from auth import (
    InvalidTokenError,
    InvalidTokenReason,
    JwksClient,
    JwksSettings,
    JwksUnavailableError,
    TokenPolicy,
    TokenVerifier,
)
from auth.dev_idp import DevIdp
from tests.support.auth import PARTICIPANT, FakeClock, audience_payload, rogue_rsa_key, sign


async def test_fetched_once_and_cached(
    idp: DevIdp, verifier: TokenVerifier, jwks_clock: FakeClock
) -> None:
    tokens = [idp.issue("alice-app"), idp.issue("bob-app"), idp.issue("legacy")]
    await asyncio.gather(*(verifier.verify(t) for t in tokens * 10))
    assert idp.jwks_requests == 1
    jwks_clock.advance(299)
    await verifier.verify(tokens[0])
    assert idp.jwks_requests == 1
    jwks_clock.advance(2)  # past the 300 s TTL
    await verifier.verify(tokens[0])
    assert idp.jwks_requests == 2


async def test_unknown_kid_refetch_is_rate_limited(
    idp: DevIdp, verifier: TokenVerifier, jwks_clock: FakeClock
) -> None:
    await verifier.verify(idp.issue("alice-app"))
    assert idp.jwks_requests == 1
    jwks_clock.advance(11)
    rogue = rogue_rsa_key()
    bogus = [sign(audience_payload(), rogue, "RS256", kid=f"bogus-{i}") for i in range(50)]
    results = await asyncio.gather(*(verifier.verify(t) for t in bogus), return_exceptions=True)
    assert all(
        isinstance(r, InvalidTokenError) and r.reason is InvalidTokenReason.UNKNOWN_KEY_ID
        for r in results
    )
    assert idp.jwks_requests == 2  # one refetch for the whole flood
    jwks_clock.advance(5)
    with pytest.raises(InvalidTokenError):
        await verifier.verify(bogus[0])
    assert idp.jwks_requests == 2  # still within the 10 s interval
    jwks_clock.advance(6)
    with pytest.raises(InvalidTokenError):
        await verifier.verify(bogus[0])
    assert idp.jwks_requests == 3


async def test_rotation_with_grace(
    idp: DevIdp, verifier: TokenVerifier, jwks_clock: FakeClock, key_clock: FakeClock
) -> None:
    old_token = idp.issue("alice-app")
    old_kid = idp.keys.active("RS256").kid
    await verifier.verify(old_token)
    assert idp.jwks_requests == 1

    idp.keys.rotate()
    new_token = idp.issue("alice-app")
    assert idp.keys.active("RS256").kid != old_kid
    jwks_clock.advance(11)
    assert (await verifier.verify(new_token)).key_id == idp.keys.active("RS256").kid
    assert idp.jwks_requests == 2  # the new kid triggered a refetch
    assert (await verifier.verify(old_token)).key_id == old_kid  # grace: still published

    key_clock.advance(601)  # the IdP's 600 s grace is over: old key unpublished
    assert old_kid not in {k["kid"] for k in idp.keys.jwks()["keys"]}
    jwks_clock.advance(301)  # and the verifier's cache has expired
    with pytest.raises(InvalidTokenError) as caught:
        await verifier.verify(old_token)
    assert caught.value.reason is InvalidTokenReason.UNKNOWN_KEY_ID
    assert (await verifier.verify(new_token)).user_id == "alice"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_jwks_is_unavailable(idp: DevIdp) -> None:
    url = f"http://127.0.0.1:{free_port()}/jwks"
    clock = FakeClock(0.0)
    client = JwksClient(JwksSettings(url=url, fetch_timeout_s=1), clock=clock)
    verifier = TokenVerifier(TokenPolicy(participant_id=PARTICIPANT), client)
    try:
        with pytest.raises(JwksUnavailableError) as caught:
            await verifier.verify(idp.issue("alice-app"))
        assert caught.value.url == url
        assert client.fetch_count == 1
        with pytest.raises(JwksUnavailableError):  # failure remembered: no new fetch yet
            await verifier.verify(idp.issue("alice-app"))
        assert client.fetch_count == 1
    finally:
        await verifier.aclose()


@pytest.fixture
async def slow_jwks() -> AsyncIterator[str]:
    release = asyncio.Event()

    async def hang(_: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"keys": []})

    app = web.Application()
    app.router.add_get("/jwks", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/jwks"
    release.set()
    await runner.cleanup()


async def test_fetch_timeout(slow_jwks: str) -> None:
    client = JwksClient(JwksSettings(url=slow_jwks, fetch_timeout_s=0.3))
    try:
        with pytest.raises(JwksUnavailableError) as caught:
            await asyncio.wait_for(client.key_for("any"), 2)
        assert "0.3s" in caught.value.detail
    finally:
        await client.aclose()


async def test_stale_keys_used_while_idp_is_down(idp: DevIdp, jwks_clock: FakeClock) -> None:
    client = JwksClient(
        JwksSettings(url=idp.jwks_url, cache_ttl_s=60, stale_if_error_s=120), clock=jwks_clock
    )
    verifier = TokenVerifier(TokenPolicy(participant_id=PARTICIPANT), client)
    try:
        token = idp.issue("alice-app")
        await verifier.verify(token)
        await idp.stop()
        jwks_clock.advance(61)  # TTL over, refetch fails, stale keys still serve
        assert (await verifier.verify(token)).user_id == "alice"
        assert client.fetch_count == 2
        jwks_clock.advance(130)  # beyond TTL + stale window
        with pytest.raises(JwksUnavailableError):
            await verifier.verify(token)
    finally:
        await verifier.aclose()


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"no_keys": []}', b"[]"],
)
async def test_bad_jwks_document(body: bytes) -> None:
    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/jwks", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = JwksClient(JwksSettings(url=f"http://127.0.0.1:{port}/jwks"))
    try:
        with pytest.raises(JwksUnavailableError) as caught:
            await client.key_for("k")
        assert "not a JWKS" in caught.value.detail
    finally:
        await client.aclose()
        await runner.cleanup()
