"""A small JSON-RPC HTTP proxy on loopback that answers ``eth_getLogs`` like a limited
endpoint: a range wider than ``max_range`` blocks is refused, and an answer larger than
``max_bytes`` is refused, timed out or cut off, as the ``oversize`` mode says. Everything
else goes through to the upstream node (a real anvil) unchanged.

It stands for the limits of real endpoints: geth/Erigon/Besu block range and result
limits, Alchemy/Infura-style response size limits, a gateway that times out on a slow
query, and a connection closed mid-answer.
"""

from __future__ import annotations

import asyncio
import enum
import json
import socket
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web

RANGE_ERROR = -32005


class Oversize(enum.Enum):
    """What the proxy does with an ``eth_getLogs`` answer larger than ``max_bytes``."""

    ERROR = "error"
    """A JSON-RPC error, Alchemy's words."""
    TIMEOUT = "timeout"
    """No answer for ``stall_s`` (longer than the client's timeout)."""
    TRUNCATED = "truncated"
    """The status line and headers of the whole answer, half the body, then the
    connection closes."""


class LogsProxy:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is where to point a client."""

    def __init__(
        self,
        upstream: str,
        *,
        max_bytes: int,
        max_range: int,
        oversize: Oversize = Oversize.ERROR,
        stall_s: float = 5.0,
    ) -> None:
        self.upstream = upstream
        self.max_bytes = max_bytes
        self.max_range = max_range
        self.oversize = oversize
        self.stall_s = stall_s
        self.outcomes: Counter[str] = Counter()
        """``eth_getLogs`` requests by what the proxy did: answered, range, oversize."""
        self.answered_widths: list[int] = []
        """Width of each ranged ``eth_getLogs`` the proxy answered (by hash: 1)."""
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> LogsProxy:
        self._session = aiohttp.ClientSession()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # bound here, so the port is known and stays ours
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _forward(self, body: bytes) -> bytes:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        async with self._session.post(self.upstream, data=body, headers=headers) as reply:
            return await reply.read()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        call = json.loads(body)
        answer = await self._forward(body)
        if not isinstance(call, dict) or call.get("method") != "eth_getLogs":
            return web.Response(body=answer, content_type="application/json")
        width = _width(call["params"][0])
        if width > self.max_range:
            self.outcomes["range"] += 1
            message = f"query exceeds max block range {self.max_range}"
            return _error(call, message)
        if len(answer) > self.max_bytes:
            self.outcomes["oversize"] += 1
            return await self._oversize(request, call, answer)
        self.outcomes["answered"] += 1
        self.answered_widths.append(width)
        return web.Response(body=answer, content_type="application/json")

    async def _oversize(
        self, request: web.Request, call: dict[str, Any], answer: bytes
    ) -> web.StreamResponse:
        if self.oversize is Oversize.ERROR:
            return _error(call, "Log response size exceeded. Please reduce your query block range.")
        if self.oversize is Oversize.TIMEOUT:
            await asyncio.sleep(self.stall_s)
            return _error(call, "request timed out")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(answer)
        await response.prepare(request)
        await response.write(answer[: len(answer) // 2])
        assert request.transport is not None
        request.transport.close()  # mid-body: the client sees a short answer
        return response


def _width(params: dict[str, Any]) -> int:
    if "blockHash" in params:
        return 1
    return int(params["toBlock"], 16) - int(params["fromBlock"], 16) + 1


def _error(call: dict[str, Any], message: str) -> web.Response:
    error = {"code": RANGE_ERROR, "message": message}
    body = {"jsonrpc": "2.0", "id": call.get("id"), "error": error}
    return web.Response(body=json.dumps(body).encode(), content_type="application/json")
