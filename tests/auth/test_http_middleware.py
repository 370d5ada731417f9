"""The aiohttp middleware over real HTTP: 401 and 403 JSON bodies, public paths."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from auth import (
    REQUEST_AUTH_KEY,
    TokenVerifier,
    auth_middleware,
    current_rights,
    require_act_as,
)
from auth.dev_idp import DevIdp
from tests.support.auth import ALICE, BOB, USERS, audience_payload, unsigned_token


async def create(request: web.Request) -> web.Response:
    party = (await request.json())["actAs"]
    require_act_as(current_rights(), [party])
    return web.json_response({"user": request[REQUEST_AUTH_KEY].claims.user_id})


async def livez(_: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


@pytest.fixture
async def api(verifier: TokenVerifier) -> AsyncIterator[str]:
    app = web.Application(middlewares=[auth_middleware(verifier, rights_lookup=USERS)])
    app.router.add_post("/v2/commands", create)
    app.router.add_get("/livez", livez)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_http_statuses(api: str, idp: DevIdp) -> None:
    alice = {"Authorization": f"Bearer {idp.issue('alice-app')}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/livez") as r:
            assert r.status == 200
        async with http.post(f"{api}/v2/commands", json={"actAs": ALICE}, headers=alice) as r:
            assert r.status == 200
            assert await r.json() == {"user": "alice"}
        async with http.post(f"{api}/v2/commands", json={"actAs": ALICE}) as r:
            assert r.status == 401
            assert (await r.json())["error"] == "unauthenticated"
            assert r.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
        none = {"Authorization": f"Bearer {unsigned_token(audience_payload())}"}
        async with http.post(f"{api}/v2/commands", json={"actAs": ALICE}, headers=none) as r:
            assert r.status == 401
            assert (await r.json())["reason"] == "alg_none"
        async with http.post(f"{api}/v2/commands", json={"actAs": BOB}, headers=alice) as r:
            assert r.status == 403
            body = await r.json()
            assert body["error"] == "permission_denied"
            assert body["missing"] == f"CanActAs({BOB})"
            assert r.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
