"""The operations endpoint of a node: ``/livez``, ``/readyz`` and Prometheus ``/metrics``.

``/livez`` answers 200 while the process's event loop runs. ``/readyz`` runs the node's
readiness checks (e.g. "caught up with the chain", "database open", "connected to the
sequencer") and answers 200 only if all pass, else 503 with the failing checks named.
``/metrics`` serves the node's Prometheus registry in the text exposition format.
With the node's :class:`~node_runtime.tls.ServerTls` the endpoint is HTTPS (and with
mutual TLS, a scraper must present a client certificate).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from node_runtime.tls import ServerTls, scheme

CHECK_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """A named readiness condition; ``check`` returns ``None`` when ready, else why not."""

    name: str
    check: Callable[[], Awaitable[str | None]]


class OpsServer:
    """Serves the operations endpoints on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        registry: CollectorRegistry,
        checks: list[ReadinessCheck] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ServerTls | None = None,
    ) -> None:
        self.registry = registry
        self.tls = tls
        self.checks = list(checks or [])
        self.host = host
        self._requested_port = port
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"{scheme(self.tls)}://{self.host}:{self.port}"

    async def _livez(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def _run_check(self, check: ReadinessCheck) -> str | None:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_S):
                return await check.check()
        except TimeoutError:
            return f"check timed out after {CHECK_TIMEOUT_S}s"
        except Exception as exc:
            return f"check failed: {type(exc).__name__}: {exc}"

    async def _readyz(self, _: web.Request) -> web.Response:
        results = await asyncio.gather(*(self._run_check(c) for c in self.checks))
        failing = {c.name: r for c, r in zip(self.checks, results, strict=True) if r is not None}
        if failing:
            return web.json_response({"status": "not ready", "failing": failing}, status=503)
        return web.json_response({"status": "ready", "checks": [c.name for c in self.checks]})

    async def _metrics(self, _: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/livez", self._livez)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        context = self.tls.ssl_context() if self.tls is not None else None
        site = web.TCPSite(self._runner, self.host, self._requested_port, ssl_context=context)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._requested_port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
